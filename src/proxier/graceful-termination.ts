// Graceful termination: a TCP real server leaving with connections goes to weight 0 instead of away
// (kube-proxy's behaviour, #57841) and is deleted once it is idle or its grace period is over; a
// deleted Service's TCP virtual server stays while its real servers drain (#71894). UDP and SCTP
// entries go at once (#71514: they would keep attracting datagrams; expire_nodest_conn drops them).
import type { IpvsKernel, IpvsOperation } from '../kernel/index.js';
import type { RealServer, RealServerKey, RealServerStatus, VirtualServer, VirtualServerKey } from '../model/index.js';
import { realServerKey, virtualServerKey } from '../model/index.js';
import type { Logger } from './observability.js';

export interface Terminating {
  readonly virtualServer: VirtualServer;
  /** the real server as kept in the kernel meanwhile: weight 0 */
  readonly server: RealServer;
  readonly deadline: number;
}

/** Connection counts read from the kernel during one sync, per virtual server (read at most once). */
export type Statuses = Map<VirtualServerKey, Map<RealServerKey, RealServerStatus>>;

export interface GracefulTerminationOptions {
  readonly ipvs: Pick<IpvsKernel, 'listRealServers'>;
  readonly gracePeriodMs: number;
  /** how often the connection counts of terminating real servers are read */
  readonly checkIntervalMs: number;
  readonly logger: Logger;
}

/**
 * Connections worth draining for: established ones. IPVS counts closing and TIME_WAIT entries as
 * inactive; they carry no data, and once the real server is gone expire_nodest_conn ends them, so
 * waiting minutes for them (kube-proxy counts them) only delays the removal.
 */
function liveConnections(status: RealServerStatus | undefined): number {
  return status?.activeConnections ?? 0;
}

/** The real servers on their way out, per virtual server, and when to look at them next. */
export class GracefulTermination {
  readonly #ipvs: Pick<IpvsKernel, 'listRealServers'>;
  readonly #gracePeriod: number;
  readonly #checkInterval: number;
  readonly #log: Logger;
  readonly #terminating = new Map<VirtualServerKey, Map<RealServerKey, Terminating>>();
  #nextCheck = -Infinity;

  constructor(options: GracefulTerminationOptions) {
    this.#ipvs = options.ipvs;
    this.#gracePeriod = options.gracePeriodMs;
    this.#checkInterval = options.checkIntervalMs;
    this.#log = options.logger;
  }

  /** When the next look at connection counts is due, or undefined when nothing is terminating. */
  get nextCheckAt(): number | undefined {
    return this.#terminating.size > 0 ? this.#nextCheck : undefined;
  }

