// What `kube-ipvs-proxy` does with its arguments: print help, write the configuration, clean up,
// or run the proxy until SIGTERM/SIGINT. Every error path logs one clear line and returns a code.
import { existsSync, readFileSync } from 'node:fs';
import type { ProxyConfig } from '../config/index.js';
import { formatHostPort, kubeProxyConfiguration, parseProxyConfig, processConfigEnvironment, PROTOBUF_CONTENT_TYPE, writeKubeProxyConfiguration } from '../config/index.js';
import { startClusterSource, type ClusterSource } from '../cluster/index.js';
import { parseCidrs } from '../core/index.js';
import { openIpvsKernel } from '../ipvs/index.js';
import { KernelUnavailableError, isKernelError, type IpvsKernel, type LinkKernel } from '../kernel/index.js';
import { openNetlinkLinkKernel } from '../link/index.js';
import type { ClusterObjectHandler, EndpointSliceLike, IpFamily, NodeLike, ServiceLike } from '../model/index.js';
import {
  HealthTracker,
  createHealthServer,
  createLogger,
  createMetricsServer,
  keepServing,
  createProxyMetrics,
  nodeEligible,
  type Logger,
  type ObservabilityServer,
  type ProxyMetrics,
} from '../observability/index.js';
import { DEFAULT_LINK_NAME, Reconciler, cleanupOwnedState, type ReconcilerMetrics } from '../proxier/index.js';
import { applyIpvsSysctls, checkBridgeNfCallIptables } from '../sysctl/index.js';
import { proxyIdleCollector, type IdleCollector } from './heap-policy.js';
import { loggingIpvsKernel, loggingLinkKernel } from './kernel-logging.js';
import { Reopener, reopeningIpvsKernel, reopeningLinkKernel } from './reopening.js';

export interface CommandResult {
  readonly exitCode: number;
}

/** Exit codes: 0 done, 1 runtime failure, 2 bad configuration (nothing in the kernel was touched). */
export async function runCommand(argv: readonly string[]): Promise<CommandResult> {
  const parsed = parseProxyConfig(argv, processConfigEnvironment());
  if (parsed.kind === 'help') {
    process.stdout.write(parsed.text.endsWith('\n') ? parsed.text : `${parsed.text}\n`);
    return { exitCode: 0 };
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`kube-ipvs-proxy ${programVersion()}\n`);
    return { exitCode: 0 };
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`kube-ipvs-proxy: invalid configuration:\n${parsed.error.message}\n`);
    return { exitCode: 2 };
  }
  const config = parsed.config;
  const log = createLogger({ verbosity: config.verbosity, format: config.logFormat });
  for (const w of parsed.warnings) log.warn(w);
  // kube-proxy uses them for masquerading and NodePorts, neither of which this proxy does yet
  const inert = {
    ...(config.clusterCIDRs.length > 0 ? { clusterCIDR: config.clusterCIDRs.join(',') } : {}),
    ...(config.bindAddress !== undefined ? { bindAddress: config.bindAddress } : {}),
  };
  const inertNames = Object.keys(inert);
  if (inertNames.length > 0) {
    const [is, has] = inertNames.length === 1 ? ['is', 'has'] : ['are', 'have'];
    log.warn(`${inertNames.join(' and ')} ${is} accepted for compatibility but ${has} no effect: this proxy serves ClusterIPs only and does not masquerade`, inert);
  }

  if (config.writeConfigTo !== undefined) {
    try {
      writeKubeProxyConfiguration(config.writeConfigTo, config);
      log.info('wrote the effective configuration', { path: config.writeConfigTo });
      return { exitCode: 0 };
    } catch (e) {
      log.error('could not write the configuration', { path: config.writeConfigTo, error: e });
      return { exitCode: 1 };
    }
  }

  const kernels = await openKernels(log);
  if (!kernels) return { exitCode: 1 };
  try {
    return config.cleanup ? await cleanup(config, kernels, log) : await serve(config, kernels, log);
  } finally {
    kernels.ipvs.close();
    kernels.link.close();
  }
}

