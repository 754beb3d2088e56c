// The reconciler: keeps the cluster objects it is told about, recomputes desired state for changed
// Services only, and brings the kernel to it through the ports — coalesced, batched, retried.
import type { Cidr, CoreConfig, IpvsState, MutableIpvsState, Plan, Rejection, VirtualServerState } from '../core/index.js';
import {
  applyAddressOperation,
  applyIpvsOperation,
  desiredForService,
  diff,
  emptyState,
  parseCidrs,
  planSize,
  vipAddress,
} from '../core/index.js';
import type { AddressOperation, BatchResult, InterfaceAddress, IpvsKernel, IpvsOperation, LinkKernel } from '../kernel/index.js';
import { errnoName, isKernelError } from '../kernel/errors.js';
import type {
  ClusterObjectHandler,
  EndpointSliceLike,
  IpFamily,
  NodeLike,
  RealServer,
  RealServerKey,
  ServiceLike,
  VirtualServerKey,
} from '../model/index.js';
import { TOPOLOGY_ZONE_LABEL, sameRealServerSettings, sameVirtualServerSettings, virtualServerKey } from '../model/index.js';
import type { CleanupResult } from './cleanup.js';
import { cleanupOwnedState } from './cleanup.js';
import { ClusterObjectStore } from './object-store.js';
import { KernelTally, type Removed } from './kernel-tally.js';
import type { Clock, Logger, ReconcilerMetrics } from './observability.js';
import { nullMetrics, silentLogger, systemClock } from './observability.js';
import { GracefulTermination, type Statuses } from './graceful-termination.js';
import { BackgroundAuditRead } from './audit-read.js';
import { readOwnedState, type OwnedKernelState } from './read-kernel.js';

export const DEFAULT_LINK_NAME = 'kube-ipvs0';
export const DEFAULT_SYNC_PERIOD_MS = 30_000;
/** Bursts of changes within this window become one sync (kube-proxy's default is 0: every change). */
export const DEFAULT_MIN_SYNC_PERIOD_MS = 1_000;
/**
 * Upper bound on a terminating real server's life at weight 0. kube-proxy has none (it waits for the
 * connections to end, forever); 15 minutes is the kernel's default TCP established timeout, after
 * which an idle connection is gone anyway.
 */
export const DEFAULT_GRACE_PERIOD_MS = 15 * 60_000;
/** How often terminating real servers' connection counts are read (kube-proxy: 1 minute). */
export const DEFAULT_GRACEFUL_CHECK_INTERVAL_MS = 10_000;
export const DEFAULT_MAX_BACKOFF_MS = 30_000;
export const DEFAULT_BATCH_SIZE = 1_000;

export interface ReconcilerOptions {
  readonly ipvs: IpvsKernel;
  readonly link: LinkKernel;
  /** this node's name (endpoints' nodeName, for internalTrafficPolicy Local) */
  readonly nodeName: string;
  /** IP families this node serves */
  readonly families: readonly IpFamily[];
  /** service.kubernetes.io/service-proxy-name value we answer to; unset: only unlabelled Services */
  readonly proxyName?: string | undefined;
  /** default IPVS scheduler (rr) */
  readonly scheduler?: string | undefined;
  /** CIDR texts; virtual servers and addresses inside them are never programmed or touched. Invalid → constructor throws. */
  readonly excludeCidrs?: readonly string[] | undefined;
  /** dummy link holding the VIPs (kube-ipvs0) */
  readonly linkName?: string | undefined;
  /** period of full audits that read the kernel back and heal drift (30 s) */
  readonly syncPeriodMs?: number | undefined;
  /** minimum time between two syncs' starts; bursts coalesce (1 s) */
  readonly minSyncPeriodMs?: number | undefined;
  /** longest a TCP real server stays at weight 0 before deletion (15 min) */
  readonly gracePeriodMs?: number | undefined;
  readonly gracefulCheckIntervalMs?: number | undefined;
  /** cap of the retry backoff after a failed sync (30 s; starts at 1 s, doubles) */
  readonly maxBackoffMs?: number | undefined;
  /** IPVS operations per apply() call (1000) */
  readonly batchSize?: number | undefined;
  readonly clock?: Clock | undefined;
  readonly logger?: Logger | undefined;
  readonly metrics?: ReconcilerMetrics | undefined;
}

export interface SyncFailure {
  /** e.g. "ipvs.newService", "link.newAddress", "ipvs.listVirtualServers" */
  readonly operation: string;
  readonly key: string;
  /** 0 when not an errno (timeout, transport) */
  readonly errno: number;
  readonly errnoName: string;
  readonly message: string;
  /**
   * the virtual server a refused operation was for: the kernel said no to this object only, and
   * it is retried on its own; undefined for failures of the sync itself (reads, link, transport)
   */
  readonly virtualServer?: VirtualServerKey;
}

