// The small logging, metrics and clock interfaces the reconciler is given; pino/prom-client and
// real timers are adapted to them elsewhere (CLI wiring), tests pass recorders and a manual clock.

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
}

export type MetricLabels = Readonly<Record<string, string>>;

/** Counters, gauges and observations by name; the sink decides how to export them. */
export interface MetricsSink {
  increment(name: string, labels?: MetricLabels, by?: number): void;
  set(name: string, value: number, labels?: MetricLabels): void;
  /** a duration or size sample (histogram/summary) */
  observe(name: string, value: number, labels?: MetricLabels): void;
}

/** Every metric the reconciler emits, with its kind, labels and help text, for registration. */
export const RECONCILER_METRICS = {
  syncTotal: { name: 'kipvs_sync_total', kind: 'counter', labels: ['kind', 'result'], help: 'Syncs run, by kind (full, partial) and result (ok, failed).' },
  syncDuration: { name: 'kipvs_sync_duration_seconds', kind: 'histogram', labels: ['kind'], help: 'Duration of a sync, reads and writes included.' },
  operations: { name: 'kipvs_kernel_operations_total', kind: 'counter', labels: ['result'], help: 'Kernel write operations (IPVS and address), by result (applied, failed).' },
  driftRepairs: { name: 'kipvs_drift_repairs_total', kind: 'counter', labels: [], help: 'IPVS writes made by audits to undo changes made behind our back.' },
  rejections: { name: 'kipvs_rejected_objects_total', kind: 'counter', labels: ['reason'], help: 'Invalid Service/EndpointSlice parts skipped, by reason.' },
  virtualServers: { name: 'kipvs_virtual_servers', kind: 'gauge', labels: [], help: 'Virtual servers desired.' },
  realServers: { name: 'kipvs_real_servers', kind: 'gauge', labels: [], help: 'Real servers desired (terminating ones excluded).' },
  terminating: { name: 'kipvs_terminating_real_servers', kind: 'gauge', labels: [], help: 'Real servers at weight 0 waiting for their connections to end.' },
  lastSync: { name: 'kipvs_last_successful_sync_timestamp_seconds', kind: 'gauge', labels: [], help: 'Unix time of the last sync without failures.' },
} as const;

export const silentLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};

export const nullMetrics: MetricsSink = {
  increment: () => undefined,
  set: () => undefined,
  observe: () => undefined,
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
    const t = setTimeout(callback, ms);
    t.unref(); // the watch connections keep the process alive, not our timers
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