interface Kernels {
  readonly ipvs: IpvsKernel;
  readonly link: LinkKernel;
}

async function openKernels(log: Logger): Promise<Kernels | undefined> {
  let ipvs: IpvsKernel;
  try {
    ipvs = await openIpvsKernel();
  } catch (e) {
    if (e instanceof KernelUnavailableError) {
      log.error('this kernel has no IPVS: load the ip_vs module (modprobe ip_vs) or run on a kernel built with CONFIG_IP_VS', { error: e });
    } else {
      log.error('could not open the IPVS netlink interface (the proxy needs root or CAP_NET_ADMIN)', { error: e });
    }
    return undefined;
  }
  try {
    const ipvsPort = reopeningIpvsKernel(new Reopener<IpvsKernel>('IPVS', () => openIpvsKernel(), log, ipvs));
    const linkPort = reopeningLinkKernel(new Reopener<LinkKernel>('rtnetlink', () => Promise.resolve(openNetlinkLinkKernel()), log, openNetlinkLinkKernel()));
    return { ipvs: loggingIpvsKernel(ipvsPort, log), link: loggingLinkKernel(linkPort, log) };
  } catch (e) {
    ipvs.close();
    log.error('could not open the rtnetlink interface', { error: e });
    return undefined;
  }
}

async function cleanup(config: ProxyConfig, kernels: Kernels, log: Logger): Promise<CommandResult> {
  const result = await cleanupOwnedState(kernels.ipvs, kernels.link, DEFAULT_LINK_NAME, parseCidrs(config.ipvs.excludeCIDRs));
  for (const f of result.failures) log.error('cleanup could not remove an object', { operation: f.operation, key: f.key, errno: f.errnoName });
  const what = result.linkDeleted
    ? 'removed the virtual servers bound on kube-ipvs0 and the link'
    : result.addressesKept > 0
      ? 'removed the virtual servers bound on kube-ipvs0 and their addresses; the link stays for the addresses --ipvs-exclude-cidrs protects'
      : 'removed the virtual servers bound on kube-ipvs0; the link could not be removed';
  log.info(`cleanup done: ${what}; other IPVS rules were left alone`, {
    virtualServersDeleted: result.virtualServersDeleted,
    linkDeleted: result.linkDeleted,
    addressesDeleted: result.addressesDeleted,
    addressesKept: result.addressesKept,
  });
  return { exitCode: result.failures.length > 0 ? 1 : 0 };
}

/** The families this node serves: IPv4, and IPv6 where the kernel has it enabled. */
function servedFamilies(): IpFamily[] {
  try {
    if (existsSync('/proc/net/if_inet6') && readFileSync('/proc/sys/net/ipv6/conf/all/disable_ipv6', 'utf8').trim() === '0') return [4, 6];
  } catch {
    // no IPv6 sysctl: IPv4 only
  }
  return [4];
}

async function prepareKernel(config: ProxyConfig, kernels: Kernels, log: Logger): Promise<void> {
  const sysctls = await applyIpvsSysctls({ strictArp: config.ipvs.strictARP });
  for (const c of sysctls.changed) log.info('set sysctl', { name: c.name, from: c.from, to: c.to });
  for (const f of sysctls.failures) log.warn('could not set sysctl', { error: f });
  const bridge = await checkBridgeNfCallIptables();
  if (bridge.state !== 'enabled') {
    log.warn('net.bridge.bridge-nf-call-iptables is not 1: pods on a bridge may not reach Services through IPVS (load br_netfilter and set it to 1)', { state: bridge.state });
  }
  const { tcpTimeoutMs, tcpFinTimeoutMs, udpTimeoutMs } = config.ipvs;
  if (tcpTimeoutMs > 0 || tcpFinTimeoutMs > 0 || udpTimeoutMs > 0) {
    // 0 leaves the kernel's value, as in kube-proxy
    const timeouts = { tcp: Math.round(tcpTimeoutMs / 1000), tcpFin: Math.round(tcpFinTimeoutMs / 1000), udp: Math.round(udpTimeoutMs / 1000) };
    try {
      await kernels.ipvs.setTimeouts(timeouts);
      log.info('set IPVS connection timeouts (seconds; 0 = unchanged)', timeouts);
    } catch (e) {
      log.error('could not set IPVS connection timeouts', { error: e });
    }
  }
}

