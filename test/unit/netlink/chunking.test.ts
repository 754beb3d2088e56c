import { expect } from 'chai';
import fc from 'fast-check';
import { planChunks, worstReplyTruesize } from '../../../src/netlink/chunking.js';

describe('batch chunking', () => {
  it('charges each message at least the measured ≈770 bytes of a bare ACK, plus the echoed request', () => {
    expect(worstReplyTruesize(0)).to.be.at.least(770);
    expect(worstReplyTruesize(200)).to.be.at.least(200 + 36 + 770);
    expect(worstReplyTruesize(4000)).to.be.greaterThan(worstReplyTruesize(200));
  });

  it('splits by the receive buffer: worst-case replies of a chunk stay within half of it', () => {
    const sizes = new Array<number>(10_000).fill(120);
    const chunks = planChunks(sizes, { receiveBufferBytes: 425_984, sendBufferBytes: 425_984 });
    expect(chunks[0]?.[0]).to.equal(0);
    expect(chunks.at(-1)?.[1]).to.equal(10_000);
    for (const [s, e] of chunks) expect((e - s) * worstReplyTruesize(120)).to.be.at.most(425_984 / 2);
    expect(chunks.length).to.be.greaterThan(1);
  });

  it('splits by the send buffer too, and honours a message cap', () => {
    const chunks = planChunks(new Array<number>(100).fill(1000), { receiveBufferBytes: 1 << 30, sendBufferBytes: 10_032 });
    expect(chunks.every(([s, e]) => (e - s) * 1000 <= 10_000)).to.equal(true);
    const capped = planChunks(new Array<number>(100).fill(100), { receiveBufferBytes: 1 << 30, sendBufferBytes: 1 << 30, maxMessages: 7 });
    expect(capped.map(([s, e]) => e - s)).to.deep.equal([...new Array<number>(14).fill(7), 2]);
  });

  it('always makes progress: a message bigger than every budget goes alone', () => {
    expect(planChunks([50, 100_000, 50], { receiveBufferBytes: 4096, sendBufferBytes: 4096 })).to.deep.equal([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
  });

  it('covers every message exactly once, in order, within budgets (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 20, max: 3000 }), { maxLength: 500 }), fc.integer({ min: 4096, max: 1 << 24 }), (sizes, rcv) => {
        const chunks = planChunks(sizes, { receiveBufferBytes: rcv, sendBufferBytes: rcv });
        let next = 0;
        for (const [s, e] of chunks) {
          expect(s).to.equal(next);
          expect(e).to.be.greaterThan(s);
          const part = sizes.slice(s, e);
          if (part.length > 1) {
            expect(part.reduce((a, b) => a + worstReplyTruesize(b), 0)).to.be.at.most(rcv / 2);
            expect(part.reduce((a, b) => a + b, 0)).to.be.at.most(rcv - 32);
          }
          next = e;
        }
        expect(next).to.equal(sizes.length);
      }),
    );
  });
});
