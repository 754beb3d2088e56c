// IP text → family and canonical text (ipaddr.js), and CIDR membership, for objects read from the API.
// Strict: four-part decimal IPv4 only, no zone ids — anything else is not an address we program.
import ipaddr from 'ipaddr.js';
import { ipv4Value, type IpFamily } from '../model/index.js';

export interface ParsedIp {
  readonly family: IpFamily;
  /** canonical text: IPv4 dotted decimal, IPv6 RFC 5952 */
  readonly address: string;
}

export interface Cidr {
  readonly family: IpFamily;
  readonly text: string;
  readonly range: [ipaddr.IPv4 | ipaddr.IPv6, number];
}

/** Parses an address as the API server would accept it; undefined when it is not one. */
export function parseIp(text: string | undefined): ParsedIp | undefined {
  if (text === undefined || text === '') return undefined;
  // canonical dotted quad (the usual case) is its own canonical text
  if (ipv4Value(text) >= 0) return { family: 4, address: text };
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return { family: 4, address: ipaddr.IPv4.parse(text).toString() };
  if (!text.includes(':') || text.includes('%') || !ipaddr.IPv6.isValid(text)) return undefined;
  const v6 = ipaddr.IPv6.parse(text);
  // an IPv4-mapped IPv6 address is neither family's ClusterIP/endpoint in Kubernetes
  if (v6.isIPv4MappedAddress()) return undefined;
  return { family: 6, address: v6.toString() };
}

/** Parses "10.0.0.0/8" or "fd00::/64"; undefined when it is not a CIDR. */
export function parseCidr(text: string): Cidr | undefined {
  if (!ipaddr.isValidCIDR(text)) return undefined;
  const [addr, bits] = ipaddr.parseCIDR(text);
  if (addr.kind() === 'ipv4' && !ipaddr.IPv4.isValidCIDRFourPartDecimal(text)) return undefined;
  return { family: addr.kind() === 'ipv4' ? 4 : 6, text, range: [addr, bits] };
}

/** Parses a list of CIDRs; throws naming the first bad one (configuration is checked at start). */
export function parseCidrs(texts: readonly string[]): Cidr[] {
  return texts.map((t) => {
    const c = parseCidr(t.trim());
    if (!c) throw new Error(`not a CIDR: ${JSON.stringify(t)}`);
    return c;
  });
}

/** True when `address` (canonical text of `family`) lies inside one of `cidrs`. */
export function inCidrs(family: IpFamily, address: string, cidrs: readonly Cidr[]): boolean {
  if (cidrs.length === 0) return false;
  const addr = ipaddr.parse(address);
  return cidrs.some((c) => c.family === family && addr.kind() === c.range[0].kind() && addr.match(c.range));
}
