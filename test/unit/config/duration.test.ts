// Go duration syntax as kube-proxy accepts it, and Go's rendering of it.
import { expect } from 'chai';
import fc from 'fast-check';
import { formatGoDuration, parseGoDuration } from '../../../src/config/index.js';

describe('config/duration', () => {
  const valid: Array<[string, number]> = [
    ['0', 0],
    ['0s', 0],
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['250ns', 0.00025],
    ['-5s', -5000],
    ['+5s', 5000],
    ['.5s', 500],
  ];
  for (const [text, ms] of valid) {
    it(`reads ${JSON.stringify(text)} as ${ms} ms`, () => {
      expect(parseGoDuration(text)).to.be.closeTo(ms, 1e-9);
    });
  }

  for (const text of ['', 'abc', '30', '1d', 's', '1m30', '--1s', '1 s', '1s ', 'ms5']) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      expect(parseGoDuration(text)).to.equal(undefined);
    });
  }

  it('renders like Go', () => {
    expect(formatGoDuration(0)).to.equal('0s');
    expect(formatGoDuration(30_000)).to.equal('30s');
    expect(formatGoDuration(90_000)).to.equal('1m30s');
    expect(formatGoDuration(3_600_000)).to.equal('1h0m0s');
    expect(formatGoDuration(500)).to.equal('500ms');
    expect(formatGoDuration(1500)).to.equal('1.5s');
    expect(formatGoDuration(0.5)).to.equal('500µs');
  });

  it('reads back what it renders, for any whole-millisecond duration', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e10, max: 1e10 }), (ms) => {
        expect(parseGoDuration(formatGoDuration(ms))).to.be.closeTo(ms, 1e-6);
      }),
    );
  });
});
