// NetlinkTransport over one netlink socket: our own framing, replies matched by sequence number,
// one operation in flight at a time (a request, a dump, or one batch chunk), a timeout on each.
import { KernelError } from '../kernel/errors.js';
import { planChunks } from './chunking.js';
import { NLMSG_HDRLEN, NlmFlags, NlmsgType, align4, decodeNlmsgError, decodeNlmsgs, encodeNlmsg } from './codec.js';
import type { DecodedNlmsg } from './codec.js';
import type { NetlinkDatagramSocket, SocketError } from './socket.js';
import type { BatchOutcome, NetlinkMessage, NetlinkReply, NetlinkTransport } from './transport.js';

export interface SocketTransportOptions {
  /** per request / dump / batch chunk; default 30 s */
  readonly timeoutMs?: number;
  /** cap on messages per batch chunk (the receive-buffer bound always applies) */
  readonly maxBatchMessages?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** The in-flight operation: sees every decoded message until it settles. */
interface InFlight {
  readonly operation: string;
  readonly key: string;
  onMessage(msg: DecodedNlmsg): void;
  fail(error: KernelError): void;
}

export class SocketTransport implements NetlinkTransport {
  private readonly socket: NetlinkDatagramSocket;
  private readonly timeoutMs: number;
  private readonly maxBatchMessages: number | undefined;
  private seq: number;
  private current: InFlight | undefined;
  /** tail of the serial queue of operations */
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private closedReason: string | undefined;

  constructor(socket: NetlinkDatagramSocket, options: SocketTransportOptions = {}) {
    this.socket = socket;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxBatchMessages = options.maxBatchMessages;
    // a random start keeps replies meant for an earlier socket with the same port from matching
    this.seq = (Math.floor(Math.random() * 0x7fffffff) + 1) >>> 0;
    socket.onDatagram((d) => this.onDatagram(d));
    socket.onError((e) => this.onSocketError(e));
  }

  /** the socket's real receive buffer size, as the batch chunking uses it */
  get receiveBufferBytes(): number {
    return this.socket.receiveBufferSize();
  }
  get sendBufferBytes(): number {
    return this.socket.sendBufferSize();
  }

  request(message: NetlinkMessage, operation: string, key: string): Promise<NetlinkReply[]> {
    return this.serial(operation, key, () => this.requestNow(message, operation, key));
  }

  dump(message: NetlinkMessage, operation: string): Promise<NetlinkReply[]> {
    return this.serial(operation, '', () => this.dumpNow(message, operation));
  }

  batch(messages: readonly NetlinkMessage[]): Promise<BatchOutcome> {
    return this.serial('batch', '', async () => {
      const errnos = new Array<number>(messages.length).fill(0);
      const sizes = messages.map((m) => 16 + m.payload.length);
      const chunks = planChunks(sizes, {
        receiveBufferBytes: this.socket.receiveBufferSize(),
        sendBufferBytes: this.socket.sendBufferSize(),
        ...(this.maxBatchMessages !== undefined ? { maxMessages: this.maxBatchMessages } : {}),
      });
      for (const [start, end] of chunks) {
        await this.chunkNow(messages, start, end, errnos);
      }
      return { errnos };
    });
  }

  close(): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = 'the netlink transport was closed';
    this.current?.fail(this.closedError(this.current.operation, this.current.key));
    try {
      this.socket.close();
    } catch {
      // already closed by the native layer after a socket error
    }
  }

  // ---- internals ----------------------------------------------------------------------------

  private closedError(operation: string, key: string): KernelError {
    const what = key === '' ? operation : `${operation} ${key}`;
    return new KernelError('KIPVS_KERNEL_SOCKET', 0, operation, key, `${what}: ${this.closedReason ?? 'closed'}`);
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    if (this.seq === 0) this.seq = 1;
    return this.seq;
  }

  private serial<T>(operation: string, key: string, run: () => Promise<T>): Promise<T> {
    const result = this.tail.then(() => {
      if (this.closedReason !== undefined) throw this.closedError(operation, key);
      return run();
    });
    this.queued++;
    this.socket.setActive(true);
    const settled = result.then(
      () => this.dequeued(),
      () => this.dequeued(),
    );
    this.tail = settled;
    return result;
  }

  private dequeued(): void {
    this.queued--;
    if (this.queued === 0) this.socket.setActive(false);
  }

