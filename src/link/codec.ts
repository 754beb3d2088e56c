// rtnetlink messages for links and addresses: pure encoders and decoders, no I/O.
// Bodies only (ifinfomsg/ifaddrmsg + attributes); the transport adds the 16-byte nlmsghdr.
import { addressFromBytes, addressToBytes } from '../netlink/address.js';
import { attr, attrString, attrU32, decodeAttrs, readString } from '../netlink/codec.js';

export const RtmType = {
  newLink: 16,
  delLink: 17,
  getLink: 18,
  newAddr: 20,
  delAddr: 21,
  getAddr: 22,
} as const;

export const AF_INET = 2;
export const AF_INET6 = 10;
export const IFF_UP = 0x1;

const IFLA_IFNAME = 3;
const IFLA_LINKINFO = 18;
const IFLA_INFO_KIND = 1;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_FLAGS = 8;
/** skip duplicate address detection so an IPv6 VIP is usable at once, never "tentative" */
export const IFA_F_NODAD = 0x2;
export const IFA_F_TENTATIVE = 0x40;

const IFINFOMSG_LEN = 16;
const IFADDRMSG_LEN = 8;

/** Thrown for a reply the decoder cannot make sense of (truncated or malformed). */
export class RtnetlinkDecodeError extends Error {
  override readonly name = 'RtnetlinkDecodeError';
}

// ---- attributes ---------------------------------------------------------------------------

/** Attributes of a buffer region, by type (NLA flag bits stripped); the last one of a type wins. */
export function parseAttributes(buf: Buffer, start = 0): Map<number, Buffer> {
  try {
    return new Map(decodeAttrs(buf.subarray(start)));
  } catch (e) {
    throw new RtnetlinkDecodeError(e instanceof Error ? e.message : String(e));
  }
}

// ---- links --------------------------------------------------------------------------------

/** IFNAMSIZ is 16 with the NUL: a longer name is refused by the kernel with EINVAL. */
export const MAX_LINK_NAME_LENGTH = 15;

export function isValidLinkName(name: string): boolean {
  return name.length > 0 && Buffer.byteLength(name) <= MAX_LINK_NAME_LENGTH && !/[\s/:\0]/.test(name) && name !== '.' && name !== '..';
}

function ifinfomsg(index: number, flags = 0, change = 0): Buffer {
  const b = Buffer.alloc(IFINFOMSG_LEN);
  // family 0 (AF_UNSPEC), pad, type 0
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags >>> 0, 8);
  b.writeUInt32LE(change >>> 0, 12);
  return b;
}

/** RTM_NEWLINK body creating a link of `kind` (send with CREATE|EXCL). The link starts DOWN. */
export function encodeNewLink(name: string, kind: string): Buffer {
  return Buffer.concat([ifinfomsg(0), attrString(IFLA_IFNAME, name), attr(IFLA_LINKINFO, attrString(IFLA_INFO_KIND, kind))]);
}

/** RTM_GETLINK (doit) or RTM_DELLINK body addressing a link by name (index 0 + IFLA_IFNAME). */
export function encodeLinkByName(name: string): Buffer {
  return Buffer.concat([ifinfomsg(0), attrString(IFLA_IFNAME, name)]);
}

/** RTM_GETLINK dump request body. */
export function encodeLinkDump(): Buffer {
  return ifinfomsg(0);
}

export interface DecodedLink {
  readonly index: number;
  readonly name: string;
  /** IFLA_INFO_KIND, '' when the link has no LINKINFO (lo, physical NICs) */
  readonly kind: string;
  /** ifinfomsg flags (IFF_*) */
  readonly flags: number;
  readonly up: boolean;
}

/** Decodes an RTM_NEWLINK payload (a dump part or a GETLINK doit reply). */
export function decodeLink(payload: Buffer): DecodedLink {
  if (payload.length < IFINFOMSG_LEN) throw new RtnetlinkDecodeError(`ifinfomsg too short (${payload.length} bytes)`);
  const index = payload.readInt32LE(4);
  const flags = payload.readUInt32LE(8);
  const attrs = parseAttributes(payload, IFINFOMSG_LEN);
  const nameAttr = attrs.get(IFLA_IFNAME);
  if (nameAttr === undefined) throw new RtnetlinkDecodeError(`link ${index} has no IFLA_IFNAME`);
  const linkinfo = attrs.get(IFLA_LINKINFO);
  const kindAttr = linkinfo === undefined ? undefined : parseAttributes(linkinfo).get(IFLA_INFO_KIND);
  return { index, name: readString(nameAttr), kind: kindAttr === undefined ? '' : readString(kindAttr), flags, up: (flags & IFF_UP) !== 0 };
}

// ---- addresses ----------------------------------------------------------------------------

export interface AddressSpec {
  readonly family: 4 | 6;
  readonly address: string;
  readonly prefixLength: number;
}

/** Address text → raw bytes, or undefined when the text is not a plain address of that family. */
export const addressBytes = addressToBytes;

