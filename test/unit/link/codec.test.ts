import { expect } from 'chai';
import {
  RtnetlinkDecodeError,
  addressBytes,
  addressLinkIndex,
  decodeAddress,
  decodeLink,
  encodeAddressDump,
  encodeDelAddress,
  encodeLinkByName,
  encodeLinkDump,
  encodeNewAddress,
  encodeNewLink,
  invalidAddressReason,
  isValidLinkName,
} from '../../../src/link/codec.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('rtnetlink codec', () => {
  describe('links', () => {
    it('encodes RTM_NEWLINK for a dummy kube-ipvs0 byte for byte', () => {
      expect(encodeNewLink('kube-ipvs0', 'dummy').toString('hex')).to.equal(
        hex(`
          00 00 0000 00000000 00000000 00000000
          0f00 0300 6b7562652d69707673300000
          1000 1200  0a00 0100 64756d6d7900 0000
        `).toString('hex'),
      );
    });

    it('encodes a by-name GETLINK/DELLINK and an empty dump request', () => {
      expect(encodeLinkByName('eth0').toString('hex')).to.equal('00'.repeat(16) + '0900030065746830' + '00000000');
      expect(encodeLinkDump().toString('hex')).to.equal('00'.repeat(16));
    });

    it('decodes a link reply with LINKINFO (nested flag set) and one without', () => {
      const dummy = hex(`
        00 00 0100 07000000 82000000 00000000
        0f00 0300 6b7562652d69707673300000
        0800 0d00 e8030000
        1000 1280  0a00 0100 64756d6d7900 0000
      `);
      expect(decodeLink(dummy)).to.deep.equal({ index: 7, name: 'kube-ipvs0', kind: 'dummy', flags: 0x82, up: false });
      const lo = hex('00 00 0403 01000000 49000100 00000000  0700 0300 6c6f0000');
      expect(decodeLink(lo)).to.deep.equal({ index: 1, name: 'lo', kind: '', flags: 0x10049, up: true });
    });

    it('rejects truncated link replies with a decode error', () => {
      expect(() => decodeLink(Buffer.alloc(8))).to.throw(RtnetlinkDecodeError);
      expect(() => decodeLink(hex('00 00 0000 01000000 00000000 00000000 0800 0300 6c6f'))).to.throw(RtnetlinkDecodeError);
      expect(() => decodeLink(Buffer.alloc(16))).to.throw(RtnetlinkDecodeError, /IFLA_IFNAME/);
    });

    it('accepts kernel link names and refuses what the kernel would', () => {
      expect(isValidLinkName('kube-ipvs0')).to.equal(true);
      expect(isValidLinkName('a'.repeat(15))).to.equal(true);
      for (const bad of ['', 'a'.repeat(16), 'a b', 'a/b', 'a:b', '.', '..']) expect(isValidLinkName(bad), bad).to.equal(false);
    });
  });

  describe('addresses', () => {
    it('encodes an IPv4 /32 add with IFA_LOCAL and IFA_ADDRESS', () => {
      expect(encodeNewAddress(7, { family: 4, address: '10.96.0.1', prefixLength: 32 }).toString('hex')).to.equal(
        hex('02 20 00 00 07000000  0800 0200 0a600001  0800 0100 0a600001').toString('hex'),
      );
    });

    it('encodes an IPv6 /128 add with IFA_ADDRESS and IFA_FLAGS = NODAD', () => {
      expect(encodeNewAddress(7, { family: 6, address: 'fd00:10:96::a', prefixLength: 128 }).toString('hex')).to.equal(
        hex(`
          0a 80 00 00 07000000
          1400 0100 fd000010 00960000 00000000 0000000a
          0800 0800 02000000
        `).toString('hex'),
      );
    });

    it('encodes deletes with the same key and no flags', () => {
      expect(encodeDelAddress(258, { family: 4, address: '192.168.1.2', prefixLength: 32 }).toString('hex')).to.equal(
        hex('02 20 00 00 02010000  0800 0200 c0a80102  0800 0100 c0a80102').toString('hex'),
      );
      expect(encodeDelAddress(7, { family: 6, address: '::1', prefixLength: 128 }).toString('hex')).to.equal(
        hex('0a 80 00 00 07000000  1400 0100 00000000 00000000 00000000 00000001').toString('hex'),
      );
    });

    it('encodes dump requests with the family filter', () => {
      expect(encodeAddressDump().toString('hex')).to.equal('0000000000000000');
      expect(encodeAddressDump(4).toString('hex')).to.equal('0200000000000000');
      expect(encodeAddressDump(6).toString('hex')).to.equal('0a00000000000000');
    });

    it('decodes an IPv4 reply from IFA_LOCAL (not the peer IFA_ADDRESS)', () => {
      const reply = hex(`
        02 20 80 00 07000000
        0800 0100 0a0a0a0a
        0800 0200 0a600001
        0f00 0300 6b7562652d69707673300000
        0800 0800 80000000
      `);
      expect(decodeAddress(reply)).to.deep.equal({ family: 4, address: '10.96.0.1', prefixLength: 32, linkIndex: 7, flags: 0x80, scope: 0 });
    });

    it('decodes an IPv6 reply into RFC 5952 text, with 32-bit IFA_FLAGS over the u8', () => {
      const reply = hex(`
        0a 80 00 00 09000000
        1400 0100 fd000000 00000000 00000000 00000001
        0800 0800 82000000
      `);
      expect(decodeAddress(reply)).to.deep.equal({ family: 6, address: 'fd00::1', prefixLength: 128, linkIndex: 9, flags: 0x82, scope: 0 });
      const noFlags = hex('0a 40 c0 fd 09000000  1400 0100 fe800000 00000000 00000000 00000001');
      expect(decodeAddress(noFlags)).to.include({ address: 'fe80::1', prefixLength: 64, flags: 0xc0, scope: 253 });
    });

    it('reads the link of an address reply before decoding it, and refuses one too short for it', () => {
      expect(addressLinkIndex(hex('0a 80 00 00 09000000  1400 0100 fd000000 00000000 00000000 00000001'))).to.equal(9);
      expect(addressLinkIndex(hex('11 00 00 00 2a000000'))).to.equal(42);
      expect(() => addressLinkIndex(hex('02 20 00 00'))).to.throw(RtnetlinkDecodeError);
    });

    it('skips other families and rejects malformed address replies', () => {
      expect(decodeAddress(hex('11 00 00 00 01000000'))).to.equal(undefined);
      expect(() => decodeAddress(hex('02 20 00 00'))).to.throw(RtnetlinkDecodeError);
      expect(() => decodeAddress(hex('02 20 00 00 01000000 0600 0200 0a60'))).to.throw(RtnetlinkDecodeError);
      expect(() => decodeAddress(hex('0a 80 00 00 01000000'))).to.throw(RtnetlinkDecodeError);
    });

    it('round-trips its own encoding through the decoder', () => {
      for (const a of [
        { family: 4 as const, address: '10.96.255.254', prefixLength: 32 },
        { family: 6 as const, address: '2001:db8::8:800:200c:417a', prefixLength: 128 },
      ]) {
        expect(decodeAddress(encodeNewAddress(3, a))).to.include({ ...a, linkIndex: 3 });
      }
    });

    it('says why address input is unusable', () => {
      expect(invalidAddressReason({ family: 4, address: '10.0.0.1', prefixLength: 32 })).to.equal(undefined);
      expect(invalidAddressReason({ family: 4, address: '10.1', prefixLength: 32 })).to.match(/not an IPv4/);
      expect(invalidAddressReason({ family: 4, address: 'fd00::1', prefixLength: 32 })).to.match(/not an IPv4/);
      expect(invalidAddressReason({ family: 6, address: '10.0.0.1', prefixLength: 128 })).to.match(/not an IPv6/);
      expect(invalidAddressReason({ family: 6, address: 'fe80::1%eth0', prefixLength: 128 })).to.match(/not an IPv6/);
      expect(invalidAddressReason({ family: 4, address: '10.0.0.1', prefixLength: 33 })).to.match(/prefix/);
      expect(addressBytes(6, '::ffff:10.0.0.1')?.toString('hex')).to.equal('00000000000000000000ffff0a000001');
    });
  });
});
