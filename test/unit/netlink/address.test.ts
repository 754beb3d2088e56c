// Address text ↔ netlink bytes, shared by the IPVS and rtnetlink codecs.
import { expect } from 'chai';
import fc from 'fast-check';
import { addressFromBytes, addressToBytes } from '../../../src/netlink/address.js';

describe('netlink addresses', () => {
  it('turns plain addresses into network-order bytes and back to canonical text', () => {
    expect([...(addressToBytes(4, '10.96.0.1') ?? [])]).to.deep.equal([10, 96, 0, 1]);
    expect(addressToBytes(6, 'fd00::a')?.toString('hex')).to.equal('fd00000000000000000000000000000a');
    expect(addressFromBytes(Buffer.from([192, 168, 0, 10]))).to.equal('192.168.0.10');
    expect(addressFromBytes(Buffer.from('fd00000000000000000000000000000a', 'hex'))).to.equal('fd00::a');
  });

  it('refuses what is not a plain address of the family', () => {
    for (const [family, text] of [[4, '10.96.1'], [4, '1.2.3.4.5'], [4, 'fd00::1'], [4, '256.1.1.1'], [6, '10.0.0.1'], [6, 'fe80::1%eth0'], [6, 'fd00::g']] as const) {
      expect(addressToBytes(family, text), `${family} ${text}`).to.equal(undefined);
    }
  });

  it('round-trips any address', () => {
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 })), (raw) => {
      const bytes = Buffer.from(raw);
      const text = addressFromBytes(bytes);
      expect(addressToBytes(bytes.length === 4 ? 4 : 6, text)?.equals(bytes)).to.equal(true);
    }));
  });
});
