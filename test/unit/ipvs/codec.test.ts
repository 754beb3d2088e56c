import { expect } from 'chai';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import {
  decodeConfigReply,
  decodeDestReply,
  decodeInfoReply,
  decodeRealServer,
  decodeServiceReply,
  decodeVirtualServer,
  delDestMessage,
  delServiceMessage,
  encodeDestAttr,
  encodeServiceAttr,
  newDestMessage,
  newServiceMessage,
  setConfigMessage,
} from '../../../src/ipvs/codec.js';
import { operationKey, operationName } from '../../../src/ipvs/kernel.js';
import { NlmFlags, attr, attrBe16, attrNested, attrString, attrU16, attrU32, attrU64, decodeAttrs, encodeNlmsg } from '../../../src/netlink/codec.js';
import type { ForwardMethod, RealServer, VirtualServer } from '../../../src/model/index.js';

const vs80: VirtualServer = { family: 4, protocol: 'TCP', address: '10.96.0.1', port: 80, fwmark: 0, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff };
const rs: RealServer = { family: 4, address: '10.244.0.5', port: 8080, forward: 'masq', weight: 3, upperThreshold: 0, lowerThreshold: 0 };
const clean = (s: string): string => s.replace(/\s+/g, '');
const nested = (b: Buffer): Buffer => decodeAttrs(b).get(b.readUInt16LE(2) & 0x3fff) ?? Buffer.alloc(0);