/**
 * Metrics for the reconciler that also drive /healthz (queued changes, successful syncs) and the
 * heap policy (a collection after the initial sync; quiet periods counted from each sync).
 */
function reconcilerMetrics(metrics: ProxyMetrics, health: HealthTracker, idle: IdleCollector): ReconcilerMetrics {
  let initialSyncDone = false;
  return {
    syncQueued: (at) => {
      metrics.syncQueued(at);
      health.queuedUpdate();
    },
    syncFinished: (seconds, ok, at, kind) => {
      if (ok && !initialSyncDone) setImmediate(() => idle.collectNow());
      else idle.activity();
      if (ok) initialSyncDone = true;
      metrics.syncFinished(seconds, ok, at, kind);
      if (ok) health.updated();
      else health.queuedUpdate(); // something still waits to be applied
    },
    observeNetworkProgramming: (s) => metrics.observeNetworkProgramming(s),
    serviceChangesSeen: (n) => metrics.serviceChangesSeen(n),
    setServiceChangesPending: (n) => metrics.setServiceChangesPending(n),
    endpointChangesSeen: (n) => metrics.endpointChangesSeen(n),
    setEndpointChangesPending: (n) => metrics.setEndpointChangesPending(n),
    netlinkOperations: (kind, result, n) => metrics.netlinkOperations(kind, result, n),
    driftRepaired: (kind, n) => metrics.driftRepaired(kind, n),
    objectRejected: (reason, n) => metrics.objectRejected(reason, n),
    setProgrammed: (counts) => metrics.setProgrammed(counts),
    setGracefulTerminations: (n) => metrics.setGracefulTerminations(n),
    setNoLocalEndpoints: (policy, n) => metrics.setNoLocalEndpoints(policy, n),
    auditRead: (s) => metrics.auditRead(s),
  };
}

/** kube-proxy retries a health or metrics listener that cannot bind every 5 s, and so do we. */
const SERVER_RETRY_MS = 5_000;

function startServer(server: ObservabilityServer, what: string, log: Logger): { stop(): Promise<void> } {
  return keepServing(server, {
    retryMs: SERVER_RETRY_MS,
    onServing: (bound, attempt) => log.info(`serving ${what}`, { address: formatHostPort(bound), attempt }),
    onError: (e, attempt) => {
      // said once at error level; the retries every 5 s only at -v=2
      if (attempt === 1) log.error(`could not serve ${what}; running without it and retrying every ${SERVER_RETRY_MS / 1000} s`, { error: e });
      else log.v(2)?.info(`still cannot serve ${what}`, { error: e, attempt });
    },
  });
}

