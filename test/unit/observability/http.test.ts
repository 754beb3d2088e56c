// /healthz, /livez and /metrics over real HTTP on 127.0.0.1, with a hand-driven clock.
import { expect } from 'chai';
import { createServer } from 'node:net';
import {
  createHealthServer,
  createMetricsServer,
  createProxyMetrics,
  HealthTracker,
  keepServing,
  nodeEligible,
  type BindAddress,
  type ObservabilityServer,
} from '../../../src/observability/index.js';
import { sample } from './exposition.js';

class ManualClock {
  ms = Date.UTC(2026, 10, 26, 12, 0, 0);
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function get(at: BindAddress, path: string): Promise<Answer> {
  const res = await fetch(`http://${at.host}:${at.port}${path}`);
  expect(res.headers.get('content-type')).to.equal('application/json');
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('observability/http', () => {
  const running: ObservabilityServer[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
  });
  async function start(s: ObservabilityServer): Promise<BindAddress> {
    running.push(s);
    return s.start();
  }

  it('answers 200 until a queued change waits longer than the health timeout, then 200 again once synced', async () => {
    const clock = new ManualClock();
    const sync = 30_000;
    const health = new HealthTracker(2 * sync, clock);
    const metrics = createProxyMetrics();
    let eligible = true;
    const at = await start(createHealthServer({ bindAddress: { host: '127.0.0.1', port: 0 }, health, metrics, nodeEligible: () => eligible }));
    expect(at.host).to.equal('127.0.0.1');
    expect(at.port).to.be.greaterThan(0);
    const iso = (): string => new Date(clock.ms).toISOString();

    // nothing queued yet: healthy, lastUpdated reported as now (kube-proxy's compatibility rule)
    expect(await get(at, '/healthz')).to.deep.equal({ status: 200, body: { lastUpdated: iso(), currentTime: iso(), nodeEligible: true } });

    health.updated();
    const syncedAt = iso();
    clock.advance(1000);
    health.queuedUpdate();
    clock.advance(2 * sync);
    expect((await get(at, '/healthz')).status).to.equal(200); // exactly at the timeout: still healthy
    health.queuedUpdate(); // a newer change must not hide the older one
    clock.advance(1);
    expect(await get(at, '/healthz')).to.deep.equal({ status: 503, body: { lastUpdated: syncedAt, currentTime: iso(), nodeEligible: true } });
    expect(await get(at, '/livez')).to.deep.equal({ status: 503, body: { lastUpdated: syncedAt, currentTime: iso() } });

    health.updated();
    expect(await get(at, '/healthz')).to.deep.equal({ status: 200, body: { lastUpdated: iso(), currentTime: iso(), nodeEligible: true } });
    expect((await get(at, '/livez')).status).to.equal(200);

    // a Node being deleted: /healthz says 503 (load balancers drain it), /livez stays 200
    eligible = false;
    // unhealthy answers report the last successful sync, which happened at this same instant
    expect(await get(at, '/healthz')).to.deep.equal({ status: 503, body: { lastUpdated: iso(), currentTime: iso(), nodeEligible: false } });
    expect((await get(at, '/livez')).status).to.equal(200);

    const text = await metrics.exposition();
    expect(sample(text, 'kubeproxy_proxy_healthz_total{code="200"}')).to.equal(3);
    expect(sample(text, 'kubeproxy_proxy_healthz_total{code="503"}')).to.equal(2);
    expect(sample(text, 'kubeproxy_proxy_livez_total{code="200"}')).to.equal(2);
    expect(sample(text, 'kubeproxy_proxy_livez_total{code="503"}')).to.equal(1);
  });

  it('answers /readyz 503 until the first successful sync, then as /healthz', async () => {
    const clock = new ManualClock();
    const health = new HealthTracker(60_000, clock);
    let eligible = true;
    const at = await start(createHealthServer({ bindAddress: { host: '127.0.0.1', port: 0 }, health, nodeEligible: () => eligible }));
    // starting: /healthz is healthy (kube-proxy's rule), /readyz is not
    expect((await get(at, '/healthz')).status).to.equal(200);
    health.queuedUpdate(); // the lists are in, the first sync is due
    const starting = await get(at, '/readyz');
    expect(starting.status).to.equal(503);
    // never synced: Go's zero time, as kube-proxy reports it, not the Unix epoch
    expect(starting.body).to.include({ lastUpdated: '0001-01-01T00:00:00.000Z' });
    health.queuedUpdate(); // a failed first sync queues again
    clock.advance(1000);
    expect((await get(at, '/readyz')).status).to.equal(503);
    health.updated();
    const iso = new Date(clock.ms).toISOString();
    expect(await get(at, '/readyz')).to.deep.equal({ status: 200, body: { lastUpdated: iso, currentTime: iso, nodeEligible: true } });
    eligible = false;
    expect((await get(at, '/readyz')).status).to.equal(503);
    eligible = true;
    health.queuedUpdate();
    clock.advance(60_001);
    expect((await get(at, '/readyz')).status).to.equal(503);
  });

  it('listens on every address of both families for 0.0.0.0, as a Go listener does', async () => {
    const at = await start(createHealthServer({ bindAddress: { host: '0.0.0.0', port: 0 }, health: new HealthTracker(60_000) }));
    expect((await get({ host: '127.0.0.1', port: at.port }, '/livez')).status).to.equal(200);
    expect((await get({ host: '[::1]', port: at.port }, '/livez')).status).to.equal(200);
  });

  it('keeps trying to bind a port that is taken, and serves once it is free', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const errors: string[] = [];
    let serving: { bound: BindAddress; attempt: number } | undefined;
    const server = createMetricsServer({ bindAddress: { host: '127.0.0.1', port }, metrics: createProxyMetrics() });
    const kept = keepServing(server, {
      retryMs: 20,
      onError: (e) => errors.push((e as NodeJS.ErrnoException).code ?? String(e)),
      onServing: (bound, attempt) => (serving = { bound, attempt }),
    });
    try {
      while (errors.length < 3) await new Promise((r) => setTimeout(r, 10));
      expect(serving).to.equal(undefined);
      await new Promise((resolve) => blocker.close(resolve));
      while (serving === undefined) await new Promise((r) => setTimeout(r, 10));
      expect(serving.bound.port).to.equal(port);
      expect(serving.attempt).to.be.greaterThan(3);
      expect(new Set(errors)).to.deep.equal(new Set(['EADDRINUSE']));
      expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).text()).to.equal('ok');
    } finally {
      await kept.stop();
    }
    let refused: unknown;
    await fetch(`http://127.0.0.1:${port}/healthz`).catch((e: unknown) => (refused = e));
    expect(refused).to.be.instanceOf(Error);
  });

  it('stops retrying once stopped', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    let attempts = 0;
    const kept = keepServing(createMetricsServer({ bindAddress: { host: '127.0.0.1', port }, metrics: createProxyMetrics() }), {
      retryMs: 10,
      onError: () => attempts++,
      onServing: () => expect.fail('must not serve'),
    });
    while (attempts < 2) await new Promise((r) => setTimeout(r, 5));
    await kept.stop();
    const after = attempts;
    await new Promise((resolve) => blocker.close(resolve));
    await new Promise((r) => setTimeout(r, 60));
    expect(attempts).to.equal(after);
  });

  it('refuses other paths and methods', async () => {
    const at = await start(createHealthServer({ bindAddress: { host: '127.0.0.1', port: 0 }, health: new HealthTracker(60_000) }));
    expect((await fetch(`http://127.0.0.1:${at.port}/`)).status).to.equal(404);
    expect((await fetch(`http://127.0.0.1:${at.port}/healthz`, { method: 'POST' })).status).to.equal(405);
    const head = await fetch(`http://127.0.0.1:${at.port}/healthz`, { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(await head.text()).to.equal('');
  });

  it('serves /metrics in Prometheus text format and /proxyMode', async () => {
    const metrics = createProxyMetrics();
    metrics.setProgrammed({ virtualServers: 2, realServers: 3, addresses: 1, refusedVirtualServers: 0 });
    const at = await start(createMetricsServer({ bindAddress: { host: '127.0.0.1', port: 0 }, metrics }));
    const res = await fetch(`http://127.0.0.1:${at.port}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(sample(text, 'kube_ipvs_proxy_virtual_servers')).to.equal(2);
    expect(text).to.contain('# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram');
    const mode = await fetch(`http://127.0.0.1:${at.port}/proxyMode`);
    expect(await mode.text()).to.equal('ipvs');
  });

  it('serves the effective configuration on /configz under kube-proxy\'s key, and 404 without one', async () => {
    const configuration = { mode: 'ipvs', ipvs: { scheduler: 'wrr', strictARP: true } };
    const at = await start(createMetricsServer({ bindAddress: { host: '127.0.0.1', port: 0 }, metrics: createProxyMetrics(), configuration }));
    const res = await fetch(`http://127.0.0.1:${at.port}/configz`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('application/json');
    expect(await res.json()).to.deep.equal({ 'kubeproxy.config.k8s.io': configuration });
    const bare = await start(createMetricsServer({ bindAddress: { host: '127.0.0.1', port: 0 }, metrics: createProxyMetrics() }));
    expect((await fetch(`http://127.0.0.1:${bare.port}/configz`)).status).to.equal(404);
  });

  it('stops listening on stop(), and reports a port already taken', async () => {
    const server = createMetricsServer({ bindAddress: { host: '127.0.0.1', port: 0 }, metrics: createProxyMetrics() });
    const at = await server.start();
    const clash = createMetricsServer({ bindAddress: at, metrics: createProxyMetrics() });
    let failure: unknown;
    await clash.start().catch((e: unknown) => (failure = e));
    expect((failure as NodeJS.ErrnoException).code).to.equal('EADDRINUSE');
    await server.stop();
    let refused: unknown;
    await fetch(`http://127.0.0.1:${at.port}/metrics`).catch((e: unknown) => (refused = e));
    expect(refused).to.be.instanceOf(Error);
    await server.stop(); // idempotent
  });

  it('judges node eligibility from deletionTimestamp and the autoscaler taint', () => {
    expect(nodeEligible(undefined)).to.equal(true);
    expect(nodeEligible({ metadata: { name: 'n' } })).to.equal(true);
    expect(nodeEligible({ metadata: { name: 'n', deletionTimestamp: new Date() } })).to.equal(false);
    expect(nodeEligible({ spec: { taints: [{ key: 'ToBeDeletedByClusterAutoscaler', effect: 'NoSchedule' }] } })).to.equal(false);
    expect(nodeEligible({ spec: { taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] } })).to.equal(true);
  });
});