describe('IPVS codec', () => {
  it('encodes NEW_SERVICE TCP 10.96.0.1:80 rr byte for byte as protocol.md §2.11', () => {
    const m = newServiceMessage(0x1d, vs80);
    const wire = encodeNlmsg(m.type, m.flags | NlmFlags.request | NlmFlags.ack, 7, 0, m.payload);
    expect(wire.toString('hex')).to.equal(
      clean(`5c000000 1d00 0500 07000000 00000000
             01 01 0000
             4800 0100
             0600 0100 0200 0000
             0600 0200 0600 0000
             0800 0300 0a600001
             0600 0400 0050 0000
             0700 0600 727200 00
             0c00 0700 00000000 ffffffff
             0800 0800 00000000
             0800 0900 ffffffff`),
    );
  });

  it('encodes NEW_DEST: service key only, then the full destination', () => {
    const m = newDestMessage(0x1d, vs80, rs);
    expect(m.payload.toString('hex')).to.equal(
      clean(`05 01 0000
             2400 0100  0600 0100 0200 0000  0600 0200 0600 0000  0800 0300 0a600001  0600 0400 0050 0000
             3400 0200  0800 0100 0af40005  0600 0200 1f90 0000  0800 0300 00000000  0800 0400 03000000
                        0800 0500 00000000  0800 0600 00000000`),
    );
  });

  it('encodes DEL_SERVICE and DEL_DEST with keys only', () => {
    expect(delServiceMessage(0x1d, vs80).payload.toString('hex')).to.equal(
      clean('03010000 2400 0100 0600 0100 0200 0000 0600 0200 0600 0000 0800 0300 0a600001 0600 0400 0050 0000'),
    );
    expect(delDestMessage(0x1d, vs80, rs).payload.subarray(4 + 36).toString('hex')).to.equal(clean('1400 0200 0800 0100 0af40005 0600 0200 1f90 0000'));
  });

  it('encodes a fwmark IPv6 service by AF+FWMARK, a /128 netmask as a plain u32, persistence and PE', () => {
    const fw: VirtualServer = { family: 6, protocol: 'TCP', address: '::', port: 0, fwmark: 0x4000, scheduler: 'sh', flags: 0x1 | 0x8 | 0x10, timeout: 10800, netmask: 128, persistenceEngine: 'sip' };
    const a = decodeAttrs(nested(encodeServiceAttr(fw, true)));
    expect([...a.keys()].sort((x, y) => x - y)).to.deep.equal([1, 5, 6, 7, 8, 9, 11]);
    expect(a.get(1)?.toString('hex')).to.equal('0a00');
    expect(a.get(5)?.toString('hex')).to.equal('00400000');
    expect(a.get(7)?.toString('hex')).to.equal('19000000ffffffff');
    expect(a.get(8)?.readUInt32LE(0)).to.equal(10800);
    expect(a.get(9)?.toString('hex')).to.equal('80000000');
    expect(a.get(11)?.toString('hex')).to.equal('73697000');
  });

  it('encodes an IPv4 netmask as big-endian mask bits and an IPv6 address as 16 bytes', () => {
    const a = decodeAttrs(nested(encodeServiceAttr({ ...vs80, netmask: 0xffffff00 }, true)));
    expect(a.get(9)?.toString('hex')).to.equal('ffffff00');
    const six = decodeAttrs(nested(encodeServiceAttr({ ...vs80, family: 6, address: 'fd00::1', protocol: 'UDP', port: 53, netmask: 128 }, true)));
    expect(six.get(3)?.toString('hex')).to.equal('fd000000000000000000000000000001');
    expect(six.get(2)?.toString('hex')).to.equal('1100');
    expect(six.get(4)?.toString('hex')).to.equal('0035');
  });

  it('maps forwarding methods to FWD_METHOD numbers, adds ADDR_FAMILY only across families', () => {
    const methods: Array<[ForwardMethod, number]> = [['masq', 0], ['local', 1], ['tunnel', 2], ['droute', 3], ['bypass', 4]];
    for (const [forward, n] of methods) {
      expect(decodeAttrs(nested(encodeDestAttr({ ...rs, forward }, 4, true))).get(3)?.readUInt32LE(0)).to.equal(n);
    }
    expect(decodeAttrs(nested(encodeDestAttr(rs, 4, true))).has(11)).to.equal(false);
    const cross = decodeAttrs(nested(encodeDestAttr({ ...rs, family: 6, address: 'fd00::5', forward: 'tunnel' }, 4, true)));
    expect(cross.get(11)?.toString('hex')).to.equal('0a00');
  });

  it('encodes SET_CONFIG timeouts as u32 seconds', () => {
    expect(setConfigMessage(0x1d, { tcp: 900, tcpFin: 120, udp: 0 }).payload.toString('hex')).to.equal(
      clean('0c010000 0800 0400 84030000 0800 0500 78000000 0800 0600 00000000'),
    );
  });

  it('decodes a kernel GET_SERVICE reply: 16-byte ADDR, HASHED dropped, STATS64 preferred', () => {
    const stats = (w: (t: number, v: number) => Buffer): Buffer => attrNested(0, [w(1, 5), w(2, 6), w(3, 7), w(4, 800), w(5, 900)]).subarray(4);
    const svc = attrNested(1, [
      attrU16(1, 2),
      attrU16(2, 17),
      attr(3, Buffer.from('0a60000a000000000000000000000000', 'hex')),
      attrBe16(4, 53),
      attrString(6, 'wrr'),
      attr(7, Buffer.from('03000000ffffffff', 'hex')),
      attrU32(8, 300),
      attr(9, Buffer.from('ffffffff', 'hex')),
      attr(10, stats((t, v) => (t >= 4 ? attrU64(t, BigInt(v)) : attrU32(t, v)))),
      attr(12, stats((t, v) => attrU64(t, BigInt(v) + 1n))),
    ]);
    const status = decodeServiceReply(Buffer.concat([Buffer.from([1, 1, 0, 0]), svc]));
    expect(status.server).to.deep.equal({ family: 4, protocol: 'UDP', address: '10.96.0.10', port: 53, fwmark: 0, scheduler: 'wrr', flags: 1, timeout: 300, netmask: 0xffffffff });
    expect(status.stats).to.deep.equal({ connections: 6n, packetsIn: 7n, packetsOut: 8n, bytesIn: 801n, bytesOut: 901n });
  });

  it('decodes a GET_DEST reply: signed weight, counters apart from identity, STATS when no STATS64', () => {
    const dest = attrNested(2, [
      attr(1, Buffer.from('fd000000000000000000000000000005', 'hex')),
      attrBe16(2, 8443),
      attrU32(3, 0x3),
      attrU32(4, 0),
      attrU32(5, 100),
      attrU32(6, 10),
      attrU32(7, 4),
      attrU32(8, 5),
      attrU32(9, 6),
      attr(10, attrNested(0, [attrU32(1, 9), attrU64(4, 1234n)]).subarray(4)),
      attrU16(11, 10),
    ]);
    const status = decodeDestReply(Buffer.concat([Buffer.from([5, 1, 0, 0]), dest]), 6);
    expect(status.server).to.deep.equal({ family: 6, address: 'fd00::5', port: 8443, forward: 'droute', weight: 0, upperThreshold: 100, lowerThreshold: 10 });
    expect([status.activeConnections, status.inactiveConnections, status.persistentConnections]).to.deep.equal([4, 5, 6]);
    expect(status.stats).to.deep.equal({ connections: 9n, packetsIn: 0n, packetsOut: 0n, bytesIn: 1234n, bytesOut: 0n });
  });

  it('decodes GET_INFO and GET_CONFIG replies', () => {
    expect(decodeInfoReply(Buffer.concat([Buffer.from([14, 1, 0, 0]), attrU32(1, 0x010201), attrU32(2, 4096)]))).to.deep.equal({ version: '1.2.1', connectionTableSize: 4096 });
    expect(decodeConfigReply(Buffer.concat([Buffer.from([12, 1, 0, 0]), attrU32(4, 900), attrU32(5, 120), attrU32(6, 300)]))).to.deep.equal({ tcp: 900, tcpFin: 120, udp: 300 });
  });

  it('names operations and keys for errors', () => {
    expect(operationName({ kind: 'addRealServer', virtualServer: vs80, realServer: rs })).to.equal('ipvs.addRealServer');
    expect(operationKey({ kind: 'addRealServer', virtualServer: vs80, realServer: rs })).to.equal('TCP/10.96.0.1:80 -> 10.244.0.5:8080');
    expect(operationKey({ kind: 'deleteVirtualServer', virtualServer: vs80 })).to.equal('TCP/10.96.0.1:80');
  });

  const canonical = (a: string): string => ipaddr.parse(a).toString();
  const arbVirtualServer: fc.Arbitrary<VirtualServer> = fc
    .record({
      family: fc.constantFrom<4 | 6>(4, 6),
      v4: fc.ipV4(),
      v6: fc.ipV6(),
      protocol: fc.constantFrom<'TCP' | 'UDP' | 'SCTP'>('TCP', 'UDP', 'SCTP'),
      port: fc.integer({ min: 0, max: 65535 }),
      fwmark: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 0xffffffff })),
      scheduler: fc.constantFrom('rr', 'wrr', 'lc', 'wlc', 'sh', 'mh', 'sed', 'nq'),
      flags: fc.subarray([0x1, 0x4, 0x8, 0x10, 0x20]).map((bits) => bits.reduce((a, b) => a | b, 0)),
      timeout: fc.integer({ min: 0, max: 0xffffffff }),
      mask4: fc.integer({ min: 0, max: 0xffffffff }),
      prefix6: fc.integer({ min: 1, max: 128 }),
      pe: fc.option(fc.constant('sip'), { nil: undefined }),
    })
    .map((r) => {
      const base = {
        family: r.family,
        protocol: r.fwmark ? ('TCP' as const) : r.protocol,
        address: r.fwmark ? (r.family === 4 ? '0.0.0.0' : '::') : canonical(r.family === 4 ? r.v4 : r.v6),
        port: r.fwmark ? 0 : r.port,
        fwmark: r.fwmark,
        scheduler: r.scheduler,
        flags: r.flags,
        timeout: r.timeout,
        netmask: r.family === 4 ? r.mask4 : r.prefix6,
      };
      return r.pe === undefined ? base : { ...base, persistenceEngine: r.pe };
    });

  it('round-trips any virtual server through encode and decode (property)', () => {
    fc.assert(
      fc.property(arbVirtualServer, (vs) => {
        expect(decodeVirtualServer(nested(encodeServiceAttr(vs, true))).server).to.deep.equal(vs);
      }),
    );
  });

  it('round-trips any real server through encode and decode (property)', () => {
    const arbRealServer = fc.record({
      family: fc.constantFrom<4 | 6>(4, 6),
      v4: fc.ipV4(),
      v6: fc.ipV6(),
      port: fc.integer({ min: 0, max: 65535 }),
      forward: fc.constantFrom<ForwardMethod>('masq', 'local', 'tunnel', 'droute', 'bypass'),
      weight: fc.integer({ min: 0, max: 0x7fffffff }),
      upper: fc.integer({ min: 0, max: 0xffffffff }),
      lower: fc.integer({ min: 0, max: 0xffffffff }),
      serviceFamily: fc.constantFrom<4 | 6>(4, 6),
    });
    fc.assert(
      fc.property(arbRealServer, (r) => {
        const server: RealServer = { family: r.family, address: canonical(r.family === 4 ? r.v4 : r.v6), port: r.port, forward: r.forward, weight: r.weight, upperThreshold: r.upper, lowerThreshold: r.lower };
        expect(decodeRealServer(nested(encodeDestAttr(server, r.serviceFamily, true)), r.serviceFamily).server).to.deep.equal(server);
      }),
    );
  });
});
