// A stateful IpvsKernel that answers like the kernel (EEXIST, ESRCH, ENOENT, ERANGE), for unit tests
// and for the contract suite the netlink implementation also runs. It keeps an operation log.
import { FakeCallLog, type FakeCallLogEntry, type FakeFailure } from './fake-call-log.js';
import { constants as osConstants } from 'node:os';
import { KernelError } from '../../src/kernel/errors.js';
import type { BatchResult, IpvsKernel, IpvsOperation, IpvsTimeouts } from '../../src/kernel/ports.js';
import type {
  RealServer,
  RealServerKey,
  RealServerStatus,
  TrafficStats,
  VirtualServer,
  VirtualServerKey,
  VirtualServerStatus,
} from '../../src/model/ipvs.js';
import { IPVS_SCHEDULERS, realServerKey, VirtualServerFlags, virtualServerKey } from '../../src/model/ipvs.js';

const E = osConstants.errno;

/** Schedulers the fake kernel "has modules for"; others answer ENOENT like a missing module. */
export const FAKE_KERNEL_SCHEDULERS: readonly string[] = IPVS_SCHEDULERS;

/** The netlink command each operation kind stands for (used as KernelError.operation). */
export const IPVS_OPERATION_NAMES: Readonly<Record<IpvsOperation['kind'], string>> = {
  addVirtualServer: 'ipvs.addVirtualServer',
  updateVirtualServer: 'ipvs.updateVirtualServer',
  deleteVirtualServer: 'ipvs.deleteVirtualServer',
  addRealServer: 'ipvs.addRealServer',
  updateRealServer: 'ipvs.updateRealServer',
  deleteRealServer: 'ipvs.deleteRealServer',
};

/** 'apply' fails a whole batch, as a transport error or timeout would */
export type FakeIpvsCall = IpvsOperation['kind'] | 'apply' | 'info' | 'listVirtualServers' | 'listRealServers' | 'getTimeouts' | 'setTimeouts' | 'flush';

/** One call the fake received: what, on which key, and the errno it answered (0 = success). */
export type FakeIpvsLogEntry = FakeCallLogEntry<FakeIpvsCall>;

export type FakeIpvsFailure = FakeFailure<FakeIpvsCall>;

interface RealServerEntry {
  server: RealServer;
  activeConnections: number;
  inactiveConnections: number;
  persistentConnections: number;
}

interface VirtualServerEntry {
  server: VirtualServer;
  reals: Map<RealServerKey, RealServerEntry>;
}

const ZERO_STATS: TrafficStats = { connections: 0n, packetsIn: 0n, packetsOut: 0n, bytesIn: 0n, bytesOut: 0n };

function realKey(vs: VirtualServer, rs: RealServer): string {
  return `${virtualServerKey(vs)} -> ${realServerKey(rs)}`;
}

function copyVirtualServer(vs: VirtualServer): VirtualServer {
  return { ...vs, flags: vs.flags & ~VirtualServerFlags.hashed };
}

export class FakeIpvsKernel extends FakeCallLog<FakeIpvsCall> implements IpvsKernel {
  readonly #services = new Map<VirtualServerKey, VirtualServerEntry>();
  #timeouts: IpvsTimeouts = { tcp: 900, tcpFin: 120, udp: 300 };
  #closed = false;


  /** Sets the connection counters the kernel would report for a real server (graceful-termination tests). */
  setConnections(vsKey: string, rsKey: string, counts: { active: number; inactive: number; persistent?: number }): void {
    const rs = this.#services.get(vsKey as VirtualServerKey)?.reals.get(rsKey as RealServerKey);
    if (!rs) throw new Error(`fake ipvs: no real server ${rsKey} in ${vsKey}`);
    rs.activeConnections = counts.active;
    rs.inactiveConnections = counts.inactive;
    rs.persistentConnections = counts.persistent ?? 0;
  }

