// The two HTTP listeners: /healthz and /livez on healthzBindAddress (kube-proxy's answers and
// status codes), /metrics and /proxyMode on metricsBindAddress. No routing library: four paths.
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

  start(): Promise<BindAddress> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      this.#server.once('error', onError);
      this.#server.listen(this.#bind.port, this.#bind.host, () => {
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

/**
 * /healthz: 200 when the proxy is healthy and the node eligible, else 503, body
 * {"lastUpdated","currentTime","nodeEligible"}. /livez: the proxy's health alone, no node check.
 * As in kube-proxy, a healthy answer reports lastUpdated = currentTime.
 */
export function createHealthServer(options: HealthServerOptions): ObservabilityServer {
  return new SimpleServer(options.bindAddress, (req, res) => {
    if (!methodAllowed(req, res)) return;
    const path = pathOf(req);
    if (path !== '/healthz' && path !== '/livez') {
      reply(res, req, 404, 'text/plain; charset=utf-8', '404 page not found\n');
      return;
    }
    const status = options.health.status();
    const current = new Date(status.currentMs).toISOString();
    if (path === '/livez') {
      const code = status.healthy ? 200 : 503;
      options.metrics?.livezAnswered(code);
      const lastUpdated = status.healthy ? current : new Date(status.lastUpdatedMs).toISOString();
      reply(res, req, code, 'application/json', JSON.stringify({ lastUpdated, currentTime: current }));
      return;
    }
    const eligible = options.nodeEligible?.() ?? true;
    const healthy = status.healthy && eligible;
    const code = healthy ? 200 : 503;
    options.metrics?.healthzAnswered(code);
    const lastUpdated = healthy ? current : new Date(status.lastUpdatedMs).toISOString();
    reply(res, req, code, 'application/json', JSON.stringify({ lastUpdated, currentTime: current, nodeEligible: eligible }));
  });
}

export interface MetricsServerOptions {
  readonly bindAddress: BindAddress;
  readonly metrics: ProxyMetrics;
}

/** /metrics (Prometheus text) and /proxyMode ("ipvs", as kube-proxy answers it). */
export function createMetricsServer(options: MetricsServerOptions): ObservabilityServer {
  return new SimpleServer(options.bindAddress, async (req, res) => {
    if (!methodAllowed(req, res)) return;
    const path = pathOf(req);
    if (path === '/metrics') reply(res, req, 200, options.metrics.contentType, await options.metrics.exposition());
    else if (path === '/proxyMode') reply(res, req, 200, 'text/plain; charset=utf-8', 'ipvs');
    else reply(res, req, 404, 'text/plain; charset=utf-8', '404 page not found\n');
  });
}
