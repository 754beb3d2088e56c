// NetlinkIpvsKernel over a recording transport: which messages it sends, and how the transport's
// per-message errnos become per-operation KernelErrors.
import { expect } from 'chai';
import { IpvsCmd } from '../../../src/ipvs/constants.js';
import { NetlinkIpvsKernel } from '../../../src/ipvs/kernel.js';
import { encodeServiceAttr } from '../../../src/ipvs/codec.js';
import { KernelError } from '../../../src/kernel/errors.js';
import type { IpvsOperation } from '../../../src/kernel/ports.js';
import { NlmFlags } from '../../../src/netlink/codec.js';
import type { BatchOutcome, NetlinkMessage, NetlinkReply, NetlinkTransport } from '../../../src/netlink/transport.js';
import { rs, vs } from '../../contract/ipvs-kernel.contract.js';

class RecordingTransport implements NetlinkTransport {
  readonly batches: NetlinkMessage[][] = [];
  readonly dumps: NetlinkMessage[] = [];
  dumpReplies: NetlinkReply[][] = [];
  errnoOf: (m: NetlinkMessage, i: number) => number = () => 0;
  request(): Promise<NetlinkReply[]> {
    return Promise.resolve([]);
  }
  dump(message: NetlinkMessage): Promise<NetlinkReply[]> {
    this.dumps.push(message);
    return Promise.resolve(this.dumpReplies.shift() ?? []);
  }
  batch(messages: readonly NetlinkMessage[]): Promise<BatchOutcome> {
    this.batches.push([...messages]);
    return Promise.resolve({ errnos: messages.map((m, i) => this.errnoOf(m, i)) });
  }
  close(): void {}
}

const cmdOf = (m: NetlinkMessage): number => m.payload.readUInt8(0);
const a = vs('10.96.0.1', 80);
const r = rs('10.244.0.1', 8080);

describe('NetlinkIpvsKernel', () => {
  it('sends one batch with one message per operation, in order, with the right commands', async () => {
    const t = new RecordingTransport();
    const k = new NetlinkIpvsKernel(t, 0x1d);
    const ops: IpvsOperation[] = [
      { kind: 'addVirtualServer', virtualServer: a },
      { kind: 'updateVirtualServer', virtualServer: a },
      { kind: 'addRealServer', virtualServer: a, realServer: r },
      { kind: 'updateRealServer', virtualServer: a, realServer: r },
      { kind: 'deleteRealServer', virtualServer: a, realServer: r },
      { kind: 'deleteVirtualServer', virtualServer: a },
    ];
    expect(await k.apply(ops)).to.deep.equal({ applied: 6, failures: [] });
    expect(t.batches.length).to.equal(1);
    expect(t.batches[0]?.map(cmdOf)).to.deep.equal([IpvsCmd.newService, IpvsCmd.setService, IpvsCmd.newDest, IpvsCmd.setDest, IpvsCmd.delDest, IpvsCmd.delService]);
    expect(t.batches[0]?.every((m) => m.type === 0x1d && m.flags === 0)).to.equal(true);
  });

  it('maps each non-zero errno to a KernelError on its operation and key', async () => {
    const t = new RecordingTransport();
    t.errnoOf = (_m, i) => (i === 1 ? 17 : i === 2 ? 3 : 0);
    const k = new NetlinkIpvsKernel(t, 0x1d);
    const result = await k.apply([
      { kind: 'addVirtualServer', virtualServer: a },
      { kind: 'addVirtualServer', virtualServer: a },
      { kind: 'addRealServer', virtualServer: vs('10.96.0.2', 80), realServer: r },
    ]);
    expect(result.applied).to.equal(1);
    expect(result.failures.map((f) => [f.index, f.error.errno, f.error.operation, f.error.key])).to.deep.equal([
      [1, 17, 'ipvs.addVirtualServer', 'TCP/10.96.0.1:80'],
      [2, 3, 'ipvs.addRealServer', 'TCP/10.96.0.2:80 -> 10.244.0.1:8080'],
    ]);
  });

  it('fails an operation it cannot encode alone, and still sends the others', async () => {
    const t = new RecordingTransport();
    t.errnoOf = (_m, i) => (i === 1 ? 17 : 0);
    const k = new NetlinkIpvsKernel(t, 0x1d);
    const result = await k.apply([
      { kind: 'addVirtualServer', virtualServer: vs('10.96.0.300', 80) },
      { kind: 'addVirtualServer', virtualServer: a },
      { kind: 'addVirtualServer', virtualServer: vs('10.96.0.3', 70_000) },
      { kind: 'addVirtualServer', virtualServer: a },
    ]);
    expect(t.batches[0]?.length).to.equal(2);
    expect(result.applied).to.equal(1);
    expect(result.failures.map((f) => [f.index, f.error.code, f.error.errno])).to.deep.equal([
      [0, 'KIPVS_KERNEL_PROTOCOL', 22],
      [2, 'KIPVS_KERNEL_PROTOCOL', 22],
      [3, 'KIPVS_KERNEL_ERRNO', 17],
    ]);
    expect(result.failures[0]?.error).to.be.instanceOf(KernelError);
  });

  it('sends no batch for no operations', async () => {
    const t = new RecordingTransport();
    expect(await new NetlinkIpvsKernel(t, 0x1d).apply([])).to.deep.equal({ applied: 0, failures: [] });
    expect(t.batches).to.deep.equal([]);
  });

  it('retries a dump the kernel marks as interrupted (NLM_F_DUMP_INTR)', async () => {
    const t = new RecordingTransport();
    const reply = (flags: number): NetlinkReply => ({ type: 0x1d, flags, seq: 1, payload: Buffer.concat([Buffer.from([1, 1, 0, 0]), encodeServiceAttr(a, true)]) });
    t.dumpReplies = [[reply(NlmFlags.multi | NlmFlags.dumpInterrupted)], [reply(NlmFlags.multi)]];
    const list = await new NetlinkIpvsKernel(t, 0x1d).listVirtualServers();
    expect(t.dumps.length).to.equal(2);
    expect(list.map((s) => s.server)).to.deep.equal([a]);
  });

  it('turns an undecodable reply into a KIPVS_KERNEL_PROTOCOL error', async () => {
    const t = new RecordingTransport();
    t.dumpReplies = [[{ type: 0x1d, flags: NlmFlags.multi, seq: 1, payload: Buffer.from([1, 1, 0, 0, 8, 0, 1, 0]) }]];
    try {
      await new NetlinkIpvsKernel(t, 0x1d).listVirtualServers();
      expect.fail('expected a rejection');
    } catch (e) {
      expect(e).to.be.instanceOf(KernelError);
      expect((e as KernelError).code).to.equal('KIPVS_KERNEL_PROTOCOL');
    }
  });
});