  /** Synchronous snapshot for assertions: virtual server key → its settings and real servers by key. */
  snapshot(): Map<VirtualServerKey, { server: VirtualServer; reals: Map<RealServerKey, RealServer> }> {
    const out = new Map<VirtualServerKey, { server: VirtualServer; reals: Map<RealServerKey, RealServer> }>();
    for (const [k, e] of this.#services) {
      out.set(k, { server: copyVirtualServer(e.server), reals: new Map([...e.reals].map(([rk, r]) => [rk, { ...r.server }])) });
    }
    return out;
  }

  /** `ipvsadm -Sn`-like sorted lines, handy for whole-table equality in tests. */
  dump(): string[] {
    const lines: string[] = [];
    for (const [k, e] of this.#services) {
      const vs = e.server;
      const p = vs.flags & VirtualServerFlags.persistent ? ` -p ${vs.timeout}` : '';
      lines.push(`-A ${k} -s ${vs.scheduler}${p} flags=0x${vs.flags.toString(16)}`);
      for (const [rk, r] of e.reals) lines.push(`-a ${k} -r ${rk} -${r.server.forward} -w ${r.server.weight}`);
    }
    return lines.sort();
  }

  // ---- IpvsKernel ---------------------------------------------------------------------------

  info(): Promise<{ readonly version: string; readonly connectionTableSize: number }> {
    return this.#call('info', '', false, () => ({ version: '1.2.1', connectionTableSize: 4096 }));
  }

  listVirtualServers(): Promise<VirtualServerStatus[]> {
    return this.#call('listVirtualServers', '', false, () =>
      [...this.#services.values()].map((e) => ({ server: copyVirtualServer(e.server), stats: { ...ZERO_STATS } })),
    );
  }

