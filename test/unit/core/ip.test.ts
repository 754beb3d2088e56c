// Address parsing: canonical text for what the API server accepts, undefined for anything else.
import { expect } from 'chai';
import { inCidrs, parseCidr, parseCidrs, parseIp } from '../../../src/core/index.js';

describe('core: ip', () => {
  it('canonicalises IPv4 and IPv6 text', () => {
    expect(parseIp('10.96.0.1')).to.deep.equal({ family: 4, address: '10.96.0.1' });
    expect(parseIp('FD00:0:0:0::0A')).to.deep.equal({ family: 6, address: 'fd00::a' });
  });
  it('refuses non-addresses, odd IPv4 forms, zones and IPv4-mapped IPv6', () => {
    for (const t of ['', 'None', '10.96.0', '010.0.0.1', '0x0a000001', '10.0.0.256', 'fe80::1%eth0', '::ffff:10.0.0.1', 'x::1']) expect(parseIp(t), t).to.equal(undefined);
  });
  it('matches addresses against CIDRs of their family only', () => {
    const cidrs = parseCidrs(['10.96.0.0/16', 'fd00::/64']);
    expect(inCidrs(4, '10.96.3.4', cidrs)).to.equal(true);
    expect(inCidrs(4, '10.97.0.1', cidrs)).to.equal(false);
    expect(inCidrs(6, 'fd00::5', cidrs)).to.equal(true);
    expect(inCidrs(6, 'fd01::5', cidrs)).to.equal(false);
    expect(parseCidr('10.0.0.0/33')).to.equal(undefined);
    expect(() => parseCidrs(['10.0.0.0/8', 'bogus'])).to.throw(/bogus/);
  });
});