export interface SyncResult {
  /** full: read the kernel back and compared everything we own; partial: changed Services only */
  readonly kind: 'full' | 'partial';
  readonly startedAt: number;
  readonly durationMs: number;
  readonly servicesComputed: number;
  /** kernel writes attempted (IPVS + address operations) */
  readonly operations: number;
  readonly applied: number;
  readonly failures: readonly SyncFailure[];
  readonly rejections: number;
}

export interface ReconcilerHealth {
  readonly synced: boolean;
  /** clock time of the last sync that ended without failures (undefined: none yet) */
  readonly lastSuccessAt: number | undefined;
  /** clock time since which changes wait to be programmed (undefined: none waiting) */
  readonly pendingSince: number | undefined;
  readonly lastResult: SyncResult | undefined;
}


function failureOf(e: unknown, operation: string, key: string, virtualServer?: VirtualServerKey): SyncFailure {
  const where = virtualServer === undefined ? {} : { virtualServer };
  if (isKernelError(e)) return { operation: e.operation, key: e.key, errno: e.errno, errnoName: e.errnoName, message: e.message, ...where };
  const message = e instanceof Error ? e.message : String(e);
  return { operation, key, errno: 0, errnoName: errnoName(0), message, ...where };
}

/** Per-object retries: 1 s doubling to 5 min, so one refused object neither spins nor blocks. */
const OBJECT_RETRY_MAX_MS = 5 * 60_000;

/** A failure of one object's operation (as opposed to a read, the link, or the transport). */
function isObjectFailure(f: SyncFailure): boolean {
  return f.virtualServer !== undefined || (f.errno !== 0 && (f.operation === 'link.addAddress' || f.operation === 'link.deleteAddress'));
}

/**
 * The new desired state of a virtual server, reusing the previous state's objects for what did not
 * change. The kernel's shadow copy holds the objects that were applied; without this, every change
 * to a Service left it holding one copy and the desired state another (at 10,000 × 5 after every
 * Service changed once: 60,000 extra objects).
 */
function sharingUnchanged(previous: VirtualServerState | undefined, next: VirtualServerState): VirtualServerState {
  if (!previous) return next;
  const p = previous.server;
  const n = next.server;
  const sameServer = sameVirtualServerSettings(p, n) && p.flags === n.flags;
  const realServers = new Map<RealServerKey, RealServer>();
  for (const [rk, rs] of next.realServers) {
    const old = previous.realServers.get(rk);
    realServers.set(rk, old !== undefined && old.family === rs.family && sameRealServerSettings(old, rs) ? old : rs);
  }
  return { server: sameServer ? p : n, realServers };
}

export class Reconciler implements ClusterObjectHandler {
  readonly #ipvs: IpvsKernel;
  readonly #link: LinkKernel;
  #config: CoreConfig;
  readonly #excludeCidrs: readonly Cidr[];
  readonly #linkName: string;
  readonly #syncPeriod: number;
  readonly #minSyncPeriod: number;
  readonly #maxBackoff: number;
  readonly #batchSize: number;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #metrics: ReconcilerMetrics;

  readonly #store = new ClusterObjectStore();
  /** desired virtual servers of every Service, and who claims each */
  readonly #desired = new Map<VirtualServerKey, VirtualServerState>();
  readonly #owner = new Map<VirtualServerKey, string>();
  readonly #claims = new Map<string, VirtualServerKey[]>();
  /** Services refused a key another Service holds; recomputed when it is released */
  readonly #waiting = new Map<VirtualServerKey, Set<string>>();
  /** desired virtual servers per address: an address is desired while this is > 0 */
  readonly #addressRefs = new Map<string, number>();
  #desiredRealServers = 0;
  /** per Service, its virtual servers with no local endpoint under internalTrafficPolicy Local (only those with any) */
  readonly #noLocalEndpoints = new Map<string, number>();
  /** changes seen since the last sync took them, for kube-proxy's *_changes_pending gauges */
  #pendingServiceChanges = 0;
  #pendingEndpointChanges = 0;
  /** shadow copy of what we own in the kernel: last read back, plus our successful writes */
  #observed: MutableIpvsState = emptyState();
  /** virtual servers to compare at the next partial sync */
  readonly #scope = new Set<VirtualServerKey>();
  readonly #terminating: GracefulTermination;
  /** the periodic audit's kernel read, made while changes keep being served */
  readonly #auditRead = new BackgroundAuditRead();
  /** per Service, the rejections already logged and counted (as reason|object|detail) */
  readonly #reportedRejections = new Map<string, ReadonlySet<string>>();
  /** virtual servers whose last change the kernel refused, with their own retry schedule */
  readonly #objectRetries = new Map<VirtualServerKey, { attempts: number; at: number }>();