  listRealServers(virtualServer: VirtualServer): Promise<RealServerStatus[]> {
    const key = virtualServerKey(virtualServer);
    // Like GET_DEST dump: a missing service gives an empty list, not an error.
    return this.#call('listRealServers', key, false, () =>
      [...(this.#services.get(key)?.reals.values() ?? [])].map((r) => ({
        server: { ...r.server },
        activeConnections: r.activeConnections,
        inactiveConnections: r.inactiveConnections,
        persistentConnections: r.persistentConnections,
        stats: { ...ZERO_STATS },
      })),
    );
  }

  apply(operations: readonly IpvsOperation[]): Promise<BatchResult> {
    if (this.#closed) return Promise.reject(this.#closedError('apply'));
    const whole = this.takeFailure('apply', '');
    if (whole !== undefined) {
      this.record({ call: 'apply', key: '', errno: whole, write: true });
      return Promise.reject(new KernelError('KIPVS_KERNEL_TIMEOUT', whole, 'ipvs.apply', `${operations.length} operations`));
    }
    const failures: Array<{ index: number; error: KernelError }> = [];
    let applied = 0;
    operations.forEach((op, index) => {
      const key = 'realServer' in op ? realKey(op.virtualServer, op.realServer) : virtualServerKey(op.virtualServer);
      const errno = this.takeFailure(op.kind, key) ?? this.#applyOne(op);
      this.record({ call: op.kind, key, errno, write: true });
      if (errno === 0) applied++;
      else failures.push({ index, error: KernelError.errno(errno, IPVS_OPERATION_NAMES[op.kind], key) });
    });
    return Promise.resolve({ applied, failures });
  }

  getTimeouts(): Promise<IpvsTimeouts> {
    return this.#call('getTimeouts', '', false, () => ({ ...this.#timeouts }));
  }

  setTimeouts(timeouts: IpvsTimeouts): Promise<void> {
    return this.#call('setTimeouts', '', true, () => {
      // 0 means "leave unchanged", as SET_CONFIG does
      this.#timeouts = {
        tcp: timeouts.tcp || this.#timeouts.tcp,
        tcpFin: timeouts.tcpFin || this.#timeouts.tcpFin,
        udp: timeouts.udp || this.#timeouts.udp,
      };
    });
  }

  flush(): Promise<void> {
    return this.#call('flush', '', true, () => this.#services.clear());
  }

  close(): void {
    this.#closed = true;
  }

  // ---- internals ----------------------------------------------------------------------------

  #closedError(operation: string): KernelError {
    return new KernelError('KIPVS_KERNEL_UNAVAILABLE', 0, operation, 'closed', 'fake ipvs kernel: used after close()');
  }

  #call<T>(call: FakeIpvsCall, key: string, write: boolean, body: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closedError(call));
    const errno = this.takeFailure(call, key);
    this.record({ call, key, errno: errno ?? 0, write });
    if (errno !== undefined) return Promise.reject(KernelError.errno(errno, `ipvs.${call}`, key));
    return Promise.resolve(body());
  }


  /** Applies one operation; returns 0 or the errno the kernel would answer. */
  #applyOne(op: IpvsOperation): number {
    const key = virtualServerKey(op.virtualServer);
    const entry = this.#services.get(key);
    switch (op.kind) {
      case 'addVirtualServer': {
        if (entry) return E.EEXIST;
        const bad = this.#checkVirtualServer(op.virtualServer);
        if (bad) return bad;
        this.#services.set(key, { server: asKernelStores(op.virtualServer), reals: new Map() });
        return 0;
      }
      case 'updateVirtualServer': {
        if (!entry) return E.ESRCH;
        const bad = this.#checkVirtualServer(op.virtualServer);
        if (bad) return bad;
        entry.server = asKernelStores(op.virtualServer);
        return 0;
      }
      case 'deleteVirtualServer':
        if (!entry) return E.ESRCH;
        this.#services.delete(key); // its real servers go with it
        return 0;
      case 'addRealServer': {
        if (!entry) return E.ESRCH;
        const rk = realServerKey(op.realServer);
        if (entry.reals.has(rk)) return E.EEXIST;
        const bad = this.#checkRealServer(op.realServer, entry.server);
        if (bad) return bad;
        entry.reals.set(rk, { server: { ...op.realServer }, activeConnections: 0, inactiveConnections: 0, persistentConnections: 0 });
        return 0;
      }
      case 'updateRealServer': {
        if (!entry) return E.ESRCH;
        const rs = entry.reals.get(realServerKey(op.realServer));
        if (!rs) return E.ENOENT;
        const bad = this.#checkRealServer(op.realServer, entry.server);
        if (bad) return bad;
        rs.server = { ...op.realServer }; // counters survive a SET_DEST
        return 0;
      }
      case 'deleteRealServer': {
        if (!entry) return E.ESRCH;
        const rk = realServerKey(op.realServer);
        if (!entry.reals.has(rk)) return E.ENOENT;
        entry.reals.delete(rk);
        return 0;
      }
    }
  }

  #checkVirtualServer(vs: VirtualServer): number {
    if (vs.family !== 4 && vs.family !== 6) return E.EAFNOSUPPORT;
    if (!FAKE_KERNEL_SCHEDULERS.includes(vs.scheduler)) return E.ENOENT;
    if (vs.fwmark === 0 && (vs.port < 0 || vs.port > 65535)) return E.EINVAL;
    if (vs.family === 6 && (vs.netmask < 1 || vs.netmask > 128)) return E.EINVAL;
    return 0;
  }

  #checkRealServer(rs: RealServer, vs: VirtualServer): number {
    // the kernel mixes families only for tunnelled real servers
    if (rs.family !== vs.family && rs.forward !== 'tunnel') return E.EINVAL;
    if (rs.weight < 0 || rs.lowerThreshold > rs.upperThreshold) return E.ERANGE;
    if (rs.port < 0 || rs.port > 65535) return E.EINVAL;
    return 0;
  }
}

/** What the kernel keeps of a virtual server: a fwmark service always reads back as TCP. */
function asKernelStores(vs: VirtualServer): VirtualServer {
  const copy = copyVirtualServer(vs);
  return copy.fwmark !== 0 ? { ...copy, protocol: 'TCP' } : copy;
}
