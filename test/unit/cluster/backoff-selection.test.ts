// Restart delays (exponential, capped, jittered) and which Services this proxy serves.
import { expect } from 'chai';
import { Backoff, isServedByUs, serviceLabelSelector } from '../../../src/cluster/index.js';

describe('cluster backoff', () => {
  it('doubles the ceiling per attempt up to the cap, with delays between half and all of it', () => {
    const low = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0);
    expect([1, 2, 3, 4, 5, 6].map(() => low.next())).to.deep.equal([50, 100, 200, 400, 500, 500]);
    const high = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 1);
    expect([1, 2, 3, 4, 5, 6].map(() => high.next())).to.deep.equal([100, 200, 400, 800, 1000, 1000]);
    high.reset();
    expect(high.attempt).to.equal(0);
    expect(high.next()).to.equal(100);
  });

  it('defaults to 500 ms doubling to 30 s', () => {
    const b = new Backoff({}, () => 1);
    const delays = Array.from({ length: 12 }, () => b.next());
    expect(delays[0]).to.equal(500);
    expect(delays.at(-1)).to.equal(30_000);
  });
});

describe('cluster service selection', () => {
  const headless = { 'service.kubernetes.io/headless': '' };
  const other = { 'service.kubernetes.io/service-proxy-name': 'other' };
  const ours = { 'service.kubernetes.io/service-proxy-name': 'ours' };

  it('without a proxy name serves only unclaimed, non-headless Services', () => {
    expect(serviceLabelSelector(undefined)).to.equal('!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless');
    expect([undefined, {}, headless, other, ours].map((l) => isServedByUs(l, undefined))).to.deep.equal([true, true, false, false, false]);
  });

  it('with a proxy name also serves the Services claimed by that name', () => {
    expect(serviceLabelSelector('ours')).to.equal('!service.kubernetes.io/headless');
    expect([{}, headless, other, ours, { ...ours, ...headless }].map((l) => isServedByUs(l, 'ours'))).to.deep.equal([true, false, false, true, false]);
  });
});
