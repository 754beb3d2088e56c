// The behaviour every IpvsKernel must show — the netlink client in a real kernel and the stateful
// fake alike: kernel errnos per failing operation, no silent overwrite, read-back equal to what was applied.
import { expect } from 'chai';
import { constants as osConstants } from 'node:os';
import { KernelError } from '../../src/kernel/errors.js';
import type { BatchResult, IpvsKernel, IpvsOperation } from '../../src/kernel/ports.js';
import { VirtualServerFlags, realServerKey, virtualServerKey } from '../../src/model/index.js';
import type { RealServer, VirtualServer } from '../../src/model/index.js';

const E = osConstants.errno;

export interface IpvsKernelContractTarget {
  readonly name: string;
  /** a kernel to test; closed by the suite after each test */
  open(): Promise<IpvsKernel>;
  /** empties the IPVS table and restores default timeouts (900/120/300) */
  reset(): Promise<void>;
}

export function vs(address: string, port: number, extra: Partial<VirtualServer> = {}): VirtualServer {
  const family = address.includes(':') ? 6 : 4;
  return { family, protocol: 'TCP', address, port, fwmark: 0, scheduler: 'rr', flags: 0, timeout: 0, netmask: family === 4 ? 0xffffffff : 128, ...extra };
}

export function fwmarkVs(family: 4 | 6, fwmark: number, extra: Partial<VirtualServer> = {}): VirtualServer {
  return vs(family === 4 ? '0.0.0.0' : '::', 0, { fwmark, ...extra });
}

export function rs(address: string, port: number, extra: Partial<RealServer> = {}): RealServer {
  return { family: address.includes(':') ? 6 : 4, address, port, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0, ...extra };
}

const addVs = (v: VirtualServer): IpvsOperation => ({ kind: 'addVirtualServer', virtualServer: v });
const addRs = (v: VirtualServer, r: RealServer): IpvsOperation => ({ kind: 'addRealServer', virtualServer: v, realServer: r });

function byKey<T extends { server: VirtualServer }>(list: readonly T[]): VirtualServer[] {
  return list.map((s) => s.server).sort((a, b) => virtualServerKey(a).localeCompare(virtualServerKey(b)));
}
function realsByKey<T extends { server: RealServer }>(list: readonly T[]): RealServer[] {
  return list.map((s) => s.server).sort((a, b) => realServerKey(a).localeCompare(realServerKey(b)));
}
function sorted(list: readonly VirtualServer[]): VirtualServer[] {
  return [...list].sort((a, b) => virtualServerKey(a).localeCompare(virtualServerKey(b)));
}
function sortedReals(list: readonly RealServer[]): RealServer[] {
  return [...list].sort((a, b) => realServerKey(a).localeCompare(realServerKey(b)));
}

/** [index, errno, key] of each failure, for whole-batch comparisons. */
function failuresOf(result: BatchResult): Array<[number, number, string]> {
  return result.failures.map((f) => [f.index, f.error.errno, f.error.key]);
}

async function expectRejection(p: Promise<unknown>): Promise<KernelError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(KernelError);
    return e as KernelError;
  }
  throw new Error('expected a KernelError');
}

