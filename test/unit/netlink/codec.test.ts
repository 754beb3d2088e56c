import { expect } from 'chai';
import fc from 'fast-check';
import {
  NlmFlags,
  align4,
  attr,
  attrBe16,
  attrNested,
  attrString,
  attrU16,
  attrU32,
  attrU64,
  attrU8,
  decodeAttrList,
  decodeAttrs,
  decodeNlmsgError,
  decodeNlmsgs,
  encodeNlmsg,
  readBe16,
  readString,
  readU16,
  readU32,
  readU64,
  readU8,
} from '../../../src/netlink/codec.js';

const hex = (b: Buffer): string => b.toString('hex');

describe('netlink codec', () => {
  it('encodes an nlmsghdr in host order with the payload padded to 4 bytes', () => {
    const m = encodeNlmsg(0x1d, NlmFlags.request | NlmFlags.ack, 7, 0x01020304, Buffer.from([0xaa, 0xbb, 0xcc]));
    expect(hex(m)).to.equal('13000000' + '1d00' + '0500' + '07000000' + '04030201' + 'aabbcc' + '00');
  });

  it('decodes several messages of one datagram, skipping the padding', () => {
    const a = encodeNlmsg(2, 0, 1, 9, Buffer.from([1]));
    const b = encodeNlmsg(3, NlmFlags.multi, 2, 9, Buffer.from([1, 2, 3, 4]));
    const msgs = decodeNlmsgs(Buffer.concat([a, b]));
    expect(msgs.map((m) => [m.header.type, m.header.flags, m.header.seq, m.header.pid, hex(m.payload)])).to.deep.equal([
      [2, 0, 1, 9, '01'],
      [3, 2, 2, 9, '01020304'],
    ]);
  });

  it('rejects a header whose length runs past the datagram', () => {
    const m = encodeNlmsg(2, 0, 1, 0, Buffer.alloc(8));
    m.writeUInt32LE(100, 0);
    expect(() => decodeNlmsgs(m)).to.throw(RangeError);
  });

  it('decodes NLMSG_ERROR: negative error to positive errno, echoed request header', () => {
    const payload = Buffer.alloc(20);
    payload.writeInt32LE(-17, 0);
    payload.writeUInt32LE(92, 4);
    payload.writeUInt16LE(0x1d, 8);
    payload.writeUInt16LE(5, 10);
    payload.writeUInt32LE(7, 12);
    const e = decodeNlmsgError(payload);
    expect(e.errno).to.equal(17);
    expect(e.request).to.deep.equal({ length: 92, type: 0x1d, flags: 5, seq: 7, pid: 0 });
    expect(decodeNlmsgError(Buffer.alloc(4)).errno).to.equal(0);
  });

  it('encodes integer attributes in host order, be16 in network order, strings with NUL', () => {
    expect(hex(attrU8(13, 2))).to.equal('05000d00' + '02000000');
    expect(hex(attrU16(1, 2))).to.equal('06000100' + '02000000');
    expect(hex(attrBe16(4, 80))).to.equal('06000400' + '00500000');
    expect(hex(attrU32(8, 0x01020304))).to.equal('08000800' + '04030201');
    expect(hex(attrU64(4, 0x0102030405060708n))).to.equal('0c000400' + '0807060504030201');
    expect(hex(attrString(6, 'rr'))).to.equal('07000600' + '72720000');
    expect(hex(attrString(6, 'wlc'))).to.equal('08000600' + '776c6300');
  });

  it('nests attributes, with NLA_F_NESTED only when asked', () => {
    const inner = [attrU16(1, 2), attrU32(5, 1)];
    expect(hex(attrNested(1, inner))).to.equal('14000100' + '0600010002000000' + '0800050001000000');
    expect(hex(attrNested(1, inner, true)).slice(4, 8)).to.equal('0180');
  });

  it('decodes attributes, strips NLA_F_NESTED/NET_BYTEORDER from the type', () => {
    const buf = Buffer.concat([attrNested(1, [attrU16(1, 10)], true), attrBe16(4 | 0x4000, 443), attrString(6, 'sh')]);
    const list = decodeAttrList(buf);
    expect(list.map((a) => [a.type, a.nested])).to.deep.equal([
      [1, true],
      [4, false],
      [6, false],
    ]);
    const map = decodeAttrs(buf);
    expect(readU16(decodeAttrs(map.get(1) ?? Buffer.alloc(0)).get(1) ?? Buffer.alloc(0))).to.equal(10);
    expect(readBe16(map.get(4) ?? Buffer.alloc(0))).to.equal(443);
    expect(readString(map.get(6) ?? Buffer.alloc(0))).to.equal('sh');
  });

  it('rejects an attribute whose length runs past the buffer, and short integer reads', () => {
    const a = attrU32(1, 5);
    a.writeUInt16LE(40, 0);
    expect(() => decodeAttrList(a)).to.throw(RangeError);
    expect(() => readU32(Buffer.alloc(2))).to.throw(RangeError);
  });

  it('round-trips arbitrary integer and binary attributes (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.uint8Array({ maxLength: 40 }),
        fc.string({ maxLength: 15 }).filter((s) => !s.includes('\0')),
        (u8, u16, u32, u64, bytes, s) => {
          const buf = Buffer.concat([attrU8(1, u8), attrU16(2, u16), attrBe16(3, u16), attrU32(4, u32), attrU64(5, u64), attr(6, Buffer.from(bytes)), attrString(7, s)]);
          expect(buf.length % 4).to.equal(0);
          const m = decodeAttrs(buf);
          const get = (t: number): Buffer => m.get(t) ?? Buffer.alloc(0);
          expect(readU8(get(1))).to.equal(u8);
          expect(readU16(get(2))).to.equal(u16);
          expect(readBe16(get(3))).to.equal(u16);
          expect(readU32(get(4))).to.equal(u32);
          expect(readU64(get(5))).to.equal(u64);
          expect([...get(6)]).to.deep.equal([...bytes]);
          expect(readString(get(7))).to.equal(s);
        },
      ),
    );
  });

  it('aligns to 4', () => {
    expect([0, 1, 2, 3, 4, 5, 92].map(align4)).to.deep.equal([0, 4, 4, 4, 4, 8, 92]);
  });
});
