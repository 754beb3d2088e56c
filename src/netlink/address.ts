// IP addresses as netlink carries them (network-order bytes) and as the model writes them (canonical
// text), for the IPVS and rtnetlink codecs alike.
import ipaddr from 'ipaddr.js';
import { ipv4Octets } from '../model/index.js';

/**
 * Address text → its 4 or 16 network-order bytes, or undefined when the text is not a plain address
 * of that family (no zone index, no short or octal IPv4 forms).
 */
export function addressToBytes(family: 4 | 6, text: string): Buffer | undefined {
  if (family === 4) {
    const octets = ipv4Octets(text); // the common case, without ipaddr.js's general parser
    if (octets !== undefined) return Buffer.from(octets);
    if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return undefined;
    return Buffer.from(ipaddr.IPv4.parse(text).toByteArray());
  }
  if (!ipaddr.IPv6.isValid(text) || text.includes('%')) return undefined;
  return Buffer.from(ipaddr.IPv6.parse(text).toByteArray());
}

/** 4 or 16 network-order bytes → canonical text (IPv4 dotted quad, IPv6 RFC 5952). */
export function addressFromBytes(bytes: Buffer): string {
  return ipaddr.fromByteArray([...bytes]).toString();
}