  #synced = false;
  #stopped = false;
  #linkIndex: number | undefined;
  #needFull = true;
  #lastSyncStart = -Infinity;
  #lastFullSync = -Infinity;
  #failuresInRow = 0;
  #retryAt: number | undefined;
  #pendingSince: number | undefined;
  #lastSuccessAt: number | undefined;
  #lastResult: SyncResult | undefined;
  #running: Promise<SyncResult> | undefined;
  #timer: unknown;
  #timerAt: number | undefined;

  constructor(options: ReconcilerOptions) {
    this.#ipvs = options.ipvs;
    this.#link = options.link;
    this.#excludeCidrs = parseCidrs(options.excludeCidrs ?? []);
    this.#config = {
      nodeName: options.nodeName,
      families: options.families,
      proxyName: options.proxyName,
      scheduler: options.scheduler,
      excludeCidrs: this.#excludeCidrs,
    };
    this.#linkName = options.linkName ?? DEFAULT_LINK_NAME;
    this.#syncPeriod = options.syncPeriodMs ?? DEFAULT_SYNC_PERIOD_MS;
    this.#minSyncPeriod = options.minSyncPeriodMs ?? DEFAULT_MIN_SYNC_PERIOD_MS;
    this.#maxBackoff = options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
    this.#batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? silentLogger;
    this.#metrics = options.metrics ?? nullMetrics;
    this.#terminating = new GracefulTermination({
      ipvs: this.#ipvs,
      gracePeriodMs: options.gracePeriodMs ?? DEFAULT_GRACE_PERIOD_MS,
      checkIntervalMs: options.gracefulCheckIntervalMs ?? DEFAULT_GRACEFUL_CHECK_INTERVAL_MS,
      logger: this.#log,
    });
  }

  // ---- ClusterObjectHandler -----------------------------------------------------------------

  serviceChanged(key: string, service: ServiceLike | undefined): void {
    this.#store.setService(key, service);
    this.#metrics.serviceChangesSeen();
    this.#metrics.setServiceChangesPending(++this.#pendingServiceChanges);
    this.#changed();
  }

  endpointSliceChanged(key: string, slice: EndpointSliceLike | undefined): void {
    this.#store.setSlice(key, slice);
    this.#metrics.endpointChangesSeen();
    this.#metrics.setEndpointChangesPending(++this.#pendingEndpointChanges);
    this.#changed();
  }

  nodeChanged(node: NodeLike | undefined): void {
    // a deleted Node has no zone any more, as in kube-proxy: every endpoint again
    const zone = node?.metadata?.labels?.[TOPOLOGY_ZONE_LABEL] ?? '';
    if (zone === (this.#config.zone ?? '')) return;
    this.#log.info('node zone', { zone, was: this.#config.zone ?? '' });
    this.#config = { ...this.#config, zone };
    // only Services whose endpoints carry topology hints can choose differently
    if (this.#store.markHintedDirty() > 0) this.#changed();
  }

  synced(): void {
    if (this.#synced) return;
    this.#synced = true;
    this.#log.info('cluster objects synced; programming starts', { services: this.#store.serviceKeys().length });
    this.#wake();
  }

  // ---- control ------------------------------------------------------------------------------

  /** Runs a sync now (after any running one); `full` reads the kernel back first. Never throws. */
  syncNow(options: { full?: boolean } = {}): Promise<SyncResult> {
    if (!this.#synced || this.#stopped) {
      // nothing is programmed before the initial lists are in, nor after stop()
      return Promise.resolve({ kind: 'partial', startedAt: this.#clock.now(), durationMs: 0, servicesComputed: 0, operations: 0, applied: 0, failures: [], rejections: 0 });
    }
    return this.#run(options.full === true);
  }

  /** Resolves when no sync and no audit read is running. */
  async idle(): Promise<void> {
    while (this.#running || this.#auditRead.reading) {
      if (this.#running) await this.#running;
      else await this.#auditRead.settled();
    }
  }

  /** Stops timers and waits for a running sync; the kernel is left as it is (restart-safe). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clearTimer();
    // an audit's read under way writes nothing: a stop (SIGTERM) does not wait seconds for it
    while (this.#running) await this.#running;
  }

  /** Removes the virtual servers we own and the dummy link; every other IPVS rule stays. */
  async cleanup(): Promise<CleanupResult> {
    await this.stop();
    return cleanupOwnedState(this.#ipvs, this.#link, this.#linkName, this.#excludeCidrs);
  }

  health(): ReconcilerHealth {
    return { synced: this.#synced, lastSuccessAt: this.#lastSuccessAt, pendingSince: this.#pendingSince, lastResult: this.#lastResult };
  }

  /** The desired virtual servers (terminating real servers excluded), for diagnostics and tests. */
  desiredState(): IpvsState {
    return this.#desiredView(new Set(this.#desired.keys()), false);
  }

  // ---- scheduling ---------------------------------------------------------------------------

  #changed(): void {
    if (this.#pendingSince === undefined) {
      this.#pendingSince = this.#clock.now();
      this.#metrics.syncQueued(this.#pendingSince);
    }
    this.#wake();
  }

  /** Sets the one timer to the earliest moment something is due. */
  #wake(): void {
    if (this.#stopped || !this.#synced || this.#running) return;
    const candidates: number[] = [];
    const minNext = this.#lastSyncStart + this.#minSyncPeriod;
    if (this.#store.hasDirty || this.#scope.size > 0 || this.#linkIndex === undefined) candidates.push(minNext);
    if (this.#retryAt !== undefined) candidates.push(this.#retryAt);
    for (const r of this.#objectRetries.values()) candidates.push(Math.max(r.at, minNext));
    // while the audit reads the kernel it is not due again; once its read is in, it is
    if (!this.#auditRead.reading) candidates.push(this.#lastFullSync + this.#syncPeriod);
    const gracefulCheck = this.#terminating.nextCheckAt;
    if (gracefulCheck !== undefined) candidates.push(Math.max(gracefulCheck, minNext));
    // nothing due (an audit's read is under way, nothing changed): its end wakes us. An infinite
    // timeout would fire after 1 ms, an empty sync every millisecond for the whole read.
    if (candidates.length === 0) {
      this.#clearTimer();
      return;
    }
    // after a failure nothing runs before the backoff is over
    const at = Math.max(this.#clock.now(), Math.min(...candidates), this.#retryAt ?? -Infinity);
    if (this.#timerAt === at) return;
    this.#clearTimer();
    this.#timerAt = at;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = undefined;
      void this.#run();
    }, at - this.#clock.now());
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = undefined;
  }

  /** Starts a sync after the running one, if any: syncs never overlap. `full` reads the kernel back. */
  #run(full = false): Promise<SyncResult> {
    this.#clearTimer();
    const start = (): Promise<SyncResult> => {
      if (full) this.#needFull = true;
      return this.#sync();
    };
    const previous = this.#running;
    const next = previous ? previous.then(start) : start();
    const p: Promise<SyncResult> = next.finally(() => {
      if (this.#running !== p) return;
      this.#running = undefined;
      this.#wake();
    });
    this.#running = p;
    return p;
  }

  // ---- one sync -----------------------------------------------------------------------------

  async #sync(): Promise<SyncResult> {
    const startedAt = this.#clock.now();
    this.#lastSyncStart = startedAt;
    // a periodic audit reads the kernel first, while this and later syncs serve changes; the first
    // sync, and the one after a failure, read it themselves (the shadow copy may be wrong then)
    const knownLink = this.#linkIndex;
    const readInside = this.#needFull || knownLink === undefined;
    if (!readInside && startedAt >= this.#lastFullSync + this.#syncPeriod) this.#startAuditRead(startedAt, knownLink);
    const full = readInside || this.#auditRead.ready;
    let auditStartedAt = startedAt;
    const kind = full ? 'full' : 'partial';
    const failures: SyncFailure[] = [];
    let servicesComputed = 0;
    let rejections = 0;
    let operations = 0;
    let applied = 0;
    const pendingSince = this.#pendingSince;
    this.#pendingSince = undefined;
    let compared: ReadonlySet<VirtualServerKey> = new Set();
    /** what this sync removed from the kernel (what a first sync found and did not want) */
    let removed: Removed = { virtualServers: 0, addresses: 0 };

    try {
      // a full sync re-checks the link too: one deleted or replaced by hand is healed (or reported)
      let linkRecreated = false;
      if (this.#linkIndex === undefined || full) {
        const previousIndex = this.#linkIndex;
        this.#linkIndex = undefined;
        this.#linkIndex = (await this.#link.ensureDummyLink(this.#linkName)).index;
        linkRecreated = previousIndex !== undefined && previousIndex !== this.#linkIndex;
      }
      const linkIndex = this.#linkIndex;

      // 1. desired state of changed Services only
      this.#pendingServiceChanges = 0;
      this.#pendingEndpointChanges = 0;
      this.#metrics.setServiceChangesPending(0);
      this.#metrics.setEndpointChangesPending(0);
      while (this.#store.hasDirty) {
        for (const key of this.#store.takeDirty()) {
          rejections += this.#recomputeIsolated(key);
          servicesComputed++;
        }
      }

      // 2. what the kernel holds: read back on full syncs, else the shadow copy
      const statuses: Statuses = new Map();
      // what we believed against what the read found, to tell drift from our own pending changes
      let tally: KernelTally | undefined;
      if (full) {
        // a read made beside earlier syncs, unless this sync must read itself (its shadow copy may
        // be wrong after a failure): then that read is dropped
        const taken = this.#auditRead.take(linkIndex, this.#observed);
        const early = readInside ? undefined : taken;
        if (early) auditStartedAt = early.startedAt;
        const read = early?.read ?? (await this.#readKernel(linkIndex));
        tally = new KernelTally(this.#observed, read.state);
        this.#observed = read.state;
        for (const [k, v] of read.statuses) statuses.set(k, v);
      }
      const forceDelete = await this.#terminating.reap(statuses, startedAt, (k) => this.#scope.add(k));

      // 3. compare, in scope
      for (const [k, r] of this.#objectRetries) if (r.at <= startedAt) this.#scope.add(k);
      const changed = new Set(this.#scope);
      const keys = full ? new Set([...this.#desired.keys(), ...this.#observed.virtualServers.keys()]) : changed;
      compared = keys;
      this.#scope.clear();
      const desired = this.#desiredView(keys, true);
      const observed = this.#observedView(keys, full);
      const raw = diff(desired, observed);

      // 4. apply: what serves traffic first (new and changed entries, addresses bound), then the
      // removals that drain, which need the kernel's connection counts (a dump per virtual server)
      // first: a new endpoint does not wait for the old one's draining to be worked out
      const toServe: IpvsOperation[] = [];
      const toDrain: IpvsOperation[] = [];
      for (const op of raw.ipvs) (this.#terminating.drains(op, forceDelete) ? toDrain : toServe).push(op);
      const serving: Plan = { bind: raw.bind, ipvs: toServe, unbind: [] };
      const draining = toDrain.length > 0 ? await this.#terminating.operationsFor(toDrain, statuses, startedAt) : [];
      const removing: Plan = { bind: [], ipvs: draining, unbind: raw.unbind };
      operations = planSize(serving) + planSize(removing);
      for (const plan of [serving, removing]) if (planSize(plan) > 0) applied += await this.#apply(plan, linkIndex, failures);
      if (tally) removed = tally.removed(this.#observed);
      if (operations > 0) this.#log.debug('applied kernel changes', { kind, operations, applied, failed: failures.length });
      if (full) {
        this.#lastFullSync = auditStartedAt;
        // drift: writes an audit needed for virtual servers no change of ours was due for (not
        // counted at the first sync or after a failure: everything is written then)
        if (this.#lastSuccessAt !== undefined && this.#failuresInRow === 0) {
          this.#reportDrift({
            ipvs: [...serving.ipvs, ...removing.ipvs].filter((op) => !changed.has(virtualServerKey(op.virtualServer))).length,
            address: tally?.addressDrift(this.#observed) ?? 0,
            link: linkRecreated ? 1 : 0,
          });
        }
      }
    } catch (e) {
      failures.push(failureOf(e, 'sync', this.#linkName));
    }
    return this.#finish({ kind, startedAt, pendingSince, failures, compared, servicesComputed, operations, applied, rejections, removed });
  }

  /** A sync's end: retries and backoff, the initial sync's log line, health and metrics. */
  #finish(sync: Omit<SyncResult, 'durationMs'> & { readonly pendingSince: number | undefined; readonly compared: ReadonlySet<VirtualServerKey>; readonly removed: Removed }): SyncResult {
    const { kind, startedAt, pendingSince, failures, compared, servicesComputed, operations, applied, rejections, removed } = sync;
    const now = this.#clock.now();
    // The kernel refusing one object (an unknown scheduler, a bad address) is that object's
    // problem: it is retried on its own and neither holds back the others nor fails health.
    const systemic = failures.filter((f) => !isObjectFailure(f));
    this.#scheduleObjectRetries(failures.filter(isObjectFailure), compared, now);
    // a virtual server the kernel refused is not programmed: the log and the gauges count it apart
    const refused = this.#refused();
    if (systemic.length > 0) {
      this.#failuresInRow++;
      this.#needFull = true; // the shadow copy may be wrong now: read the kernel back next time
      const backoff = Math.min(this.#maxBackoff, 1000 * 2 ** (this.#failuresInRow - 1));
      this.#retryAt = now + backoff;
      this.#pendingSince ??= pendingSince ?? startedAt;
      this.#log.error('sync had failures; retrying', { kind, failures: systemic.length, first: systemic[0], retryInMs: backoff });
    } else {
      this.#failuresInRow = 0;
      this.#retryAt = undefined;
      this.#needFull = false;
      if (this.#lastSuccessAt === undefined) {
        // when this node started serving every Service: what an operator waits for after a restart.
        // What it removed is named: virtual servers on kube-ipvs0's addresses that no Service wants
        // (a previous proxy's, or made by hand on a ClusterIP) are ours by the ownership rule
        const fields = { durationMs: now - startedAt, operations, applied, virtualServers: this.#desired.size - refused.virtualServers, removedVirtualServers: removed.virtualServers, removedAddresses: removed.addresses };
        if (refused.virtualServers === 0) this.#log.info('initial sync done: the kernel holds every Service', fields);
        else this.#log.warn('initial sync done, but the kernel refused some virtual servers; each is retried on its own (see the warnings above)', { ...fields, refusedVirtualServers: refused.virtualServers });
      }
      this.#lastSuccessAt = now;
      if (pendingSince !== undefined) this.#metrics.observeNetworkProgramming((now - pendingSince) / 1000);
    }
    const result: SyncResult = { kind, startedAt, durationMs: now - startedAt, servicesComputed, operations, applied, failures, rejections };
    this.#lastResult = result;
    this.#metrics.syncFinished(result.durationMs / 1000, systemic.length === 0, now, kind);
    const terminating = this.#terminating.count();
    this.#metrics.setProgrammed({
      virtualServers: this.#desired.size - refused.virtualServers,
      realServers: this.#desiredRealServers - refused.realServers + terminating,
      addresses: this.#observed.addresses.size,
      refusedVirtualServers: refused.virtualServers,
    });
    this.#metrics.setGracefulTerminations(terminating);
    // externalTrafficPolicy is not implemented (no node ports or load-balancer IPs): always 0
    let noLocalEndpoints = 0;
    for (const n of this.#noLocalEndpoints.values()) noLocalEndpoints += n;
    this.#metrics.setNoLocalEndpoints('internal', noLocalEndpoints);
    return result;
  }

  #readKernel(linkIndex: number): Promise<OwnedKernelState> {
    return readOwnedState(this.#ipvs, this.#link, linkIndex, this.#excludeCidrs, (address) => this.#addressRefs.has(address));
  }

  /** Wanted virtual servers the kernel refused and does not hold, with their real servers. */
  #refused(): { virtualServers: number; realServers: number } {
    let virtualServers = 0;
    let realServers = 0;
    for (const k of this.#objectRetries.keys()) {
      const wanted = this.#desired.get(k);
      if (wanted === undefined || this.#observed.virtualServers.has(k)) continue;
      virtualServers++;
      realServers += wanted.realServers.size;
    }
    return { virtualServers, realServers };
  }

  /** What an audit had to put back that no change of ours was due for: counted per kind and logged once. */
  #reportDrift(repaired: { readonly ipvs: number; readonly address: number; readonly link: number }): void {
    const kinds = Object.entries(repaired).filter(([, n]) => n > 0);
    if (kinds.length === 0) return;
    for (const [kind, n] of kinds) this.#metrics.driftRepaired(kind, n);
    this.#log.warn('audit found kernel state that differed from desired and corrected it', {
      operations: repaired.ipvs,
      addresses: repaired.address,
      ...(repaired.link > 0 ? { link: `${this.#linkName} was deleted or replaced (a new ifindex), and is set up again` } : {}),
    });
  }

  /** Starts the audit's kernel read (if none is under way or waiting); the audit itself runs when it is in. */
  #startAuditRead(at: number, linkIndex: number): void {
    this.#auditRead.start(() => this.#readKernel(linkIndex), at, linkIndex, (error) => {
      if (this.#stopped) return; // its sockets may be closed by now: nothing to say
      if (error === undefined) this.#metrics.auditRead((this.#clock.now() - at) / 1000);
      else {
        this.#log.warn('reading the kernel back for an audit failed; the next sync reads it again', { error });
        this.#needFull = true;
      }
      this.#wake();
    });
  }

  /** Objects the kernel refused come back into scope after their own backoff; the rest are cleared. */
  #scheduleObjectRetries(objectFailures: readonly SyncFailure[], compared: ReadonlySet<VirtualServerKey>, now: number): void {
    const failed = new Map<VirtualServerKey, SyncFailure>();
    for (const f of objectFailures) if (f.virtualServer !== undefined) failed.set(f.virtualServer, f);
    for (const k of compared) if (!failed.has(k)) this.#objectRetries.delete(k);
    for (const [k, f] of failed) {
      const attempts = (this.#objectRetries.get(k)?.attempts ?? 0) + 1;
      const delay = Math.min(OBJECT_RETRY_MAX_MS, 1000 * 2 ** (attempts - 1));
      this.#objectRetries.set(k, { attempts, at: now + delay });
      this.#log.warn('the kernel refused a change for one virtual server; retrying it alone', {
        virtualServer: k,
        operation: f.operation,
        key: f.key,
        // "E0" is no errno: a change skipped for another reason (its address could not be bound)
        ...(f.errno !== 0 ? { errno: f.errnoName } : {}),
        reason: f.message,
        attempts,
        retryInMs: delay,
      });
    }
  }

  /**
   * #recompute, but a Service whose objects make it throw (watch events are not schema-checked)
   * is logged and counted and leaves the others alone: the rest of the dirty Services still run.
   */
  #recomputeIsolated(serviceKey: string): number {
    try {
      return this.#recompute(serviceKey);
    } catch (e) {
      const detail = `could not compute it (${e instanceof Error ? e.message : String(e)}); skipped until it changes`;
      this.#report(serviceKey, [{ reason: 'MalformedObject', object: `Service ${serviceKey}`, detail }]);
      return 1;
    }
  }

  /** Recomputes one Service's virtual servers into the aggregate; returns its rejection count. */
  #recompute(serviceKey: string): number {
    const previous = new Map<VirtualServerKey, VirtualServerState>();
    for (const k of this.#claims.get(serviceKey) ?? []) {
      if (this.#owner.get(k) !== serviceKey) continue;
      const old = this.#desired.get(k);
      if (old) previous.set(k, old);
      this.#owner.delete(k);
      this.#desired.delete(k);
      if (old) {
        this.#unref(old.server.address);
        this.#desiredRealServers -= old.realServers.size;
      }
      this.#scope.add(k);
      // a Service that wanted this key can have it now
      for (const other of this.#waiting.get(k) ?? []) if (other !== serviceKey) this.#store.markDirty(other);
      this.#waiting.delete(k);
    }
    for (const set of this.#waiting.values()) set.delete(serviceKey);
    this.#claims.delete(serviceKey);
    this.#noLocalEndpoints.delete(serviceKey);

    const service = this.#store.service(serviceKey);
    if (!service) {
      this.#reportedRejections.delete(serviceKey);
      return 0;
    }
    const result = desiredForService(serviceKey, service, this.#store.slicesOf(serviceKey), this.#config);
    if (result.noLocalEndpoints > 0) this.#noLocalEndpoints.set(serviceKey, result.noLocalEndpoints);
    const rejections: Rejection[] = [...result.rejections];
    const claimed: VirtualServerKey[] = [];
    for (const [k, computed] of result.virtualServers) {
      const state = sharingUnchanged(previous.get(k), computed);
      const holder = this.#owner.get(k);
      if (holder !== undefined && holder !== serviceKey) {
        rejections.push({ reason: 'VirtualServerConflict', object: `Service ${serviceKey}`, detail: `${k} is already programmed for Service ${holder}; skipped until it is released` });
        let w = this.#waiting.get(k);
        if (!w) this.#waiting.set(k, (w = new Set()));
        w.add(serviceKey);
        continue;
      }
      this.#owner.set(k, serviceKey);
      this.#desired.set(k, state);
      this.#ref(state.server.address);
      this.#desiredRealServers += state.realServers.size;
      this.#scope.add(k);
      claimed.push(k);
    }
    this.#claims.set(serviceKey, claimed);
    this.#report(serviceKey, rejections);
    return rejections.length;
  }

  /**
   * Logs and counts a Service's rejections that are new since its last computation: a NodePort
   * Service whose endpoints change often is recomputed each time, and its one unserved part is
   * worth one warning, not one per endpoint change.
   */
  #report(serviceKey: string, rejections: readonly Rejection[]): void {
    const before = this.#reportedRejections.get(serviceKey);
    const now = new Set<string>();
    for (const r of rejections) {
      const id = `${r.reason}|${r.object}|${r.detail}`;
      now.add(id);
      if (before?.has(id)) continue;
      this.#log.warn('skipped invalid part of a cluster object', { reason: r.reason, object: r.object, detail: r.detail });
      this.#metrics.objectRejected(r.reason);
    }
    if (now.size > 0) this.#reportedRejections.set(serviceKey, now);
    else this.#reportedRejections.delete(serviceKey);
  }

  #ref(address: string): void {
    this.#addressRefs.set(address, (this.#addressRefs.get(address) ?? 0) + 1);
  }

  #unref(address: string): void {
    const n = (this.#addressRefs.get(address) ?? 0) - 1;
    if (n > 0) this.#addressRefs.set(address, n);
    else this.#addressRefs.delete(address);
  }

  /** Desired state restricted to `keys` (and their addresses), with terminating real servers kept at weight 0. */
  #desiredView(keys: ReadonlySet<VirtualServerKey>, withTerminating: boolean): IpvsState {
    const virtualServers = new Map<VirtualServerKey, VirtualServerState>();
    const addresses = new Map<string, InterfaceAddress>();
    const consider = (family: IpFamily, address: string): void => {
      if (this.#addressRefs.has(address)) addresses.set(address, vipAddress(family, address));
    };
    for (const k of keys) {
      const d = this.#desired.get(k);
      const leaving = withTerminating ? this.#terminating.of(k) : undefined;
      if (!d) {
        const o = this.#observed.virtualServers.get(k);
        if (leaving && leaving.size > 0 && o) {
          // a deleted Service's TCP virtual server stays, address and all, while its real servers
          // drain at weight 0 (kube-proxy cuts these flows at once: #71894)
          virtualServers.set(k, { server: o.server, realServers: new Map([...leaving].map(([rk, t]) => [rk, t.server])) });
          addresses.set(o.server.address, vipAddress(o.server.family, o.server.address));
          continue;
        }
        if (leaving) this.#terminating.forget(k);
        if (o) consider(o.server.family, o.server.address);
        continue;
      }
      consider(d.server.family, d.server.address);
      if (!leaving) {
        virtualServers.set(k, d);
        continue;
      }
      const realServers = new Map(d.realServers);
      for (const [rk, t] of leaving) {
        if (d.realServers.has(rk)) leaving.delete(rk); // the endpoint came back: desired weight again
        else realServers.set(rk, t.server);
      }
      if (leaving.size === 0) this.#terminating.forget(k);
      virtualServers.set(k, { server: d.server, realServers });
    }
    return { virtualServers, addresses };
  }

  /** Observed state restricted to `keys` and the addresses involved (all owned addresses when full). */
  #observedView(keys: ReadonlySet<VirtualServerKey>, full: boolean): IpvsState {
    if (full) return this.#observed;
    const virtualServers = new Map<VirtualServerKey, VirtualServerState>();
    const addresses = new Map<string, InterfaceAddress>();
    const consider = (address: string): void => {
      const a = this.#observed.addresses.get(address);
      if (a) addresses.set(address, a);
    };
    for (const k of keys) {
      const o = this.#observed.virtualServers.get(k);
      if (o) {
        virtualServers.set(k, o);
        consider(o.server.address);
      }
      const d = this.#desired.get(k);
      if (d) consider(d.server.address);
    }
    return { virtualServers, addresses };
  }

  // ---- applying -----------------------------------------------------------------------------

  /** Binds, changes IPVS in batches, unbinds; updates the shadow copy; returns how many applied. */
  async #apply(plan: Plan, linkIndex: number, failures: SyncFailure[]): Promise<number> {
    let applied = 0;
    const unbound = new Set<string>();
    if (plan.bind.length > 0) applied += await this.#applyAddresses(linkIndex, plan.bind, failures, unbound);

    // never create a virtual server whose address failed to bind: we could not recognise it as ours later
    const ipvs = plan.ipvs.filter((op) => op.kind.startsWith('delete') || !unbound.has(op.virtualServer.address));
    for (const op of plan.ipvs) {
      if (op.kind === 'addVirtualServer' && unbound.has(op.virtualServer.address)) {
        const key = virtualServerKey(op.virtualServer);
        failures.push({ operation: 'ipvs.addVirtualServer', key, errno: 0, errnoName: errnoName(0), message: 'skipped: its address could not be bound', virtualServer: key });
      }
    }
    for (let i = 0; i < ipvs.length; i += this.#batchSize) {
      const batch = ipvs.slice(i, i + this.#batchSize);
      if (this.#auditRead.noting) for (const op of batch) this.#auditRead.wroteVirtualServer(virtualServerKey(op.virtualServer));
      try {
        const r = await this.#ipvs.apply(batch);
        const failed = new Set(r.failures.map((f) => f.index));
        batch.forEach((op, j) => {
          if (!failed.has(j)) applyIpvsOperation(this.#observed, op);
        });
        applied += r.applied;
        this.#countOperations('ipvs', batch.length, r.failures);
        for (const f of r.failures) {
          const op = batch[f.index];
          failures.push(failureOf(f.error, f.error.operation, f.error.key, op && virtualServerKey(op.virtualServer)));
        }
      } catch (e) {
        this.#metrics.netlinkOperations('ipvs', 'error', batch.length);
        failures.push(failureOf(e, 'ipvs.apply', `${batch.length} operations`));
      }
    }

    // an address stays while any virtual server of ours still uses it (e.g. its deletion failed)
    let unbind = plan.unbind;
    if (unbind.length > 0) {
      const inUse = new Set([...this.#observed.virtualServers.values()].map((v) => v.server.address));
      unbind = unbind.filter((op) => !inUse.has(op.address.address));
    }
    if (unbind.length > 0) applied += await this.#applyAddresses(linkIndex, unbind, failures, new Set());
    return applied;
  }

  async #applyAddresses(linkIndex: number, ops: readonly AddressOperation[], failures: SyncFailure[], failedAddresses: Set<string>): Promise<number> {
    if (this.#auditRead.noting) for (const op of ops) this.#auditRead.wroteAddress(op.address.address);
    try {
      const r = await this.#link.applyAddresses(linkIndex, ops);
      const failed = new Set(r.failures.map((f) => f.index));
      ops.forEach((op, j) => {
        if (failed.has(j)) failedAddresses.add(op.address.address);
        else applyAddressOperation(this.#observed, op);
      });
      this.#countOperations('address', ops.length, r.failures);
      for (const f of r.failures) failures.push(failureOf(f.error, f.error.operation, f.error.key));
      return r.applied;
    } catch (e) {
      this.#metrics.netlinkOperations('address', 'error', ops.length);
      for (const op of ops) failedAddresses.add(op.address.address);
      failures.push(failureOf(e, 'link.applyAddresses', `${ops.length} operations`));
      return 0;
    }
  }

  #countOperations(kind: 'ipvs' | 'address', total: number, failed: BatchResult['failures']): void {
    if (total > failed.length) this.#metrics.netlinkOperations(kind, 'ok', total - failed.length);
    for (const f of failed) this.#metrics.netlinkOperations(kind, f.error.errnoName);
  }
}