  /** Real servers at weight 0 waiting for their connections to end. */
  count(): number {
    let n = 0;
    for (const m of this.#terminating.values()) n += m.size;
    return n;
  }

  /** The terminating real servers of one virtual server (the caller may delete revived ones). */
  of(key: VirtualServerKey): Map<RealServerKey, Terminating> | undefined {
    return this.#terminating.get(key);
  }

  forget(key: VirtualServerKey): void {
    this.#terminating.delete(key);
  }

  /**
   * Reads connection counts of terminating real servers (when due) and releases those with none
   * left, gone, or past the grace period, telling `released` their virtual server; returns the ones
   * to delete regardless of counts ("vsKey rsKey").
   */
  async reap(statuses: Statuses, now: number, released: (key: VirtualServerKey) => void): Promise<Set<string>> {
    const forceDelete = new Set<string>();
    if (this.#terminating.size === 0 || now < this.#nextCheck) return forceDelete;
    this.#nextCheck = now + this.#checkInterval;
    for (const [vsKey, leaving] of this.#terminating) {
      const first = leaving.values().next().value;
      if (!first) continue;
      const counts = await this.#statusesOf(first.virtualServer, statuses);
      for (const [rk, t] of leaving) {
        const connections = liveConnections(counts.get(rk));
        if (connections === 0 || now >= t.deadline) {
          if (connections > 0) {
            forceDelete.add(`${vsKey} ${rk}`);
            this.#log.info('grace period over; deleting real server with connections left', { virtualServer: vsKey, realServer: rk, connections });
          }
          leaving.delete(rk);
          released(vsKey);
        }
      }
      if (leaving.size === 0) this.#terminating.delete(vsKey);
    }
    return forceDelete;
  }

  /** Removals of TCP entries that may carry connections: they drain instead of going at once. */
  drains(op: IpvsOperation, forceDelete: ReadonlySet<string>): boolean {
    return (
      op.virtualServer.protocol === 'TCP' &&
      (op.kind === 'deleteVirtualServer' || (op.kind === 'deleteRealServer' && !forceDelete.has(`${virtualServerKey(op.virtualServer)} ${realServerKey(op.realServer)}`)))
    );
  }

  /** The operations that carry out draining removals: deletions of idle entries, weight 0 for the rest. */
  async operationsFor(drains: readonly IpvsOperation[], statuses: Statuses, now: number): Promise<IpvsOperation[]> {
    const ipvs: IpvsOperation[] = [];
    for (const op of drains) {
      if (op.kind === 'deleteRealServer') ipvs.push(...(await this.#drainRealServer(op.virtualServer, op.realServer, statuses, now)));
      else if (op.kind === 'deleteVirtualServer') ipvs.push(...(await this.#drainVirtualServer(op, statuses, now)));
    }
    return ipvs;
  }

  async #statusesOf(vs: VirtualServer, statuses: Statuses): Promise<Map<RealServerKey, RealServerStatus>> {
    const key = virtualServerKey(vs);
    let m = statuses.get(key);
    if (!m) {
      const list = await this.#ipvs.listRealServers(vs);
      m = new Map(list.map((r) => [realServerKey(r.server), r]));
      statuses.set(key, m);
    }
    return m;
  }

  /** A TCP real server on its way out: deleted when idle, else kept at weight 0 until it is. */
  async #drainRealServer(virtualServer: VirtualServer, realServer: RealServer, statuses: Statuses, now: number): Promise<IpvsOperation[]> {
    const vsKey = virtualServerKey(virtualServer);
    const rk = realServerKey(realServer);
    const connections = liveConnections((await this.#statusesOf(virtualServer, statuses)).get(rk));
    if (connections === 0) return [{ kind: 'deleteRealServer', virtualServer, realServer }];
    const server: RealServer = { ...realServer, weight: 0 };
    let leaving = this.#terminating.get(vsKey);
    if (!leaving) this.#terminating.set(vsKey, (leaving = new Map<RealServerKey, Terminating>()));
    leaving.set(rk, { virtualServer, server, deadline: now + this.#gracePeriod });
    if (this.#nextCheck < now) this.#nextCheck = now + this.#checkInterval;
    this.#log.info('real server terminating gracefully at weight 0', { virtualServer: vsKey, realServer: rk, connections });
    return realServer.weight !== 0 ? [{ kind: 'updateRealServer', virtualServer, realServer: server }] : [];
  }

  /**
   * A TCP virtual server whose Service is gone: its real servers drain like any others, and the
   * virtual server (with its address) goes once the last of them has.
   */
  async #drainVirtualServer(op: Extract<IpvsOperation, { kind: 'deleteVirtualServer' }>, statuses: Statuses, now: number): Promise<IpvsOperation[]> {
    const realServers = [...(await this.#statusesOf(op.virtualServer, statuses)).values()];
    const ops: IpvsOperation[] = [];
    for (const r of realServers) ops.push(...(await this.#drainRealServer(op.virtualServer, r.server, statuses, now)));
    const draining = this.#terminating.get(virtualServerKey(op.virtualServer))?.size ?? 0;
    this.#log.debug('virtual server of a deleted Service', { virtualServer: virtualServerKey(op.virtualServer), realServers: realServers.map((r) => `${realServerKey(r.server)} active=${r.activeConnections}`), draining });
    if (draining === 0) return [op]; // nothing to wait for: the virtual server goes with its real servers
    this.#log.info('virtual server of a deleted Service draining before it goes', { virtualServer: virtualServerKey(op.virtualServer), draining });
    return ops;
  }
}