async function serve(config: ProxyConfig, kernels: Kernels, log: Logger): Promise<CommandResult> {
  try {
    const info = await kernels.ipvs.info();
    log.info('kube-ipvs-proxy starting', { node: config.nodeName, ipvsVersion: info.version, scheduler: config.ipvs.scheduler });
  } catch (e) {
    log.error('the IPVS netlink interface does not answer', { error: e });
    return { exitCode: 1 };
  }

  const metrics = createProxyMetrics({ processMetrics: true });
  const idle = proxyIdleCollector();
  const health = new HealthTracker(2 * config.ipvs.syncPeriodMs);
  const families = servedFamilies();
  let reconciler: Reconciler;
  try {
    reconciler = new Reconciler({
      ipvs: kernels.ipvs,
      link: kernels.link,
      nodeName: config.nodeName,
      families,
      proxyName: config.serviceProxyName,
      scheduler: config.ipvs.scheduler,
      excludeCidrs: config.ipvs.excludeCIDRs,
      syncPeriodMs: config.ipvs.syncPeriodMs,
      minSyncPeriodMs: config.ipvs.minSyncPeriodMs,
      // 0 means no bound: wait for the connections to end, as kube-proxy does
      gracePeriodMs: config.ipvs.gracefulPeriodMs > 0 ? config.ipvs.gracefulPeriodMs : Number.POSITIVE_INFINITY,
      logger: log.child({ component: 'reconciler' }),
      metrics: reconcilerMetrics(metrics, health, idle),
    });
  } catch (e) {
    log.error('invalid reconciler settings', { error: e });
    return { exitCode: 2 };
  }

  // the Node object only matters to /healthz (a node being deleted is not eligible)
  let node: NodeLike | undefined;
  const handler: ClusterObjectHandler = {
    serviceChanged: (key: string, s: ServiceLike | undefined) => reconciler.serviceChanged(key, s),
    endpointSliceChanged: (key: string, s: EndpointSliceLike | undefined) => reconciler.endpointSliceChanged(key, s),
    nodeChanged: (n: NodeLike | undefined) => {
      node = n;
      reconciler.nodeChanged(n);
    },
    synced: () => reconciler.synced(),
  };

  let cluster: ClusterSource;
  try {
    cluster = startClusterSource(handler, {
      kubeconfig: config.kubeconfig,
      master: config.master,
      protobuf: config.kubeApiContentType === PROTOBUF_CONTENT_TYPE,
      nodeName: config.nodeName,
      proxyName: config.serviceProxyName,
      logger: log.child({ component: 'cluster' }),
      metrics: {
        // each failure is also logged by the cluster adapter, with its cause
        countError: (resource, reason) => metrics.apiErrorSeen(resource, reason),
        countRelist: (resource) => metrics.informerRestarted(resource),
        requestDone: (method, host, code, seconds) => metrics.apiRequestDone(method, host, code, seconds),
      },
    });
  } catch (e) {
    log.error('cannot reach the API server: no usable client configuration (--kubeconfig, --master, or in-cluster)', { error: e });
    return { exitCode: 1 };
  }
  // only now that the settings and the client configuration are known good does the node change:
  // a mistyped --kubeconfig in a crash loop leaves its sysctls alone. Nothing is programmed before
  // both lists are in, so the sysctls still come first.
  await prepareKernel(config, kernels, log);

  // after the lists are asked for: the API server prepares them meanwhile
  const servers: Array<{ stop(): Promise<void> }> = [];
  if (config.healthzBindAddress) {
    const s = createHealthServer({ bindAddress: config.healthzBindAddress, health, nodeEligible: () => nodeEligible(node), metrics });
    servers.push(startServer(s, '/healthz, /livez and /readyz', log));
  }
  if (config.metricsBindAddress) {
    servers.push(startServer(createMetricsServer({ bindAddress: config.metricsBindAddress, metrics, configuration: kubeProxyConfiguration(config) }), '/metrics', log));
  }

  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info('stopping; the kernel is left as it is so traffic keeps flowing', { signal });
  await cluster.stop();
  await reconciler.stop();
  idle.stop();
  await Promise.all(servers.map((s) => s.stop()));
  return { exitCode: 0 };
}

/** The version in our package.json: the nearest one above this file (dist/src/cli/ or the bundle in dist/). */
function programVersion(): string {
  for (let dir = new URL('./', import.meta.url), i = 0; i < 5; dir = new URL('../', dir), i++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'kube-ipvs-proxy' && typeof pkg.version === 'string') return `v${pkg.version}`;
    } catch {
      // not here: look one directory up
    }
  }
  return 'unknown';
}

/** For errors that escape everything else: one line, never a stack dump to operators. */
export function describeFatal(e: unknown): string {
  if (isKernelError(e)) return `${e.operation} ${e.key}: ${e.errnoName}`;
  return e instanceof Error ? e.message : String(e);
}
