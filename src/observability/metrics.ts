// Prometheus metrics: kube-proxy's names (so existing dashboards and alerts keep working) plus
// ours under kube_ipvs_proxy_. Callers use ProxyMetrics' methods and never import prom-client.
// prom-client's parts one module each: its index also loads the Pushgateway (node:http, https, tls,
// crypto, zlib) and the cluster aggregator (node:cluster), which a scraped exporter never uses
import Counter from 'prom-client/lib/counter.js';
import collectDefaultMetrics from 'prom-client/lib/defaultMetrics.js';
import Gauge from 'prom-client/lib/gauge.js';
import Histogram from 'prom-client/lib/histogram.js';
import Registry from 'prom-client/lib/registry.js';

export type TrafficPolicy = 'internal' | 'external';

export interface ProxyMetrics {
  /** a sync ran for `seconds`; on success also stamps sync_proxy_rules_last_timestamp_seconds */
  syncFinished(seconds: number, succeeded: boolean, finishedAtMs: number, kind: 'full' | 'partial'): void;
  /** a change was queued for the next sync (sync_proxy_rules_last_queued_timestamp_seconds) */
  syncQueued(atMs: number): void;
  /** from the first change a sync applies being queued to that sync's end (kube-proxy starts at the slice's trigger time) */
  observeNetworkProgramming(seconds: number): void;
  serviceChangesSeen(count?: number): void;
  setServiceChangesPending(count: number): void;
  endpointChangesSeen(count?: number): void;
  setEndpointChangesPending(count: number): void;
  /** services with a Local traffic policy and no local endpoints, as of the last sync */
  setNoLocalEndpoints(policy: TrafficPolicy, count: number): void;
  healthzAnswered(code: number): void;
  livezAnswered(code: number): void;
  /** kind: e.g. "ipvs.newService"; result: "ok" or the errno name ("EEXIST") */
  netlinkOperations(kind: string, result: string, count?: number): void;
  /** kernel objects found differing from what we last programmed and put back; kind: ipvs (writes), address, link */
  driftRepaired(kind: string, count?: number): void;
  /** API objects (or parts) not programmed because they are invalid; reason is a short stable word */
  objectRejected(reason: string, count?: number): void;
  /** what the kernel holds of the proxy's (refused virtual servers, retried alone, are counted apart) */
  setProgrammed(counts: { readonly virtualServers: number; readonly realServers: number; readonly addresses: number; readonly refusedVirtualServers: number }): void;
  setGracefulTerminations(count: number): void;
  /** a periodic audit's kernel read took `seconds` (it runs beside the syncs of changes) */
  auditRead(seconds: number): void;
  informerRestarted(resource: string): void;
  /** a list or watch of `resource` failed (reason: list, watch, expired, handler); the informer restarts */
  apiErrorSeen(resource: string, reason: string): void;
  /** an API server request answered (code: the HTTP status, or "<error>" when none came) after `seconds` to its response headers */
  apiRequestDone(method: string, host: string, code: string, seconds: number): void;
  /** the Prometheus text exposition */
  exposition(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsOptions {
  /** also export process_* and nodejs_* metrics (CPU, memory, event-loop lag); default false */
  readonly processMetrics?: boolean;
}

// kube-proxy's buckets: exponential from 1 ms for sync time; 0.25 s … 5 min for programming latency.
const SYNC_BUCKETS = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i);
const PROGRAMMING_BUCKETS = [
  0.25, 0.5,
  ...Array.from({ length: 59 }, (_, i) => i + 1),
  ...Array.from({ length: 12 }, (_, i) => 60 + 5 * i),
  ...Array.from({ length: 7 }, (_, i) => 120 + 30 * i),
];

/**
 * kube-proxy's `<kind>_changes_total` counter and `<kind>_changes_pending` gauge. Changes arrive per
 * API event (20,000 of them in an initial list at 10,000 Services): they are counted in plain
 * numbers here and handed to prom-client only when /metrics is read.
 */
function changeCounters(kind: string, help: string, registers: Registry[]): { seen(count: number): void; pending(count: number): void } {
  let seen = 0;
  let reported = 0;
  let pending = 0;
  new Counter({
    name: `kubeproxy_sync_proxy_rules_${kind}_changes_total`,
    help: `Cumulative proxy rules ${help} changes`,
    registers,
    collect() {
      this.inc(seen - reported);
      reported = seen;
    },
  });
  new Gauge({
    name: `kubeproxy_sync_proxy_rules_${kind}_changes_pending`,
    help: `Pending proxy rules ${help} changes`,
    registers,
    collect() {
      this.set(pending);
    },
  });
  return {
    seen: (count) => void (seen += count),
    pending: (count) => void (pending = count),
  };
}

/** A fresh registry with every metric registered. */
export function createProxyMetrics(options: MetricsOptions = {}): ProxyMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry });

  const syncDuration = new Histogram({ name: 'kubeproxy_sync_proxy_rules_duration_seconds', help: 'SyncProxyRules latency in seconds', buckets: SYNC_BUCKETS, registers });
  // kube-proxy's iptables and nftables modes split the same latency by kind of sync; ours are an
  // audit (the kernel read back) and a partial sync (changed Services only)
  const fullSyncDuration = new Histogram({ name: 'kubeproxy_sync_full_proxy_rules_duration_seconds', help: 'SyncProxyRules latency in seconds for full resyncs', buckets: SYNC_BUCKETS, registers });
  const partialSyncDuration = new Histogram({ name: 'kubeproxy_sync_partial_proxy_rules_duration_seconds', help: 'SyncProxyRules latency in seconds for partial resyncs', buckets: SYNC_BUCKETS, registers });
  const lastSync = new Gauge({ name: 'kubeproxy_sync_proxy_rules_last_timestamp_seconds', help: 'The last time proxy rules were successfully synced', registers });
  const lastQueued = new Gauge({ name: 'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds', help: 'The last time a sync of proxy rules was queued', registers });
  const programming = new Histogram({ name: 'kubeproxy_network_programming_duration_seconds', help: 'In Cluster Network Programming Latency in seconds', buckets: PROGRAMMING_BUCKETS, registers });
  const serviceChanges = changeCounters('service', 'Service', registers);
  const endpointChanges = changeCounters('endpoint', 'Endpoint', registers);
  // a gauge despite the _total suffix, as in kube-proxy: the count as of the last sync
  const noLocal = new Gauge({
    name: 'kubeproxy_sync_proxy_rules_no_local_endpoints_total',
    help: 'Number of services with a Local traffic policy and no endpoints',
    labelNames: ['traffic_policy'] as const,
    registers,
  });
  const healthz = new Counter({ name: 'kubeproxy_proxy_healthz_total', help: 'Cumulative proxy healthz HTTP status', labelNames: ['code'] as const, registers });
  const livez = new Counter({ name: 'kubeproxy_proxy_livez_total', help: 'Cumulative proxy livez HTTP status', labelNames: ['code'] as const, registers });

  const netlinkOps = new Counter({
    name: 'kube_ipvs_proxy_netlink_operations_total',
    help: 'Netlink operations sent to the kernel, by operation kind and result (ok or errno name)',
    labelNames: ['kind', 'result'] as const,
    registers,
  });
  const syncFailures = new Counter({ name: 'kube_ipvs_proxy_sync_failures_total', help: 'Syncs that did not bring the kernel to the desired state (retried)', registers });
  const drift = new Counter({
    name: 'kube_ipvs_proxy_drift_repaired_total',
    help: 'Kernel objects changed behind the proxy and put back, by kind',
    labelNames: ['kind'] as const,
    registers,
  });
  const rejected = new Counter({
    name: 'kube_ipvs_proxy_objects_rejected_total',
    help: 'API objects or parts of them not programmed because they are invalid, by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  const virtualServers = new Gauge({ name: 'kube_ipvs_proxy_virtual_servers', help: 'IPVS virtual servers programmed by the proxy', registers });
  const realServers = new Gauge({ name: 'kube_ipvs_proxy_real_servers', help: 'IPVS real servers programmed by the proxy (including weight-0 ones draining)', registers });
  const refused = new Gauge({ name: 'kube_ipvs_proxy_virtual_servers_refused', help: 'Virtual servers the kernel refused and that are being retried on their own', registers });
  const addresses = new Gauge({ name: 'kube_ipvs_proxy_addresses_bound', help: 'Service addresses bound to kube-ipvs0', registers });
  const auditRead = new Histogram({ name: 'kube_ipvs_proxy_audit_read_duration_seconds', help: 'Time a periodic audit took to read the kernel back (beside the syncs of changes)', buckets: SYNC_BUCKETS, registers });
  const graceful = new Gauge({ name: 'kube_ipvs_proxy_graceful_terminations', help: 'Real servers at weight 0 waiting for their connections to end', registers });
  const informerRestarts = new Counter({
    name: 'kube_ipvs_proxy_informer_restarts_total',
    help: 'Lists of the API server after the first, by resource (a watch restarted from scratch, or a 410 Gone)',
    labelNames: ['resource'] as const,
    registers,
  });

  const apiErrors = new Counter({
    name: 'kube_ipvs_proxy_api_errors_total',
    help: 'Lists and watches of the API server that failed, by resource and reason (list, watch, expired, handler)',
    labelNames: ['resource', 'reason'] as const,
    registers,
  });
  // client-go's names, labels and buckets, so kube-proxy's dashboards read them
  const restRequests = new Counter({
    name: 'rest_client_requests_total',
    help: 'Number of HTTP requests, partitioned by status code, method, and host.',
    labelNames: ['code', 'host', 'method'] as const,
    registers,
  });
  const restLatency = new Histogram({
    name: 'rest_client_request_duration_seconds',
    help: 'Request latency in seconds. Broken down by verb, and host.',
    labelNames: ['host', 'verb'] as const,
    buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
    registers,
  });

  for (const policy of ['internal', 'external'] as const) noLocal.set({ traffic_policy: policy }, 0);

  return {
    syncFinished(seconds, succeeded, finishedAtMs, kind) {
      syncDuration.observe(seconds);
      (kind === 'full' ? fullSyncDuration : partialSyncDuration).observe(seconds);
      if (succeeded) lastSync.set(finishedAtMs / 1000);
      else syncFailures.inc();
    },
    syncQueued: (atMs) => lastQueued.set(atMs / 1000),
    observeNetworkProgramming: (seconds) => programming.observe(seconds),
    serviceChangesSeen: (count = 1) => serviceChanges.seen(count),
    setServiceChangesPending: (count) => serviceChanges.pending(count),
    endpointChangesSeen: (count = 1) => endpointChanges.seen(count),
    setEndpointChangesPending: (count) => endpointChanges.pending(count),
    setNoLocalEndpoints: (policy, count) => noLocal.set({ traffic_policy: policy }, count),
    healthzAnswered: (code) => healthz.inc({ code: String(code) }),
    livezAnswered: (code) => livez.inc({ code: String(code) }),
    netlinkOperations: (kind, result, count = 1) => netlinkOps.inc({ kind, result }, count),
    driftRepaired: (kind, count = 1) => drift.inc({ kind }, count),
    objectRejected: (reason, count = 1) => rejected.inc({ reason }, count),
    setProgrammed(counts) {
      virtualServers.set(counts.virtualServers);
      realServers.set(counts.realServers);
      addresses.set(counts.addresses);
      refused.set(counts.refusedVirtualServers);
    },
    setGracefulTerminations: (count) => graceful.set(count),
    auditRead: (seconds) => auditRead.observe(seconds),
    informerRestarted: (resource) => informerRestarts.inc({ resource }),
    apiErrorSeen: (resource, reason) => apiErrors.inc({ resource, reason }),
    apiRequestDone(method, host, code, seconds) {
      restRequests.inc({ code, host, method });
      restLatency.observe({ host, verb: method }, seconds);
    },
    exposition: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
