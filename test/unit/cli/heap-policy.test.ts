// The idle collector: one full collection after a quiet period following work, only when the heap
// has free space worth handing back, at most once per interval; and V8's gc() is really reachable.
import { expect } from 'chai';
import { IdleCollector, fullGarbageCollection } from '../../../src/cli/heap-policy.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('idle collector', () => {
  function collector(slack: { bytes: number }, calls: { n: number }): IdleCollector {
    return new IdleCollector({ collect: () => void calls.n++, heapSlackBytes: () => slack.bytes, quietMs: 30, minIntervalMs: 120, minSlackBytes: 100 });
  }

  it('collects once after the quiet period, not while activity goes on', async () => {
    const calls = { n: 0 };
    const c = collector({ bytes: 1000 }, calls);
    for (let i = 0; i < 5; i++) {
      c.activity();
      await sleep(10);
    }
    expect(calls.n).to.equal(0);
    await sleep(60);
    expect(calls.n).to.equal(1);
    c.stop();
  });

  it('does not collect when the heap has little free space, and spaces collections by the interval', async () => {
    const calls = { n: 0 };
    const slack = { bytes: 10 };
    const c = collector(slack, calls);
    c.activity();
    await sleep(60);
    expect(calls.n).to.equal(0);
    slack.bytes = 1000;
    c.activity();
    await sleep(60);
    expect(calls.n).to.equal(1);
    c.activity(); // right after a collection: waits for the interval, not only the quiet time
    await sleep(60);
    expect(calls.n).to.equal(1);
    await sleep(120);
    expect(calls.n).to.equal(2);
    c.stop();
  });

  it('reaches V8’s full collection, which frees unreachable memory', async () => {
    const gc = fullGarbageCollection();
    expect(gc).to.be.a('function');
    const ref = new WeakRef({ payload: new Array(1000).fill('x') });
    await sleep(0); // a WeakRef's target lives at least until the current job ends
    gc?.();
    expect(ref.deref()).to.equal(undefined);
  });
});
