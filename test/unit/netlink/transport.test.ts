// The socket transport against a simulated kernel socket that answers like netlink does:
// ACK only when asked, errors always (echoing the request), dumps as MULTI parts then DONE.
import { expect } from 'chai';
import { KernelError, KernelUnavailableError } from '../../../src/kernel/errors.js';
import { NlmFlags, NlmsgType, decodeNlmsgs, encodeNlmsg } from '../../../src/netlink/codec.js';
import type { DecodedNlmsg } from '../../../src/netlink/codec.js';
import { genlMessage, resolveGenlFamily } from '../../../src/netlink/genl.js';
import { attrString, attrU16, attrU32 } from '../../../src/netlink/codec.js';
import type { NetlinkDatagramSocket, SocketError } from '../../../src/netlink/socket.js';
import { SocketTransport } from '../../../src/netlink/socket-transport.js';

interface Answer {
  readonly errno?: number;
  /** doit data replies, or dump parts */
  readonly data?: readonly Buffer[];
  /** a dump's DONE error (negative errno in the DONE payload) */
  readonly doneErrno?: number;
  /** never answer */
  readonly silent?: boolean;
}

class SimulatedKernelSocket implements NetlinkDatagramSocket {
  readonly sent: Buffer[] = [];
  readonly received: DecodedNlmsg[] = [];
  active = false;
  closed = false;
  private datagramListener: ((d: Buffer) => void) | undefined;
  private errorListener: ((e: SocketError) => void) | undefined;
  constructor(
    private readonly answer: (msg: DecodedNlmsg) => Answer,
    readonly rcvbuf = 212_992,
    readonly sndbuf = 212_992,
  ) {}
  send(datagram: Buffer, callback: (error: SocketError | undefined) => void): void {
    this.sent.push(datagram);
    const replies: Buffer[] = [];
    for (const m of decodeNlmsgs(datagram)) {
      this.received.push(m);
      if ((m.header.flags & NlmFlags.request) === 0) continue;
      const a = this.answer(m);
      if (a.silent) continue;
      const seq = m.header.seq;
      const isDump = (m.header.flags & NlmFlags.dump) === NlmFlags.dump;
      if (isDump && !a.errno) {
        for (const d of a.data ?? []) replies.push(encodeNlmsg(m.header.type, NlmFlags.multi, seq, 1, d));
        const done = Buffer.alloc(4);
        done.writeInt32LE(-(a.doneErrno ?? 0), 0);
        replies.push(encodeNlmsg(NlmsgType.done, NlmFlags.multi, seq, 1, done));
        continue;
      }
      for (const d of a.errno ? [] : (a.data ?? [])) replies.push(encodeNlmsg(m.header.type, 0, seq, 1, d));
      if (a.errno || (m.header.flags & NlmFlags.ack) !== 0) {
        const err = Buffer.alloc(4);
        err.writeInt32LE(-(a.errno ?? 0), 0);
        const echoed = encodeNlmsg(m.header.type, m.header.flags, seq, m.header.pid, m.payload);
        replies.push(encodeNlmsg(NlmsgType.error, a.errno ? 0 : NlmFlags.capped, seq, 1, Buffer.concat([err, a.errno ? echoed : echoed.subarray(0, 16)])));
      }
    }
    setImmediate(() => {
      callback(undefined);
      // the kernel answers inside sendmsg; deliver as a few datagrams like recvmsg would
      for (const r of replies) this.datagramListener?.(r);
    });
  }
  onDatagram(listener: (d: Buffer) => void): void {
    this.datagramListener = listener;
  }
  onError(listener: (e: SocketError) => void): void {
    this.errorListener = listener;
  }
  fail(e: SocketError): void {
    this.errorListener?.(e);
  }
  receiveBufferSize(): number {
    return this.rcvbuf;
  }
  sendBufferSize(): number {
    return this.sndbuf;
  }
  setActive(active: boolean): void {
    this.active = active;
  }
  close(): void {
    this.closed = true;
  }
}