export function ipvsKernelContract(target: IpvsKernelContractTarget): void {
  describe(`IpvsKernel contract: ${target.name}`, () => {
    let kernel: IpvsKernel;
    beforeEach(async () => {
      await target.reset();
      kernel = await target.open();
    });
    afterEach(async () => {
      kernel.close();
      await target.reset();
    });

    const a = vs('10.96.0.1', 80);
    const b = vs('10.96.0.2', 443, { scheduler: 'wrr' });
    const r1 = rs('10.244.0.1', 8080);
    const r2 = rs('10.244.0.2', 8080, { weight: 5 });

    it('reports an IPVS version', async () => {
      const info = await kernel.info();
      expect(info.version).to.match(/^\d+\.\d+\.\d+$/);
      expect(info.connectionTableSize).to.be.a('number');
    });

    it('starts empty after reset', async () => {
      expect(await kernel.listVirtualServers()).to.deep.equal([]);
    });

    it('lists exactly what was applied: IPv4/IPv6, TCP/UDP/SCTP, fwmark, persistence, scheduler flags', async () => {
      const servers = [
        a,
        vs('10.96.0.10', 53, { protocol: 'UDP', scheduler: 'lc' }),
        vs('10.96.0.11', 3868, { protocol: 'SCTP', scheduler: 'wlc' }),
        vs('fd00::1', 80, { scheduler: 'sed' }),
        vs('fd00::a', 53, { protocol: 'UDP', flags: VirtualServerFlags.onePacket }),
        vs('fd00::b', 9999, { protocol: 'SCTP' }),
        vs('10.96.0.20', 80, { flags: VirtualServerFlags.persistent, timeout: 10800, netmask: 0xffffff00 }),
        vs('fd00::20', 80, { flags: VirtualServerFlags.persistent, timeout: 300, netmask: 64 }),
        vs('10.96.0.30', 80, { scheduler: 'sh', flags: VirtualServerFlags.sched1 | VirtualServerFlags.sched2 }),
        vs('10.96.0.31', 80, { scheduler: 'mh', flags: VirtualServerFlags.sched1 }),
        fwmarkVs(4, 0x4000),
        fwmarkVs(6, 7, { scheduler: 'nq' }),
      ];
      const result = await kernel.apply(servers.map(addVs));
      expect(failuresOf(result)).to.deep.equal([]);
      expect(result.applied).to.equal(servers.length);
      const listed = await kernel.listVirtualServers();
      expect(byKey(listed)).to.deep.equal(sorted(servers));
      for (const s of listed) {
        expect(s.server.flags & VirtualServerFlags.hashed, 'HASHED is kernel-owned, never reported').to.equal(0);
        expect(typeof s.stats.connections).to.equal('bigint');
      }
    });

    it('lists the real servers of each virtual server as applied, IPv4 and IPv6, every setting', async () => {
      const six = vs('fd00::1', 80);
      const fw = fwmarkVs(4, 1);
      const reals4 = [r1, r2, rs('10.244.0.3', 80, { forward: 'droute', weight: 0 }), rs('10.244.0.4', 81, { forward: 'tunnel', upperThreshold: 100, lowerThreshold: 10 })];
      const reals6 = [rs('fd00:244::1', 8080), rs('fd00:244::2', 8080, { weight: 7 })];
      const ops = [addVs(a), addVs(six), addVs(fw), ...reals4.map((r) => addRs(a, r)), ...reals6.map((r) => addRs(six, r)), addRs(fw, r1)];
      const result = await kernel.apply(ops);
      expect(failuresOf(result)).to.deep.equal([]);
      expect(realsByKey(await kernel.listRealServers(a))).to.deep.equal(sortedReals(reals4));
      expect(realsByKey(await kernel.listRealServers(six))).to.deep.equal(sortedReals(reals6));
      expect(realsByKey(await kernel.listRealServers(fw))).to.deep.equal([r1]);
      const status = (await kernel.listRealServers(a))[0];
      expect(status?.activeConnections).to.equal(0);
      expect(typeof status?.stats.bytesIn).to.equal('bigint');
    });

    it('lists no real servers for a virtual server that does not exist', async () => {
      expect(await kernel.listRealServers(b)).to.deep.equal([]);
    });

    it('EEXIST on a duplicate virtual server, without overwriting its settings', async () => {
      await kernel.apply([addVs(a)]);
      const result = await kernel.apply([addVs({ ...a, scheduler: 'wlc' })]);
      expect(failuresOf(result)).to.deep.equal([[0, E.EEXIST, virtualServerKey(a)]]);
      expect(result.applied).to.equal(0);
      const err = result.failures[0]?.error;
      expect(err).to.be.instanceOf(KernelError);
      expect(err?.code).to.equal('KIPVS_KERNEL_ERRNO');
      expect(err?.operation).to.match(/^ipvs\.\w+/);
      expect(byKey(await kernel.listVirtualServers())).to.deep.equal([a]);
    });

    it('EEXIST on a duplicate real server, without overwriting its weight', async () => {
      await kernel.apply([addVs(a), addRs(a, r1)]);
      const result = await kernel.apply([addRs(a, { ...r1, weight: 9 })]);
      expect(failuresOf(result)).to.deep.equal([[0, E.EEXIST, `${virtualServerKey(a)} -> ${realServerKey(r1)}`]]);
      expect(realsByKey(await kernel.listRealServers(a))).to.deep.equal([r1]);
    });

    it('ESRCH for every operation on a missing virtual server', async () => {
      const result = await kernel.apply([
        { kind: 'updateVirtualServer', virtualServer: b },
        { kind: 'deleteVirtualServer', virtualServer: b },
        addRs(b, r1),
        { kind: 'updateRealServer', virtualServer: b, realServer: r1 },
        { kind: 'deleteRealServer', virtualServer: b, realServer: r1 },
      ]);
      expect(result.failures.map((f) => [f.index, f.error.errno])).to.deep.equal([
        [0, E.ESRCH],
        [1, E.ESRCH],
        [2, E.ESRCH],
        [3, E.ESRCH],
        [4, E.ESRCH],
      ]);
      expect(result.applied).to.equal(0);
      expect(await kernel.listVirtualServers()).to.deep.equal([]);
    });

    it('ENOENT for updating or deleting a missing real server', async () => {
      await kernel.apply([addVs(a)]);
      const result = await kernel.apply([
        { kind: 'updateRealServer', virtualServer: a, realServer: r1 },
        { kind: 'deleteRealServer', virtualServer: a, realServer: r1 },
      ]);
      expect(failuresOf(result)).to.deep.equal([
        [0, E.ENOENT, `${virtualServerKey(a)} -> ${realServerKey(r1)}`],
        [1, E.ENOENT, `${virtualServerKey(a)} -> ${realServerKey(r1)}`],
      ]);
    });

    it('ERANGE for a negative weight or a lower threshold above the upper one; ENOENT for an unknown scheduler', async () => {
      const result = await kernel.apply([
        addVs(a),
        addRs(a, rs('10.244.0.9', 80, { weight: -1 })),
        addRs(a, rs('10.244.0.9', 81, { upperThreshold: 5, lowerThreshold: 6 })),
        addVs(vs('10.96.0.99', 80, { scheduler: 'nosuch' })),
      ]);
      expect(result.failures.map((f) => [f.index, f.error.errno])).to.deep.equal([
        [1, E.ERANGE],
        [2, E.ERANGE],
        [3, E.ENOENT],
      ]);
      expect(byKey(await kernel.listVirtualServers())).to.deep.equal([a]);
      expect(await kernel.listRealServers(a)).to.deep.equal([]);
    });

    it('attributes failures in the middle of a batch to their index and applies the rest', async () => {
      const c = vs('10.96.0.3', 80, { protocol: 'UDP' });
      const ops: IpvsOperation[] = [
        addVs(a),
        addVs(a), // EEXIST
        addRs(b, r1), // ESRCH: b does not exist
        addRs(a, r1),
        { kind: 'deleteRealServer', virtualServer: a, realServer: r2 }, // ENOENT
        addVs(c),
        addRs(c, r2),
        addRs(a, r1), // EEXIST
        addRs(a, r2),
      ];
      const result = await kernel.apply(ops);
      expect(failuresOf(result)).to.deep.equal([
        [1, E.EEXIST, virtualServerKey(a)],
        [2, E.ESRCH, `${virtualServerKey(b)} -> ${realServerKey(r1)}`],
        [4, E.ENOENT, `${virtualServerKey(a)} -> ${realServerKey(r2)}`],
        [7, E.EEXIST, `${virtualServerKey(a)} -> ${realServerKey(r1)}`],
      ]);
      expect(result.applied).to.equal(5);
      expect(byKey(await kernel.listVirtualServers())).to.deep.equal(sorted([a, c]));
      expect(realsByKey(await kernel.listRealServers(a))).to.deep.equal(sortedReals([r1, r2]));
      expect(realsByKey(await kernel.listRealServers(c))).to.deep.equal([r2]);
    });

    it('updates settings of virtual and real servers in place', async () => {
      await kernel.apply([addVs(a), addRs(a, r1)]);
      const a2 = { ...a, scheduler: 'sh', flags: VirtualServerFlags.persistent, timeout: 60 };
      const r1b = { ...r1, weight: 0, forward: 'droute' as const, upperThreshold: 50, lowerThreshold: 5 };
      const result = await kernel.apply([
        { kind: 'updateVirtualServer', virtualServer: a2 },
        { kind: 'updateRealServer', virtualServer: a2, realServer: r1b },
      ]);
      expect(failuresOf(result)).to.deep.equal([]);
      expect(byKey(await kernel.listVirtualServers())).to.deep.equal([a2]);
      expect(realsByKey(await kernel.listRealServers(a2))).to.deep.equal([r1b]);
    });

    it('deleting a virtual server removes its real servers; deleting a real server removes only it', async () => {
      await kernel.apply([addVs(a), addRs(a, r1), addRs(a, r2), addVs(b), addRs(b, r1)]);
      const result = await kernel.apply([
        { kind: 'deleteRealServer', virtualServer: a, realServer: r1 },
        { kind: 'deleteVirtualServer', virtualServer: b },
      ]);
      expect(failuresOf(result)).to.deep.equal([]);
      expect(byKey(await kernel.listVirtualServers())).to.deep.equal([a]);
      expect(realsByKey(await kernel.listRealServers(a))).to.deep.equal([r2]);
      // b is gone with its real servers: re-adding the same real server works again
      expect(failuresOf(await kernel.apply([addVs(b), addRs(b, r1)]))).to.deep.equal([]);
    });

    it('EINVAL for a real server of the other family unless it is tunnelled', async () => {
      const other = rs('fd00::9', 80);
      const result = await kernel.apply([addVs(a), addRs(a, other), addRs(a, { ...other, forward: 'tunnel' })]);
      expect(result.failures.map((f) => [f.index, f.error.errno])).to.deep.equal([[1, E.EINVAL]]);
      expect(realsByKey(await kernel.listRealServers(a))).to.deep.equal([{ ...other, forward: 'tunnel' }]);
    });

    it('EINVAL for an IPv6 prefix length outside 1..128', async () => {
      const result = await kernel.apply([addVs(vs('fd00::30', 80, { netmask: 0 })), addVs(vs('fd00::31', 80, { netmask: 129 }))]);
      expect(result.failures.map((f) => [f.index, f.error.errno])).to.deep.equal([
        [0, E.EINVAL],
        [1, E.EINVAL],
      ]);
    });

    it('identifies a fwmark virtual server by family and mark alone: its protocol reads back as TCP', async () => {
      const result = await kernel.apply([addVs(fwmarkVs(4, 9, { protocol: 'UDP' }))]);
      expect(failuresOf(result)).to.deep.equal([]);
      expect(byKey(await kernel.listVirtualServers())).to.deep.equal([fwmarkVs(4, 9)]);
      // the same mark with another protocol is the same virtual server
      const again = await kernel.apply([addVs(fwmarkVs(4, 9, { protocol: 'SCTP' }))]);
      expect(again.failures.map((f) => f.error.errno)).to.deep.equal([E.EEXIST]);
    });

    it('applies an empty batch as a no-op', async () => {
      expect(await kernel.apply([])).to.deep.equal({ applied: 0, failures: [] });
    });

    it('gets and sets timeouts; 0 leaves a timeout unchanged', async () => {
      expect(await kernel.getTimeouts()).to.deep.equal({ tcp: 900, tcpFin: 120, udp: 300 });
      await kernel.setTimeouts({ tcp: 1000, tcpFin: 60, udp: 200 });
      expect(await kernel.getTimeouts()).to.deep.equal({ tcp: 1000, tcpFin: 60, udp: 200 });
      await kernel.setTimeouts({ tcp: 0, tcpFin: 0, udp: 30 });
      expect(await kernel.getTimeouts()).to.deep.equal({ tcp: 1000, tcpFin: 60, udp: 30 });
    });

    it('flush deletes every virtual server', async () => {
      await kernel.apply([addVs(a), addRs(a, r1), addVs(fwmarkVs(6, 3))]);
      await kernel.flush();
      expect(await kernel.listVirtualServers()).to.deep.equal([]);
    });

    it('rejects calls after close()', async () => {
      kernel.close();
      await expectRejection(kernel.listVirtualServers());
      kernel = await target.open();
    });
  });
}
