// A minimal rtnetlink NetlinkTransport for these tests only, used while src/netlink's transport is
// not merged into this branch: one request at a time, batches chunked with one ACK per chunk.
import { RawNetlinkSocket } from 'netlink';
import { KernelError } from '../../../src/kernel/errors.js';
import type { BatchOutcome, NetlinkMessage, NetlinkReply, NetlinkTransport } from '../../../src/netlink/transport.js';

const REQUEST = 0x1;
const ACK = 0x4;
const DUMP = 0x300;
const ERROR = 2;
const DONE = 3;
/** at most this many messages per sendmsg: their error replies (~1 KB truesize each) fit the rcvbuf */
const CHUNK = 128;

type Handler = (reply: NetlinkReply) => void;

export class StopgapRtnetlinkTransport implements NetlinkTransport {
  readonly #socket = new RawNetlinkSocket(0, { recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  readonly #handlers = new Map<number, Handler>();
  #seq = 1;

  constructor() {
    this.#socket.on('message', (buf) => {
      for (let off = 0; off + 16 <= buf.length; ) {
        const len = buf.readUInt32LE(off);
        if (len < 16) break;
        const reply = { type: buf.readUInt16LE(off + 4), flags: buf.readUInt16LE(off + 6), seq: buf.readUInt32LE(off + 8), payload: buf.subarray(off + 16, off + len) };
        this.#handlers.get(reply.seq)?.(reply);
        off += (len + 3) & ~3;
      }
    });
  }

  #frame(m: NetlinkMessage, flags: number, seq: number): Buffer {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(16 + m.payload.length, 0);
    h.writeUInt16LE(m.type, 4);
    h.writeUInt16LE(m.flags | flags, 6);
    h.writeUInt32LE(seq, 8);
    return Buffer.concat([h, m.payload, Buffer.alloc((4 - (m.payload.length % 4)) % 4)]);
  }

  #send(bufs: Buffer[]): Promise<void> {
    return new Promise((resolve, reject) => this.#socket.send(bufs, {}, (err) => (err ? reject(err) : resolve())));
  }

  async #exchange(m: NetlinkMessage, flags: number, operation: string, key: string): Promise<NetlinkReply[]> {
    const seq = this.#seq++;
    const parts: NetlinkReply[] = [];
    const done = new Promise<NetlinkReply[]>((resolve, reject) => {
      this.#handlers.set(seq, (r) => {
        if (r.type === ERROR || r.type === DONE) {
          this.#handlers.delete(seq);
          const errno = -r.payload.readInt32LE(0);
          if (errno === 0) resolve(parts);
          else reject(KernelError.errno(errno, operation, key));
        } else parts.push(r);
      });
    });
    const [replies] = await Promise.all([done, this.#send([this.#frame(m, flags, seq)])]);
    return replies;
  }

  request(message: NetlinkMessage, operation: string, key: string): Promise<NetlinkReply[]> {
    return this.#exchange(message, REQUEST | ACK, operation, key);
  }

  dump(message: NetlinkMessage, operation: string): Promise<NetlinkReply[]> {
    return this.#exchange(message, REQUEST | DUMP, operation, '');
  }

  async batch(messages: readonly NetlinkMessage[]): Promise<BatchOutcome> {
    const errnos = messages.map(() => 0);
    for (let start = 0; start < messages.length; start += CHUNK) {
      const chunk = messages.slice(start, start + CHUNK);
      const first = this.#seq;
      this.#seq += chunk.length;
      const last = first + chunk.length - 1;
      const barrier = new Promise<void>((resolve) => {
        for (let i = 0; i < chunk.length; i++) {
          const seq = first + i;
          this.#handlers.set(seq, (r) => {
            if (r.type !== ERROR) return;
            this.#handlers.delete(seq);
            errnos[start + i] = -r.payload.readInt32LE(0);
            if (seq === last) {
              for (let s = first; s < last; s++) this.#handlers.delete(s);
              resolve();
            }
          });
        }
      });
      // ACK only on the last message: success is silent, errors come with their own seq
      await this.#send(chunk.map((m, i) => this.#frame(m, REQUEST | (i === chunk.length - 1 ? ACK : 0), first + i)));
      await barrier;
    }
    return { errnos };
  }

  close(): void {
    this.#socket.close();
  }
}
