// The two HTTP listeners: /healthz, /livez and /readyz on healthzBindAddress (kube-proxy's answers
// and status codes; /readyz is ours), /metrics, /proxyMode, /healthz and /configz on metricsBindAddress. No
// routing library: a few paths. keepServing retries a listener that cannot bind, as kube-proxy does.
import { createRequire } from 'node:module';
import type * as Http from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthTracker } from './health.js';
import type { ProxyMetrics } from './metrics.js';

// require(), not import: the ESM facade of node:http reads every export, and one lazy getter
// loads Node's bundled undici (~300 ms of startup in UML) that nothing here uses
const { createServer } = createRequire(import.meta.url)('node:http') as typeof Http;

export interface BindAddress {
  readonly host: string;
  /** 0 picks a free port; start() returns the one bound */
  readonly port: number;
}

export interface ObservabilityServer {
  /** listens; resolves with the address actually bound */
  start(): Promise<BindAddress>;
  /** stops listening and closes open connections */
  stop(): Promise<void>;
}

class SimpleServer implements ObservabilityServer {
  readonly #bind: BindAddress;
  readonly #server: Server;

  constructor(bind: BindAddress, handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void) {
    this.#bind = bind;
    this.#server = createServer((req, res) => {
      Promise.resolve()
        .then(() => handle(req, res))
        .catch((e: unknown) => {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          res.end(`internal error: ${e instanceof Error ? e.message : String(e)}\n`);
        });
    });
  }

  async start(): Promise<BindAddress> {
    if (this.#bind.host !== '0.0.0.0') return this.#listen(this.#bind.host);
    // Go's listener, kube-proxy's, takes 0.0.0.0 as every address of both families: so does "::"
    // here (Node's sockets are dual-stack unless told otherwise), while Node's 0.0.0.0 is IPv4
    // alone and the kubelet probes an IPv6 node by its IPv6 address. Without IPv6: 0.0.0.0.
    try {
      return await this.#listen('::');
    } catch (e: unknown) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw e;
      return this.#listen('0.0.0.0');
    }
  }

  #listen(host: string): Promise<BindAddress> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      this.#server.once('error', onError);
      this.#server.listen(this.#bind.port, host, () => {
        this.#server.off('error', onError);
        const a = this.#server.address() as AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.#server.listening) {
        resolve();
        return;
      }
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] ?? '/';
}

function reply(res: ServerResponse, req: IncomingMessage, code: number, contentType: string, body: string): void {
  res.writeHead(code, { 'content-type': contentType, 'x-content-type-options': 'nosniff' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function methodAllowed(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  res.writeHead(405, { allow: 'GET, HEAD' });
  res.end();
  return false;
}

export interface HealthServerOptions {
  readonly bindAddress: BindAddress;
  readonly health: HealthTracker;
  /** false while the Node is being deleted (see nodeEligible); /healthz answers 503 then */
  readonly nodeEligible?: () => boolean;
  readonly metrics?: ProxyMetrics;
}

/** The last successful sync's time; before the first one, Go's zero time as kube-proxy reports it (not 1970). */
function lastUpdatedText(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString() : '0001-01-01T00:00:00.000Z';
}

/**
 * /healthz: 200 when the proxy is healthy and the node eligible, else 503, body
 * {"lastUpdated","currentTime","nodeEligible"}. /livez: the proxy's health alone, no node check.
 * As in kube-proxy, a healthy answer reports lastUpdated = currentTime. /readyz: as /healthz, but
 * 503 until the first successful sync (kube-proxy's /healthz is healthy while it starts up, so a
 * readiness probe on it passes before anything is programmed).
 */
export function createHealthServer(options: HealthServerOptions): ObservabilityServer {
  return new SimpleServer(options.bindAddress, (req, res) => {
    if (!methodAllowed(req, res)) return;
    const path = pathOf(req);
    if (path !== '/healthz' && path !== '/livez' && path !== '/readyz') {
      reply(res, req, 404, 'text/plain; charset=utf-8', '404 page not found\n');
      return;
    }
    const status = options.health.status();
    const current = new Date(status.currentMs).toISOString();
    if (path === '/livez') {
      const code = status.healthy ? 200 : 503;
      options.metrics?.livezAnswered(code);
      const lastUpdated = status.healthy ? current : lastUpdatedText(status.lastUpdatedMs);
      reply(res, req, code, 'application/json', JSON.stringify({ lastUpdated, currentTime: current }));
      return;
    }
    const eligible = options.nodeEligible?.() ?? true;
    const healthy = status.healthy && eligible && (path === '/healthz' || status.synced);
    const code = healthy ? 200 : 503;
    if (path === '/healthz') options.metrics?.healthzAnswered(code);
    const lastUpdated = healthy ? current : lastUpdatedText(status.lastUpdatedMs);
    reply(res, req, code, 'application/json', JSON.stringify({ lastUpdated, currentTime: current, nodeEligible: eligible }));
  });
}

export interface MetricsServerOptions {
  readonly bindAddress: BindAddress;
  readonly metrics: ProxyMetrics;
  /** the effective configuration, served on /configz under kube-proxy's key "kubeproxy.config.k8s.io" (v1alpha1 field names, not kube-proxy's Go ones) */
  readonly configuration?: unknown;
}

/** /metrics (Prometheus text), /proxyMode ("ipvs"), /healthz ("ok") and /configz, as kube-proxy's metrics server answers them. */
export function createMetricsServer(options: MetricsServerOptions): ObservabilityServer {
  const configz = options.configuration === undefined ? undefined : JSON.stringify({ 'kubeproxy.config.k8s.io': options.configuration });
  return new SimpleServer(options.bindAddress, async (req, res) => {
    if (!methodAllowed(req, res)) return;
    const path = pathOf(req);
    if (path === '/metrics') reply(res, req, 200, options.metrics.contentType, await options.metrics.exposition());
    else if (path === '/proxyMode') reply(res, req, 200, 'text/plain; charset=utf-8', 'ipvs');
    else if (path === '/healthz') reply(res, req, 200, 'text/plain; charset=utf-8', 'ok');
    else if (path === '/configz' && configz !== undefined) reply(res, req, 200, 'application/json', configz);
    else reply(res, req, 404, 'text/plain; charset=utf-8', '404 page not found\n');
  });
}

export interface KeepServingOptions {
  /** wait between two attempts to bind (kube-proxy: 5 s) */
  readonly retryMs: number;
  /** an attempt failed; `attempt` counts from 1 */
  readonly onError: (e: unknown, attempt: number) => void;
  readonly onServing: (bound: BindAddress, attempt: number) => void;
}

/**
 * Starts `server` and, while it cannot bind (the port still held by the kube-proxy being replaced,
 * an address not yet up), tries again every `retryMs` until it can or is stopped; the proxy serves
 * meanwhile. stop() ends the attempts and the server.
 */
export function keepServing(server: ObservabilityServer, options: KeepServingOptions): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let attempt = 0;
  const tryStart = (): void => {
    attempt++;
    server.start().then(
      (bound) => {
        if (stopped) void server.stop();
        else options.onServing(bound, attempt);
      },
      (e: unknown) => {
        if (stopped) return;
        options.onError(e, attempt);
        timer = setTimeout(tryStart, options.retryMs);
        timer.unref();
      },
    );
  };
  tryStart();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await server.stop();
    },
  };
}
