// The small logging, metrics and clock interfaces the reconciler is given; pino/prom-client and
// real timers are adapted to them elsewhere (CLI wiring), tests pass recorders and a manual clock.

export type SyncKind = 'full' | 'partial';

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
}

/**
 * What the reconciler reports. src/observability's ProxyMetrics (prom-client, kube-proxy's metric
 * names) satisfies it structurally; tests may pass the real one or a recorder.
 */
export interface ReconcilerMetrics {
  syncQueued(atMs: number): void;
  /** a full sync (an audit: the kernel read back) or a partial one (changed Services only) */
  syncFinished(seconds: number, succeeded: boolean, finishedAtMs: number, kind: SyncKind): void;
  /** time from a change being queued to the kernel holding it */
  observeNetworkProgramming(seconds: number): void;
  serviceChangesSeen(count?: number): void;
  setServiceChangesPending(count: number): void;
  endpointChangesSeen(count?: number): void;
  setEndpointChangesPending(count: number): void;
  /** kernel writes by kind (ipvs, address) and result (ok, or the errno name) */
  netlinkOperations(kind: string, result: string, count?: number): void;
  driftRepaired(kind: string, count?: number): void;
  objectRejected(reason: string, count?: number): void;
  setProgrammed(counts: { readonly virtualServers: number; readonly realServers: number; readonly addresses: number; readonly refusedVirtualServers: number }): void;
  setGracefulTerminations(count: number): void;
  /** virtual servers of internalTrafficPolicy Local Services with endpoints, none on this node */
  setNoLocalEndpoints(policy: 'internal' | 'external', count: number): void;
  /** a periodic audit's kernel read took `seconds` (it runs beside the syncs of changes) */
  auditRead(seconds: number): void;
}

export const silentLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};

export const nullMetrics: ReconcilerMetrics = {
  syncQueued: () => undefined,
  syncFinished: () => undefined,
  observeNetworkProgramming: () => undefined,
  serviceChangesSeen: () => undefined,
  setServiceChangesPending: () => undefined,
  endpointChangesSeen: () => undefined,
  setEndpointChangesPending: () => undefined,
  netlinkOperations: () => undefined,
  driftRepaired: () => undefined,
  objectRejected: () => undefined,
  setProgrammed: () => undefined,
  setGracefulTerminations: () => undefined,
  setNoLocalEndpoints: () => undefined,
  auditRead: () => undefined,
};

/** Time and timers, injected so tests are deterministic. Milliseconds. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    // due now (a change with --ipvs-min-sync-period=0): the next loop turn, not setTimeout's 1 ms minimum
    if (ms <= 0) {
      const i = setImmediate(callback);
      i.unref(); // the watch connections keep the process alive, not our timers
      return { immediate: i };
    }
    const t = setTimeout(callback, ms);
    t.unref();
    return t;
  },
  clearTimeout: (handle) => {
    if (handle !== null && typeof handle === 'object' && 'immediate' in handle) clearImmediate((handle as { immediate: NodeJS.Immediate }).immediate);
    else clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
