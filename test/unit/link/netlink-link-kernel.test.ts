import { expect } from 'chai';
import { constants as osConstants } from 'node:os';
import { KernelError } from '../../../src/kernel/errors.js';
import { LinkKindConflictError, NetlinkLinkKernel } from '../../../src/link/index.js';
import type { NetlinkMessage, NetlinkReply } from '../../../src/netlink/transport.js';
import { CONTRACT_LINK, linkKernelContract } from '../../contract/link-kernel.contract.js';
import { FakeRtnetlinkTransport } from './fake-rtnetlink-transport.js';

const E = osConstants.errno;

let shared = new FakeRtnetlinkTransport();
linkKernelContract({
  name: 'NetlinkLinkKernel over an in-memory rtnetlink',
  open: () => Promise.resolve(new NetlinkLinkKernel(shared)),
  reset: () => {
    shared = new FakeRtnetlinkTransport();
    return Promise.resolve();
  },
});

describe('NetlinkLinkKernel', () => {
  let transport: FakeRtnetlinkTransport;
  let kernel: NetlinkLinkKernel;
  beforeEach(() => {
    transport = new FakeRtnetlinkTransport();
    kernel = new NetlinkLinkKernel(transport);
  });

  it('creates with RTM_NEWLINK CREATE|EXCL only when the link is missing', async () => {
    await kernel.ensureDummyLink('kube-ipvs0');
    await kernel.ensureDummyLink('kube-ipvs0');
    const newLinks = transport.received.filter((r) => r.message.type === 16);
    expect(newLinks).to.have.length(1);
    expect(newLinks[0]?.message.flags).to.equal(0x400 | 0x200);
  });

  it('refuses a same-named link of another kind with a typed error and leaves it alone', async () => {
    transport.addForeignLink('kube-ipvs0', 'bridge');
    const err = await kernel.ensureDummyLink('kube-ipvs0').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(LinkKindConflictError);
    expect(err).to.be.instanceOf(KernelError);
    expect(err).to.include({ errno: E.EEXIST, key: 'kube-ipvs0', existingKind: 'bridge', wantedKind: 'dummy' });
    expect((err as Error).message).to.match(/kube-ipvs0 exists with kind "bridge"/);
    expect(transport.links.get('kube-ipvs0')?.kind).to.equal('bridge');
    expect(transport.received.map((r) => r.message.type)).to.deep.equal([18]);
  });

  it('adopts a dummy created by someone else between its look-up and its create (EEXIST)', async () => {
    const racing = new (class extends FakeRtnetlinkTransport {
      override request(message: NetlinkMessage, operation: string, key: string): Promise<NetlinkReply[]> {
        if (message.type === 16 && !this.links.has(key)) this.links.set(key, { index: 42, name: key, kind: 'dummy', flags: 0 });
        return super.request(message, operation, key);
      }
    })();
    const link = await new NetlinkLinkKernel(racing).ensureDummyLink('kube-ipvs0');
    expect(link).to.include({ index: 42, kind: 'dummy' });
  });

  it('passes kernel errors on creation through as KernelError (no dummy driver → EOPNOTSUPP)', async () => {
    const noDummy = new (class extends FakeRtnetlinkTransport {
      override request(message: NetlinkMessage, operation: string, key: string): Promise<NetlinkReply[]> {
        if (message.type === 16) return Promise.reject(KernelError.errno(E.EOPNOTSUPP, operation, key));
        return super.request(message, operation, key);
      }
    })();
    const err = await new NetlinkLinkKernel(noDummy).ensureDummyLink('kube-ipvs0').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(KernelError).and.include({ errno: E.EOPNOTSUPP, operation: 'link.create', key: 'kube-ipvs0' });
  });

  it('refuses an invalid link name before sending anything', async () => {
    const err = await kernel.getLink('much-too-long-name').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(KernelError).and.include({ errno: E.EINVAL });
    expect(transport.received).to.deep.equal([]);
  });

  it('sends all address operations in one batch, adds with CREATE|EXCL, names failures by operation and address', async () => {
    const link = await kernel.ensureDummyLink(CONTRACT_LINK);
    const result = await kernel.applyAddresses(link.index, [
      { kind: 'addAddress', address: { family: 4, address: '10.96.0.1', prefixLength: 32 } },
      { kind: 'addAddress', address: { family: 4, address: '10.96.0.1', prefixLength: 32 } },
      { kind: 'deleteAddress', address: { family: 6, address: 'fd00::9', prefixLength: 128 } },
    ]);
    expect(transport.batchCalls).to.equal(1);
    const batched = transport.received.filter((r) => r.via === 'batch').map((r) => [r.message.type, r.message.flags]);
    expect(batched).to.deep.equal([
      [20, 0x600],
      [20, 0x600],
      [21, 0],
    ]);
    expect(result.failures.map((f) => [f.index, f.error.operation, f.error.key, f.error.errnoName])).to.deep.equal([
      [1, 'link.addAddress', '10.96.0.1', 'EEXIST'],
      [2, 'link.deleteAddress', 'fd00::9', 'EADDRNOTAVAIL'],
    ]);
  });

  it('reports unusable address input as EINVAL at its index and still applies the rest', async () => {
    const link = await kernel.ensureDummyLink(CONTRACT_LINK);
    const result = await kernel.applyAddresses(link.index, [
      { kind: 'addAddress', address: { family: 4, address: 'not-an-ip', prefixLength: 32 } },
      { kind: 'addAddress', address: { family: 4, address: '10.96.0.2', prefixLength: 32 } },
      { kind: 'addAddress', address: { family: 6, address: '10.96.0.3', prefixLength: 128 } },
    ]);
    expect(result.applied).to.equal(1);
    expect(result.failures.map((f) => [f.index, f.error.errno])).to.deep.equal([
      [0, E.EINVAL],
      [2, E.EINVAL],
    ]);
    expect(result.failures[0]?.error.message).to.match(/not an IPv4 address: "not-an-ip"/);
    expect(await kernel.listAddresses(link.index)).to.deep.equal([{ family: 4, address: '10.96.0.2', prefixLength: 32 }]);
  });

  it('reports a malformed dump part as a protocol KernelError', async () => {
    const broken = new (class extends FakeRtnetlinkTransport {
      override dump(): Promise<NetlinkReply[]> {
        return Promise.resolve([{ type: 20, flags: 2, seq: 1, payload: Buffer.from('02200000', 'hex') }]);
      }
    })();
    const err = await new NetlinkLinkKernel(broken).listAddresses(3).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(KernelError).and.include({ code: 'KIPVS_KERNEL_PROTOCOL', operation: 'link.listAddresses' });
  });

  it('dumps again when the kernel marks the dump interrupted, and gives up with EINTR after 3 tries', async () => {
    let dumps = 0;
    const interrupted = (times: number): FakeRtnetlinkTransport =>
      new (class extends FakeRtnetlinkTransport {
        override async dump(message: NetlinkMessage, operation: string): Promise<NetlinkReply[]> {
          const parts = await super.dump(message, operation);
          return ++dumps <= times ? parts.map((p) => ({ ...p, flags: p.flags | 0x10 })) : parts;
        }
      })();
    const t = interrupted(2);
    const k = new NetlinkLinkKernel(t);
    const link = await k.ensureDummyLink(CONTRACT_LINK);
    await k.applyAddresses(link.index, [{ kind: 'addAddress', address: { family: 4, address: '10.96.0.1', prefixLength: 32 } }]);
    expect(await k.listAddresses(link.index)).to.have.length(1);
    expect(dumps).to.equal(3);
    dumps = 0;
    const always = new NetlinkLinkKernel(interrupted(99));
    const again = await always.ensureDummyLink(CONTRACT_LINK);
    await always.applyAddresses(again.index, [{ kind: 'addAddress', address: { family: 4, address: '10.96.0.1', prefixLength: 32 } }]);
    const err = await always.listAddresses(again.index).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(KernelError).and.include({ errno: E.EINTR });
    expect(dumps).to.equal(3);
  });

  it('sends nothing for an empty batch', async () => {
    expect(await kernel.applyAddresses(5, [])).to.deep.equal({ applied: 0, failures: [] });
    expect(transport.batchCalls).to.equal(0);
  });

  it('closes its transport', () => {
    kernel.close();
    expect(transport.closed).to.equal(true);
  });
});
