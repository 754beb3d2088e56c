// Address parsing: canonical text for what the API server accepts, undefined for anything else.
import { expect } from 'chai';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { inCidrs, parseCidr, parseCidrs, parseIp } from '../../../src/core/index.js';
import { ipv4Octets, ipv4Value } from '../../../src/model/index.js';

describe('core: ip', () => {
  it('canonicalises IPv4 and IPv6 text', () => {
    expect(parseIp('10.96.0.1')).to.deep.equal({ family: 4, address: '10.96.0.1' });
    expect(parseIp('FD00:0:0:0::0A')).to.deep.equal({ family: 6, address: 'fd00::a' });
  });
  it('refuses non-addresses, odd IPv4 forms, zones and IPv4-mapped IPv6', () => {
    for (const t of ['', 'None', '10.96.0', '010.0.0.1', '0x0a000001', '10.0.0.256', 'fe80::1%eth0', '::ffff:10.0.0.1', 'x::1']) expect(parseIp(t), t).to.equal(undefined);
  });
  it('reads dotted quads as ipaddr.js does, without allocating for a check', () => {
    fc.assert(
      fc.property(fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)), (octets) => {
        const text = octets.join('.');
        expect(ipv4Octets(text)).to.deep.equal(octets);
        expect(ipv4Value(text)).to.equal(ipaddr.IPv4.parse(text).toByteArray().reduce((v, b) => v * 256 + b, 0));
      }),
    );
    for (const t of ['10.96.0', '10.96.0.1.2', '010.0.0.1', '10.0.0.256', '10..0.1', '1.2.3.4 ', 'a.b.c.d']) {
      expect(ipv4Value(t), t).to.equal(-1);
      expect(ipv4Octets(t), t).to.equal(undefined);
    }
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