const msg = (type: number, byte: number, flags = 0): { type: number; flags: number; payload: Buffer } => ({ type, flags, payload: Buffer.from([byte, 0, 0, 0]) });

async function rejection(p: Promise<unknown>): Promise<KernelError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(KernelError);
    return e as KernelError;
  }
  throw new Error('expected a rejection');
}

describe('netlink socket transport', () => {
  it('request: sets REQUEST|ACK, resolves data replies once the ACK for its seq arrives', async () => {
    const sock = new SimulatedKernelSocket(() => ({ data: [Buffer.from([9, 9, 9, 9])] }));
    const t = new SocketTransport(sock);
    const replies = await t.request(msg(30, 1, NlmFlags.create), 'op', 'k');
    expect(replies.map((r) => [r.type, r.payload.toString('hex')])).to.deep.equal([[30, '09090909']]);
    expect(sock.received[0]?.header.flags).to.equal(NlmFlags.request | NlmFlags.ack | NlmFlags.create);
    expect(sock.active).to.equal(false);
  });

  it('request: an error reply rejects with KernelError carrying errno, operation and key', async () => {
    const t = new SocketTransport(new SimulatedKernelSocket(() => ({ errno: 17 })));
    const e = await rejection(t.request(msg(30, 1), 'ipvs.addVirtualServer', 'TCP/10.0.0.1:80'));
    expect([e.code, e.errno, e.operation, e.key, e.errnoName]).to.deep.equal(['KIPVS_KERNEL_ERRNO', 17, 'ipvs.addVirtualServer', 'TCP/10.0.0.1:80', 'EEXIST']);
  });

  it('request: times out with KIPVS_KERNEL_TIMEOUT and ignores the late reply', async () => {
    let silent = true;
    const t = new SocketTransport(new SimulatedKernelSocket(() => (silent ? { silent: true } : {})), { timeoutMs: 30 });
    const e = await rejection(t.request(msg(30, 1), 'op', 'k'));
    expect(e.code).to.equal('KIPVS_KERNEL_TIMEOUT');
    silent = false;
    expect(await t.request(msg(30, 2), 'op', 'k')).to.deep.equal([]);
  });

  it('dump: sets NLM_F_DUMP, collects MULTI parts until DONE', async () => {
    const sock = new SimulatedKernelSocket(() => ({ data: [Buffer.from([1, 0, 0, 0]), Buffer.from([2, 0, 0, 0])] }));
    const t = new SocketTransport(sock);
    const parts = await t.dump(msg(30, 4), 'list');
    expect(parts.map((p) => p.payload[0])).to.deep.equal([1, 2]);
    expect((sock.received[0]?.header.flags ?? 0) & NlmFlags.dump).to.equal(NlmFlags.dump);
  });

  it('dump: a DONE carrying an error, or an error reply, rejects with its errno', async () => {
    const t1 = new SocketTransport(new SimulatedKernelSocket(() => ({ data: [], doneErrno: 4 })));
    expect((await rejection(t1.dump(msg(30, 4), 'list'))).errno).to.equal(4);
    const t2 = new SocketTransport(new SimulatedKernelSocket(() => ({ errno: 3 })));
    expect((await rejection(t2.dump(msg(30, 4), 'list'))).errno).to.equal(3);
  });

  it('serializes dumps: two concurrent dumps never share the socket', async () => {
    const sock = new SimulatedKernelSocket((m) => ({ data: [Buffer.from([m.payload[0] ?? 0, 0, 0, 0])] }));
    const t = new SocketTransport(sock);
    const [a, b] = await Promise.all([t.dump(msg(30, 1), 'a'), t.dump(msg(30, 2), 'b')]);
    expect([a.map((p) => p.payload[0]), b.map((p) => p.payload[0])]).to.deep.equal([[1], [2]]);
    expect(sock.sent.length).to.equal(2);
  });

  it('batch: many messages per sendmsg, ACK only on the last of each chunk, errnos at their index', async () => {
    const failing = new Map([
      [3, 17],
      [250, 3],
      [599, 2],
    ]);
    const sock = new SimulatedKernelSocket((m) => ({ errno: failing.get(m.payload.readUInt16LE(0)) ?? 0 }));
    const t = new SocketTransport(sock);
    const messages = Array.from({ length: 600 }, (_, i) => {
      const payload = Buffer.alloc(100);
      payload.writeUInt16LE(i, 0);
      return { type: 30, flags: 0, payload };
    });
    const { errnos } = await t.batch(messages);
    expect(errnos.length).to.equal(600);
    expect([...errnos.entries()].filter(([, e]) => e !== 0)).to.deep.equal([
      [3, 17],
      [250, 3],
      [599, 2],
    ]);
    expect(sock.received.length).to.equal(600);
    expect(sock.sent.length).to.be.greaterThan(1).and.lessThan(600);
    // exactly one ACK flag per sendmsg, on its last message
    for (const d of sock.sent) {
      const ms = decodeNlmsgs(d);
      expect(ms.map((m) => (m.header.flags & NlmFlags.ack) !== 0)).to.deep.equal(ms.map((_, i) => i === ms.length - 1));
      expect(ms.every((m) => (m.header.flags & NlmFlags.request) !== 0)).to.equal(true);
    }
  });

  it('batch: the worst case (every message failing) fits the receive buffer of each chunk', async () => {
    const sock = new SimulatedKernelSocket(() => ({ errno: 22 }), 65_536, 65_536);
    const t = new SocketTransport(sock);
    const messages = Array.from({ length: 300 }, () => ({ type: 30, flags: 0, payload: Buffer.alloc(140) }));
    const { errnos } = await t.batch(messages);
    expect(errnos.every((e) => e === 22)).to.equal(true);
    for (const d of sock.sent) {
      const n = decodeNlmsgs(d).length;
      // an error reply echoes the request: 16 + 4 + 156 bytes of data plus at least ≈770 of skb overhead
      expect(n * (16 + 4 + 156 + 770)).to.be.at.most(65_536);
    }
  });

  it('close() rejects the request in flight and every queued one', async () => {
    const t = new SocketTransport(new SimulatedKernelSocket(() => ({ silent: true })));
    const a = t.request(msg(30, 1), 'a', 'ka');
    const b = t.dump(msg(30, 2), 'b');
    t.close();
    const [ea, eb] = await Promise.all([rejection(a), rejection(b)]);
    expect([ea.operation, ea.key, eb.operation]).to.deep.equal(['a', 'ka', 'b']);
    expect((await rejection(t.request(msg(30, 3), 'c', 'kc'))).operation).to.equal('c');
  });

  it('a socket error rejects the operation in flight with its errno', async () => {
    const sock = new SimulatedKernelSocket(() => ({ silent: true }));
    const t = new SocketTransport(sock);
    const p = t.request(msg(30, 1), 'a', 'k');
    await new Promise((r) => setImmediate(r));
    sock.fail(Object.assign(new Error('error when polling socket'), { errno: 105, code: 'ENOBUFS' }));
    expect((await rejection(p)).errno).to.equal(105);
  });

  it('resolves a generic netlink family id, and ENOENT becomes KernelUnavailableError', async () => {
    const reply = Buffer.concat([Buffer.from([1, 2, 0, 0]), attrU16(1, 0x1d), attrString(2, 'IPVS'), attrU32(3, 1)]);
    const t = new SocketTransport(new SimulatedKernelSocket((m) => (m.payload.includes(Buffer.from('IPVS\0')) ? { data: [reply] } : { errno: 2 })));
    expect(await resolveGenlFamily(t, 'IPVS')).to.deep.equal({ id: 0x1d, name: 'IPVS', version: 1 });
    const e = await rejection(resolveGenlFamily(t, 'NOPE'));
    expect(e).to.be.instanceOf(KernelUnavailableError);
    expect(e.message).to.contain('NOPE');
  });

  it('genl messages carry cmd, version and a zero reserved field', () => {
    const m = genlMessage(0x1d, 15, 1, [attrU32(1, 5)]);
    expect(m.payload.toString('hex')).to.equal('0f010000' + '0800010005000000');
  });
});
