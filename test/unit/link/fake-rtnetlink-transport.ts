// A NetlinkTransport that plays rtnetlink for links and addresses in memory: it parses the request
// bytes itself (ifinfomsg/ifaddrmsg + attributes) and answers with kernel errnos and reply bytes.
import { constants as osConstants } from 'node:os';
import { KernelError } from '../../../src/kernel/errors.js';
import type { BatchOutcome, NetlinkMessage, NetlinkReply, NetlinkTransport } from '../../../src/netlink/transport.js';

const E = osConstants.errno;
const F_REPLACE = 0x100;
const F_EXCL = 0x200;
const F_CREATE = 0x400;

interface FakeLink {
  index: number;
  name: string;
  kind: string;
  flags: number;
}
interface FakeAddr {
  af: number;
  prefix: number;
  index: number;
  bytes: Buffer;
  flags: number;
}

function tlvs(buf: Buffer, start: number): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let off = start; off + 4 <= buf.length; ) {
    const len = buf.readUInt16LE(off);
    if (len < 4) throw new Error('fake rtnetlink: attribute length < 4');
    out.set(buf.readUInt16LE(off + 2) & 0x3fff, buf.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
  return out;
}
function tlv(type: number, payload: Buffer): Buffer {
  const b = Buffer.alloc((4 + payload.length + 3) & ~3);
  b.writeUInt16LE(4 + payload.length, 0);
  b.writeUInt16LE(type, 2);
  payload.copy(b, 4);
  return b;
}
const cstr = (b: Buffer | undefined): string | undefined => (b === undefined ? undefined : b.toString('utf8', 0, b.indexOf(0) < 0 ? b.length : b.indexOf(0)));

export class FakeRtnetlinkTransport implements NetlinkTransport {
  readonly links = new Map<string, FakeLink>();
  readonly addresses: FakeAddr[] = [];
  /** every message received, for byte checks */
  readonly received: Array<{ via: 'request' | 'dump' | 'batch'; message: NetlinkMessage }> = [];
  batchCalls = 0;
  closed = false;
  #nextIndex = 2;

  constructor() {
    this.links.set('lo', { index: 1, name: 'lo', kind: '', flags: 0x9 });
  }

  /** a link made "by someone else" (e.g. an operator's bridge) */
  addForeignLink(name: string, kind: string): void {
    this.links.set(name, { index: this.#nextIndex++, name, kind, flags: 0 });
  }

  request(message: NetlinkMessage, operation: string, key: string): Promise<NetlinkReply[]> {
    this.received.push({ via: 'request', message });
    const { errno, replies } = this.#handle(message);
    return errno === 0 ? Promise.resolve(replies) : Promise.reject(KernelError.errno(errno, operation, key));
  }

  dump(message: NetlinkMessage, operation: string): Promise<NetlinkReply[]> {
    this.received.push({ via: 'dump', message });
    if (message.type === 22) {
      const af = message.payload.readUInt8(0);
      return Promise.resolve(this.addresses.filter((a) => af === 0 || a.af === af).map((a) => this.#addrReply(a)));
    }
    if (message.type === 18) return Promise.resolve([...this.links.values()].map((l) => this.#linkReply(l)));
    return Promise.reject(KernelError.errno(E.EOPNOTSUPP, operation, ''));
  }

  batch(messages: readonly NetlinkMessage[]): Promise<BatchOutcome> {
    this.batchCalls++;
    for (const message of messages) this.received.push({ via: 'batch', message });
    return Promise.resolve({ errnos: messages.map((m) => this.#handle(m).errno) });
  }

  close(): void {
    this.closed = true;
  }

  #linkReply(l: FakeLink): NetlinkReply {
    const hdr = Buffer.alloc(16);
    hdr.writeInt32LE(l.index, 4);
    hdr.writeUInt32LE(l.flags, 8);
    const attrs = [tlv(3, Buffer.from(`${l.name}\0`))];
    if (l.kind !== '') attrs.push(tlv(18 | 0x8000, tlv(1, Buffer.from(`${l.kind}\0`))));
    return { type: 16, flags: 0x2, seq: 1, payload: Buffer.concat([hdr, ...attrs]) };
  }

  #addrReply(a: FakeAddr): NetlinkReply {
    const hdr = Buffer.from([a.af, a.prefix, a.flags & 0xff, 0, 0, 0, 0, 0]);
    hdr.writeUInt32LE(a.index, 4);
    const attrs = [tlv(1, a.bytes)];
    if (a.af === 2) attrs.push(tlv(2, a.bytes));
    const fl = Buffer.alloc(4);
    fl.writeUInt32LE(a.flags | 0x80, 0);
    attrs.push(tlv(8, fl));
    return { type: 20, flags: 0x2, seq: 1, payload: Buffer.concat([hdr, ...attrs]) };
  }

  #byName(payload: Buffer): FakeLink | undefined {
    const name = cstr(tlvs(payload, 16).get(3));
    return name === undefined ? undefined : this.links.get(name);
  }

  #handle(m: NetlinkMessage): { errno: number; replies: NetlinkReply[] } {
    const p = m.payload;
    switch (m.type) {
      case 18: {
        const l = this.#byName(p);
        return l ? { errno: 0, replies: [this.#linkReply(l)] } : { errno: E.ENODEV, replies: [] };
      }
      case 16: {
        const attrs = tlvs(p, 16);
        const name = cstr(attrs.get(3));
        if (name === undefined) return { errno: E.EINVAL, replies: [] };
        if (this.links.has(name)) return { errno: m.flags & F_EXCL ? E.EEXIST : 0, replies: [] };
        if (!(m.flags & F_CREATE)) return { errno: E.ENODEV, replies: [] };
        const info = attrs.get(18);
        const kind = cstr(info === undefined ? undefined : tlvs(info, 0).get(1));
        if (kind !== 'dummy') return { errno: E.EOPNOTSUPP, replies: [] };
        this.links.set(name, { index: this.#nextIndex++, name, kind, flags: 0 });
        return { errno: 0, replies: [] };
      }
      case 17: {
        const l = this.#byName(p);
        if (!l) return { errno: E.ENODEV, replies: [] };
        this.links.delete(l.name);
        for (let i = this.addresses.length - 1; i >= 0; i--) if (this.addresses[i]?.index === l.index) this.addresses.splice(i, 1);
        return { errno: 0, replies: [] };
      }
      case 20:
      case 21: {
        const af = p.readUInt8(0);
        const prefix = p.readUInt8(1);
        const index = p.readUInt32LE(4);
        const attrs = tlvs(p, 8);
        const bytes = (af === 2 ? attrs.get(2) : undefined) ?? attrs.get(1);
        if (bytes?.length !== (af === 2 ? 4 : 16)) return { errno: E.EINVAL, replies: [] };
        if (![...this.links.values()].some((l) => l.index === index)) return { errno: E.ENODEV, replies: [] };
        const at = this.addresses.findIndex((a) => a.af === af && a.index === index && a.bytes.equals(bytes));
        if (m.type === 21) {
          if (at < 0) return { errno: E.EADDRNOTAVAIL, replies: [] };
          this.addresses.splice(at, 1);
          return { errno: 0, replies: [] };
        }
        if (at >= 0) return { errno: m.flags & F_REPLACE ? 0 : E.EEXIST, replies: [] };
        const flagsAttr = attrs.get(8);
        this.addresses.push({ af, prefix, index, bytes: Buffer.from(bytes), flags: flagsAttr ? flagsAttr.readUInt32LE(0) : 0 });
        return { errno: 0, replies: [] };
      }
      default:
        return { errno: E.EOPNOTSUPP, replies: [] };
    }
  }
}