/** Canonical text of raw address bytes (IPv4 dotted, IPv6 RFC 5952), as the model uses it. */
export const addressText = addressFromBytes;

function ifaddrmsg(family: 4 | 6, prefixLength: number, linkIndex: number): Buffer {
  const b = Buffer.alloc(IFADDRMSG_LEN);
  b.writeUInt8(family === 4 ? AF_INET : AF_INET6, 0);
  b.writeUInt8(prefixLength, 1);
  // flags 0 (IFA_FLAGS carries them), scope 0 = universe
  b.writeUInt32LE(linkIndex >>> 0, 4);
  return b;
}

/** Checks an address operation's input; returns why it is unusable, or undefined. */
export function invalidAddressReason(a: AddressSpec): string | undefined {
  if (a.family !== 4 && a.family !== 6) return `unknown family ${String(a.family)}`;
  const max = a.family === 4 ? 32 : 128;
  if (!Number.isInteger(a.prefixLength) || a.prefixLength < 0 || a.prefixLength > max) return `bad prefix length ${a.prefixLength}`;
  if (addressBytes(a.family, a.address) === undefined) return `not an IPv${a.family} address: ${JSON.stringify(a.address)}`;
  return undefined;
}

function addressBody(linkIndex: number, a: AddressSpec, withFlags: boolean): Buffer {
  const bytes = addressBytes(a.family, a.address);
  if (bytes === undefined) throw new RangeError(`not an IPv${a.family} address: ${JSON.stringify(a.address)}`);
  const parts = [ifaddrmsg(a.family, a.prefixLength, linkIndex)];
  if (a.family === 4) {
    // IFA_LOCAL is the interface's own address; IFA_ADDRESS the peer, equal on a non-p2p link
    parts.push(attr(IFA_LOCAL, bytes), attr(IFA_ADDRESS, bytes));
  } else {
    parts.push(attr(IFA_ADDRESS, bytes));
    if (withFlags) parts.push(attrU32(IFA_FLAGS, IFA_F_NODAD));
  }
  return Buffer.concat(parts);
}

/** RTM_NEWADDR body (send with CREATE|EXCL): v4 with LOCAL+ADDRESS, v6 with ADDRESS and NODAD. */
export function encodeNewAddress(linkIndex: number, a: AddressSpec): Buffer {
  return addressBody(linkIndex, a, true);
}

/** RTM_DELADDR body: the same key fields as the add, without flags. */
export function encodeDelAddress(linkIndex: number, a: AddressSpec): Buffer {
  return addressBody(linkIndex, a, false);
}

/** RTM_GETADDR dump request body; family 0 dumps both IPv4 and IPv6. */
export function encodeAddressDump(family: 0 | 4 | 6 = 0): Buffer {
  const b = Buffer.alloc(IFADDRMSG_LEN);
  b.writeUInt8(family === 4 ? AF_INET : family === 6 ? AF_INET6 : 0, 0);
  return b;
}

export interface DecodedAddress extends AddressSpec {
  readonly linkIndex: number;
  /** IFA_FLAGS when present (32-bit), else the ifaddrmsg u8 flags */
  readonly flags: number;
  readonly scope: number;
}

/**
 * The link an RTM_NEWADDR payload belongs to, read before anything else: a dump returns every
 * address in the namespace, and those of other links need not be decoded (nor their IPv6 text made).
 */
export function addressLinkIndex(payload: Buffer): number {
  if (payload.length < IFADDRMSG_LEN) throw new RtnetlinkDecodeError(`ifaddrmsg too short (${payload.length} bytes)`);
  return payload.readUInt32LE(4);
}

/** Decodes an RTM_NEWADDR payload; undefined for families other than IPv4/IPv6. */
export function decodeAddress(payload: Buffer): DecodedAddress | undefined {
  const linkIndex = addressLinkIndex(payload); // checks the ifaddrmsg's length too
  const af = payload.readUInt8(0);
  if (af !== AF_INET && af !== AF_INET6) return undefined;
  const family: 4 | 6 = af === AF_INET ? 4 : 6;
  const attrs = parseAttributes(payload, IFADDRMSG_LEN);
  // IPv4: IFA_LOCAL is the local address (IFA_ADDRESS is the peer on point-to-point links)
  const raw = (family === 4 ? attrs.get(IFA_LOCAL) : undefined) ?? attrs.get(IFA_ADDRESS);
  const want = family === 4 ? 4 : 16;
  if (raw?.length !== want) throw new RtnetlinkDecodeError(`IPv${family} address attribute missing or ${raw?.length ?? 0} bytes`);
  const flagsAttr = attrs.get(IFA_FLAGS);
  return {
    family,
    address: addressText(raw),
    prefixLength: payload.readUInt8(1),
    linkIndex,
    flags: flagsAttr !== undefined && flagsAttr.length >= 4 ? flagsAttr.readUInt32LE(0) : payload.readUInt8(2),
    scope: payload.readUInt8(3),
  };
}