  /** Sends one datagram and lets `handler` see replies until it calls done/fail; bounded by the timeout. */
  private exchange<T>(
    datagram: Buffer,
    operation: string,
    key: string,
    handler: (msg: DecodedNlmsg, done: (value: T) => void, fail: (e: KernelError) => void) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (): void => {
        settled = true;
        clearTimeout(timer);
        if (this.current === inflight) this.current = undefined;
      };
      const done = (value: T): void => {
        if (settled) return;
        finish();
        resolve(value);
      };
      const fail = (e: KernelError): void => {
        if (settled) return;
        finish();
        reject(e);
      };
      const inflight: InFlight = { operation, key, onMessage: (m) => handler(m, done, fail), fail };
      const timer = setTimeout(() => {
        fail(new KernelError('KIPVS_KERNEL_TIMEOUT', 0, operation, key, `${operation} ${key}: no reply from the kernel within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.current = inflight;
      try {
        this.socket.send(datagram, (error) => {
          if (error) fail(socketKernelError(error, operation, key));
        });
      } catch (e) {
        fail(socketKernelError(e instanceof Error ? e : new Error(String(e)), operation, key));
      }
    });
  }

  private requestNow(message: NetlinkMessage, operation: string, key: string): Promise<NetlinkReply[]> {
    const seq = this.nextSeq();
    const datagram = encodeNlmsg(message.type, message.flags | NlmFlags.request | NlmFlags.ack, seq, 0, message.payload);
    const replies: NetlinkReply[] = [];
    return this.exchange<NetlinkReply[]>(datagram, operation, key, (msg, done, fail) => {
      if (msg.header.seq !== seq) return;
      if (msg.header.type === NlmsgType.error) {
        const { errno } = decodeNlmsgError(msg.payload);
        if (errno === 0) done(replies);
        else fail(KernelError.errno(errno, operation, key));
        return;
      }
      replies.push(toReply(msg));
    });
  }

  private dumpNow(message: NetlinkMessage, operation: string): Promise<NetlinkReply[]> {
    const seq = this.nextSeq();
    const datagram = encodeNlmsg(message.type, message.flags | NlmFlags.request | NlmFlags.dump, seq, 0, message.payload);
    const replies: NetlinkReply[] = [];
    return this.exchange<NetlinkReply[]>(datagram, operation, '', (msg, done, fail) => {
      if (msg.header.seq !== seq) return;
      switch (msg.header.type) {
        case NlmsgType.done: {
          // DONE carries an int error: a dump can fail after it started
          const err = msg.payload.length >= 4 ? msg.payload.readInt32LE(0) : 0;
          if (err < 0) fail(KernelError.errno(-err, operation, ''));
          else done(replies);
          return;
        }
        case NlmsgType.error: {
          const { errno } = decodeNlmsgError(msg.payload);
          if (errno === 0) done(replies);
          else fail(KernelError.errno(errno, operation, ''));
          return;
        }
        case NlmsgType.noop:
          return;
        default:
          replies.push(toReply(msg));
      }
    });
  }

  /** One sendmsg of messages[start, end): ACK only on the last, errors recorded by seq. */
  private chunkNow(messages: readonly NetlinkMessage[], start: number, end: number, errnos: number[]): Promise<void> {
    const firstSeq = this.seq + 1;
    // one datagram written in place (a Buffer per message, then a concat, was a third of the encoding time)
    let total = 0;
    for (let i = start; i < end; i++) total += align4(NLMSG_HDRLEN + (messages[i]?.payload.length ?? 0));
    const datagram = Buffer.alloc(total);
    let off = 0;
    for (let i = start; i < end; i++) {
      const m = messages[i];
      if (m === undefined) continue;
      const flags = m.flags | NlmFlags.request | (i === end - 1 ? NlmFlags.ack : 0);
      const length = NLMSG_HDRLEN + m.payload.length;
      datagram.writeUInt32LE(length, off);
      datagram.writeUInt16LE(m.type, off + 4);
      datagram.writeUInt16LE(flags, off + 6);
      datagram.writeUInt32LE(this.nextSeq(), off + 8);
      datagram.writeUInt32LE(0, off + 12);
      m.payload.copy(datagram, off + NLMSG_HDRLEN);
      off += align4(length);
    }
    const lastSeq = this.seq;
    const indexOf = (seq: number): number => {
      const offset = (seq - firstSeq) >>> 0;
      return offset < end - start ? start + offset : -1;
    };
    return this.exchange<undefined>(datagram.subarray(0, off), 'batch', `messages ${start}..${end - 1}`, (msg, done) => {
      if (msg.header.type !== NlmsgType.error) return;
      const index = indexOf(msg.header.seq);
      if (index < 0) return;
      const { errno } = decodeNlmsgError(msg.payload);
      errnos[index] = errno;
      // the last message carries the ACK: its reply (ACK or error) comes after every other reply
      if (msg.header.seq === lastSeq) done(undefined);
    });
  }

  private onDatagram(datagram: Buffer): void {
    let messages: DecodedNlmsg[];
    try {
      messages = decodeNlmsgs(datagram);
    } catch (e) {
      const cur = this.current;
      if (cur) cur.fail(new KernelError('KIPVS_KERNEL_PROTOCOL', 0, cur.operation, cur.key, `${cur.operation}: ${String(e)}`, { cause: e }));
      return;
    }
    for (const m of messages) {
      // stale replies (after a timeout) find no one in flight or a different seq, and are dropped
      this.current?.onMessage(m);
    }
  }

  private onSocketError(error: SocketError): void {
    // after a poll error the native layer closes the socket: nothing can be sent any more
    this.closedReason = `netlink socket failed: ${error.message}`;
    const cur = this.current;
    if (cur) cur.fail(socketKernelError(error, cur.operation, cur.key));
    try {
      this.socket.close();
    } catch {
      // the native layer may have closed it already
    }
  }
}

function toReply(msg: DecodedNlmsg): NetlinkReply {
  return { type: msg.header.type, flags: msg.header.flags, seq: msg.header.seq, payload: msg.payload };
}

function socketKernelError(error: SocketError, operation: string, key: string): KernelError {
  const errno = typeof error.errno === 'number' ? Math.abs(error.errno) : 0;
  // the socket is gone after this, whatever the errno: callers must open a new one
  return new KernelError('KIPVS_KERNEL_SOCKET', errno, operation, key, `${operation} ${key}: ${error.message}`, { cause: error });
}
