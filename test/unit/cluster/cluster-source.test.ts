// The cluster adapter with its real list/watch informers against the fake API server on loopback:
// what the handler is told, after the initial lists, changes, filtering, dropped watches and 410s.
import { expect } from 'chai';
import { rmSync, writeFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterSource, type ClusterErrorReason, type ClusterLogger, type ClusterMetrics, type ClusterSourceOptions, type WatchedResource } from '../../../src/cluster/index.js';
import type { ClusterObjectHandler, EndpointSliceLike, NodeLike, ServiceLike } from '../../../src/model/index.js';
import { FakeApiServer, type KubeObject } from '../../support/fake-apiserver/index.js';

type Waiter = { check: () => boolean; resolve: () => void };

/** Everything the handler and the hooks were told, in order, with waiting on conditions. */
class Recorder implements ClusterObjectHandler, ClusterMetrics, ClusterLogger {
  /** "service ns/name rv" | "service ns/name deleted" | "slice ..." | "node name rv" | "synced" */
  readonly log: string[] = [];
  readonly services = new Map<string, ServiceLike>();
  readonly slices = new Map<string, EndpointSliceLike>();
  node: NodeLike | undefined;
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  relists = 0;
  /** "METHOD host code" per API request answered or failed */
  readonly requests: string[] = [];
  throwOn: string | undefined;
  #waiters: Waiter[] = [];

  serviceChanged(key: string, service: ServiceLike | undefined): void {
    if (service === undefined) this.services.delete(key);
    else this.services.set(key, service);
    this.#record(`service ${key} ${service?.metadata?.resourceVersion ?? 'deleted'}`);
    if (this.throwOn === key) throw new Error(`handler fails on ${key}`);
  }

  endpointSliceChanged(key: string, slice: EndpointSliceLike | undefined): void {
    if (slice === undefined) this.slices.delete(key);
    else this.slices.set(key, slice);
    this.#record(`slice ${key} ${slice?.metadata?.resourceVersion ?? 'deleted'}`);
  }

  nodeChanged(node: NodeLike | undefined): void {
    this.node = node;
    this.#record(`node ${node?.metadata?.name ?? ''} ${node?.metadata?.resourceVersion ?? 'deleted'}`);
  }

  synced(): void {
    this.#record('synced');
  }

  countError(resource: WatchedResource, reason: ClusterErrorReason): void {
    this.errors.push(`${resource} ${reason}`);
    this.#wake();
  }

  countRelist(_resource: WatchedResource): void {
    this.relists++;
    this.#wake();
  }

  requestDone = (method: string, host: string, code: string, seconds: number): void => {
    expect(seconds).to.be.at.least(0);
    this.requests.push(`${method} ${host} ${code}`);
  };

  debug(): void {}
  info(): void {}
  warn(msg: string): void {
    this.warnings.push(msg);
  }
  error(msg: string): void {
    this.warnings.push(msg);
  }

  count(entry: string): number {
    return this.log.filter((l) => l === entry).length;
  }

  /** Entries recorded from index `from` on. */
  since(from: number): string[] {
    return this.log.slice(from);
  }

  /** Resolves when `check` holds; the mocha timeout is the only clock. */
  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ check, resolve }));
  }

  #record(entry: string): void {
    this.log.push(entry);
    this.#wake();
  }

  #wake(): void {
    const pending = this.#waiters;
    this.#waiters = [];
    for (const w of pending) {
      if (w.check()) w.resolve();
      else this.#waiters.push(w);
    }
  }
}

function service(name: string, labels: Record<string, string> = {}, namespace = 'default'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels },
    spec: { clusterIP: '10.96.0.10', ports: [{ port: 80, protocol: 'TCP' }] },
  };
}

function slice(name: string, serviceName: string, labels: Record<string, string> = {}, namespace = 'default'): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace, labels: { 'kubernetes.io/service-name': serviceName, ...labels } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.244.0.5'], conditions: { ready: true } }],
    ports: [{ port: 8080, protocol: 'TCP' }],
  };
}

function node(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels } };
}

/** Polls the fake server (not the code under test) for a condition, e.g. that sockets closed. */
async function eventually(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

describe('cluster adapter (its list/watch informers against the fake API server)', () => {
  let api: FakeApiServer;
  let rec: Recorder;
  let sources: ClusterSource[];

  beforeEach(async () => {
    api = await FakeApiServer.start();
    rec = new Recorder();
    sources = [];
  });

  afterEach(async () => {
    await Promise.all(sources.map((s) => s.stop()));
    await api.close();
  });

  function kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(api.kubeconfig());
    return kc;
  }

  function startSource(options: Partial<ClusterSourceOptions> = {}): ClusterSource {
    const source = new ClusterSource(rec, {
      nodeName: 'node-1',
      kubeConfig: kubeConfig(),
      logger: rec,
      metrics: rec,
      backoff: { initialMs: 10, maxMs: 80 },
      ...options,
    });
    sources.push(source);
    source.start();
    return source;
  }

  it('reports the initial lists, then synced exactly once', async () => {
    const a = api.create(service('a'));
    const b = api.create(service('b', {}, 'other'));
    const s = api.create(slice('a-1', 'a'));
    const n = api.create(node('node-1'));
    api.create(node('node-2'));
    const source = startSource();
    await rec.until(() => rec.count('synced') === 1 && rec.node !== undefined);
    const beforeSynced = rec.log.slice(0, rec.log.indexOf('synced'));
    expect(beforeSynced).to.include.members([
      `service default/a ${a.metadata?.resourceVersion ?? ''}`,
      `service other/b ${b.metadata?.resourceVersion ?? ''}`,
      `slice default/a-1 ${s.metadata?.resourceVersion ?? ''}`,
    ]);
    expect(rec.log.filter((l) => l.startsWith('node'))).to.deep.equal([`node node-1 ${n.metadata?.resourceVersion ?? ''}`]);
    expect(source.synced).to.equal(true);
    // later changes and a relist do not sync again
    api.create(service('c'));
    api.compactHistory();
    api.dropWatches();
    await rec.until(() => rec.relists >= 2 && rec.services.has('default/c'));
    api.create(service('d'));
    await rec.until(() => rec.services.has('default/d'));
    expect(rec.count('synced')).to.equal(1);
  });

  it('warns once when no Node has its name (a mistyped --hostname-override), and not when one does', async () => {
    startSource({ nodeName: 'node-typo' });
    await rec.until(() => rec.count('synced') === 1);
    await eventually(() => rec.warnings.some((w) => w.startsWith('no Node of this name')));
    api.create(node('node-1'));
    startSource();
    await rec.until(() => rec.node !== undefined);
    expect(rec.warnings.filter((w) => w.startsWith('no Node of this name'))).to.have.length(1);
  });

  it('reports creates, updates and deletes of Services, EndpointSlices and its own Node', async () => {
    api.create(node('node-1'));
    startSource();
    await rec.until(() => rec.count('synced') === 1 && rec.node !== undefined);
    const from = rec.log.length;
    const a = api.create(service('a'));
    const a2 = api.update({ ...a, spec: { clusterIP: '10.96.0.20', ports: [{ port: 443, protocol: 'TCP' }] } });
    const s = api.create(slice('a-1', 'a'));
    api.delete('services', 'default', 'a');
    api.delete('endpointslices', 'default', 'a-1');
    const n2 = api.update({ ...node('node-1', { 'topology.kubernetes.io/zone': 'z1' }) });
    api.update(node('node-1', { x: 'y' }));
    api.create(node('node-9'));
    await rec.until(() => rec.since(from).length >= 7);
    const rv = (o: KubeObject): string => o.metadata?.resourceVersion ?? '';
    // each resource has its own stream: order holds within one, not across them
    const of = (kind: string): string[] => rec.since(from).filter((l) => l.startsWith(kind));
    expect(of('service')).to.deep.equal([`service default/a ${rv(a)}`, `service default/a ${rv(a2)}`, 'service default/a deleted']);
    expect(of('slice')).to.deep.equal([`slice default/a-1 ${rv(s)}`, 'slice default/a-1 deleted']);
    expect(of('node')).to.deep.equal([`node node-1 ${rv(n2)}`, `node node-1 ${String(Number(rv(n2)) + 1)}`]);
    expect(rec.services.size).to.equal(0);
    expect(rec.node?.metadata?.labels).to.deep.equal({ x: 'y' });
    // watched objects carry Dates in metadata, as listed ones do
    expect((rec.node?.metadata as { creationTimestamp?: unknown } | undefined)?.creationTimestamp).to.be.instanceOf(Date);
    expect(rec.errors).to.deep.equal([]);
  });

  it('skips headless Services and those of other proxies, by server-side selector and client-side', async () => {
    api.create(service('plain'));
    api.create(service('headless', { 'service.kubernetes.io/headless': '' }));
    api.create(service('foreign', { 'service.kubernetes.io/service-proxy-name': 'other' }));
    api.create(service('ours', { 'service.kubernetes.io/service-proxy-name': 'ours' }));
    api.create(slice('plain-1', 'plain'));
    api.create(slice('headless-1', 'headless', { 'service.kubernetes.io/headless': '' }));
    startSource();
    await rec.until(() => rec.count('synced') === 1);
    expect([...rec.services.keys()]).to.deep.equal(['default/plain']);
    expect([...rec.slices.keys()]).to.deep.equal(['default/plain-1']);
    await eventually(() => api.watchCount() === 3);
    const watches = api.requestLog.filter((l) => l.startsWith('GET /api/v1/services?') && l.includes('watch=true'));
    expect(watches.length).to.be.greaterThan(0);
    expect(watches[0]).to.include('labelSelector=!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless');
    // becoming headless is a delete for us
    const plain = api.get('services', 'default', 'plain') as KubeObject;
    api.update({ ...plain, metadata: { ...plain.metadata, labels: { 'service.kubernetes.io/headless': '' } } });
    await rec.until(() => rec.services.size === 0);
    expect(rec.log.at(-1)).to.equal('service default/plain deleted');
  });

  it('serves Services claimed by its proxy name, and filters client-side when the server ignores selectors', async () => {
    const lax = await FakeApiServer.start({ ignoreLabelSelectors: true });
    try {
      lax.create(service('plain'));
      lax.create(service('headless', { 'service.kubernetes.io/headless': '' }));
      lax.create(service('foreign', { 'service.kubernetes.io/service-proxy-name': 'other' }));
      lax.create(service('ours', { 'service.kubernetes.io/service-proxy-name': 'ours' }));
      lax.create(slice('foreign-1', 'foreign', { 'service.kubernetes.io/service-proxy-name': 'other' }));
      lax.create(slice('ours-1', 'ours', { 'service.kubernetes.io/service-proxy-name': 'ours' }));
      const kc = new KubeConfig();
      kc.loadFromString(lax.kubeconfig());
      const source = new ClusterSource(rec, { nodeName: '', proxyName: 'ours', kubeConfig: kc, logger: rec, metrics: rec });
      sources.push(source);
      source.start();
      await rec.until(() => rec.count('synced') === 1);
      expect([...rec.services.keys()].sort()).to.deep.equal(['default/ours', 'default/plain']);
      expect([...rec.slices.keys()]).to.deep.equal(['default/ours-1']);
      await eventually(() => lax.watchCount() === 2);
      const watch = lax.requestLog.find((l) => l.startsWith('GET /api/v1/services?') && l.includes('watch=true'));
      expect(watch).to.include('labelSelector=!service.kubernetes.io/headless');
      expect(watch).not.to.include('service-proxy-name');
      lax.create(service('later-foreign', { 'service.kubernetes.io/service-proxy-name': 'other' }));
      lax.create(service('later-ours', { 'service.kubernetes.io/service-proxy-name': 'ours' }));
      await rec.until(() => rec.services.has('default/later-ours'));
      expect(rec.services.has('default/later-foreign')).to.equal(false);
      expect(rec.log.filter((l) => l.includes('foreign'))).to.deep.equal([]);
    } finally {
      await Promise.all(sources.splice(0).map((s) => s.stop()));
      await lax.close();
    }
  });

  it('keeps watching after the server ends the watch streams, cleanly or by reset', async () => {
    startSource();
    await rec.until(() => rec.count('synced') === 1);
    await eventually(() => api.watchCount() === 3);
    api.dropWatches('end');
    api.create(service('after-end'));
    await rec.until(() => rec.services.has('default/after-end'));
    await eventually(() => api.watchCount() === 3);
    api.dropWatches('reset');
    api.create(service('after-reset'));
    api.create(slice('after-reset-1', 'after-reset'));
    await rec.until(() => rec.services.has('default/after-reset') && rec.slices.has('default/after-reset-1'));
    expect(rec.count('synced')).to.equal(1);
    expect(rec.log.filter((l) => l.startsWith('service'))).to.have.length(2);
  });

  it('restarts with backoff while the server is down, then relists after 410 and replays only the differences', async () => {
    const a = api.create(service('a'));
    const b = api.create(service('b'));
    api.create(service('c'));
    api.create(slice('a-1', 'a'));
    api.create(slice('b-1', 'b'));
    startSource();
    await rec.until(() => rec.count('synced') === 1);
    const from = rec.log.length;
    api.setAvailable(false);
    api.dropWatches('reset');
    // the informers fail while disconnected; the adapter restarts them with backoff
    await rec.until(() => rec.errors.filter((e) => e.startsWith('services')).length >= 2);
    // requests to a server that is down are counted as failed, as client-go counts them
    expect(rec.requests.filter((r) => !r.endsWith(' 200')).length).to.be.at.least(2);
    // meanwhile: a deleted, b changed, d added, c untouched; then history is compacted
    api.delete('services', 'default', 'a');
    api.delete('endpointslices', 'default', 'a-1');
    const b2 = api.update({ ...b, spec: { clusterIP: '10.96.0.99', ports: [] } });
    const d = api.create(service('d'));
    api.compactHistory();
    api.setAvailable(true);
    await rec.until(() => rec.services.has('default/d') && !rec.services.has('default/a') && !rec.slices.has('default/a-1'));
    await rec.until(() => rec.relists >= 2);
    // the stream works again after the relist
    api.create(service('e'));
    await rec.until(() => rec.services.has('default/e'));
    const replay = rec.since(from);
    expect(replay.slice(0, -1).sort()).to.deep.equal(
      [
        'service default/a deleted',
        'slice default/a-1 deleted',
        `service default/b ${b2.metadata?.resourceVersion ?? ''}`,
        `service default/d ${d.metadata?.resourceVersion ?? ''}`,
      ].sort(),
    );
    expect(replay.at(-1)).to.match(/^service default\/e \d+$/);
    expect(api.requests.gone).to.be.greaterThan(0);
    expect(rec.count('synced')).to.equal(1);
    expect(a.metadata?.resourceVersion).to.not.equal(undefined);
    // first lists from the API server's cache (resourceVersion=0), the relists after 410 consistent
    const lists = (resource: string): string[] => api.listResourceVersions.filter((l) => l.startsWith(`${resource}:`)).map((l) => l.slice(resource.length + 1));
    expect(lists('services')[0]).to.equal('0');
    expect(lists('endpointslices')[0]).to.equal('0');
    expect(lists('services').slice(1)).to.include('');
  });

  it('reads large lists gzip-compressed, as kube-apiserver sends them, and plain ones alike', async () => {
    // 3,000 Services: a list answer far over the 128 KiB the API server starts compressing at
    api.createMany(Array.from({ length: 3000 }, (_, i) => service(`big-${i}`)));
    startSource();
    await rec.until(() => rec.count('synced') === 1);
    expect(api.requests.gzipped).to.be.greaterThan(0);
    expect(rec.services.size).to.equal(3000);
    expect(rec.services.has('default/big-2999')).to.equal(true);

    const plain = await FakeApiServer.start({ noCompression: true });
    try {
      plain.createMany(Array.from({ length: 3000 }, (_, i) => service(`big-${i}`)));
      const kc = new KubeConfig();
      kc.loadFromString(plain.kubeconfig());
      const other = new Recorder();
      const source = new ClusterSource(other, { nodeName: '', kubeConfig: kc, logger: other, metrics: other, backoff: { initialMs: 10, maxMs: 80 } });
      sources.push(source);
      source.start();
      await other.until(() => other.count('synced') === 1);
      expect(plain.requests.gzipped).to.equal(0);
      expect(other.services.size).to.equal(3000);
      await source.stop();
    } finally {
      await plain.close();
    }
  });

  it('relists after a 410 given as HTTP status, reporting nothing when nothing changed', async () => {
    const gone = await FakeApiServer.start({ goneAs: 'status' });
    try {
      gone.create(service('a'));
      gone.create(slice('a-1', 'a'));
      const kc = new KubeConfig();
      kc.loadFromString(gone.kubeconfig());
      const source = new ClusterSource(rec, { nodeName: '', kubeConfig: kc, logger: rec, metrics: rec, backoff: { initialMs: 10, maxMs: 80 } });
      sources.push(source);
      source.start();
      await rec.until(() => rec.count('synced') === 1);
      await eventually(() => gone.watchCount() === 2);
      const from = rec.log.length;
      gone.compactHistory();
      gone.dropWatches();
      await rec.until(() => rec.relists >= 2);
      gone.create(service('b'));
      await rec.until(() => rec.services.has('default/b'));
      expect(rec.since(from)).to.have.length(1);
      expect(rec.since(from)[0]).to.match(/^service default\/b /);
      expect(gone.requests.gone).to.equal(2);
      expect(rec.errors.filter((e) => e.endsWith(' expired'))).to.have.length(2);
      // each request is counted with its answer (rest_client_requests_total): the two 410s among them
      const host = new URL(gone.url).host;
      expect(rec.requests.filter((r) => r === `GET ${host} 410`)).to.have.length(2);
      expect(rec.requests.filter((r) => r === `GET ${host} 200`).length).to.be.at.least(6);
    } finally {
      await Promise.all(sources.splice(0).map((s) => s.stop()));
      await gone.close();
    }
  });

  it('does not report synced before both the Services and the EndpointSlices lists are in', async () => {
    api.create(service('a'));
    api.create(slice('a-1', 'a'));
    api.setAvailable(false, 'endpointslices');
    const source = startSource();
    await rec.until(() => rec.services.has('default/a') && rec.errors.filter((e) => e === 'endpointslices list').length >= 2);
    expect(source.synced).to.equal(false);
    expect(rec.count('synced')).to.equal(0);
    api.setAvailable(true, 'endpointslices');
    await rec.until(() => rec.count('synced') === 1);
    expect(rec.log.indexOf('synced')).to.be.greaterThan(rec.log.indexOf('slice default/a-1 ' + (api.get('endpointslices', 'default', 'a-1')?.metadata?.resourceVersion ?? '')));
    expect(rec.warnings.some((w) => w.includes('endpointslices list failed'))).to.equal(true);
  });

  it('abandons and retries a list the server never answers, and stop() ends a hung list', async () => {
    api.create(service('a'));
    api.setHolding(true, 'services');
    startSource({ listTimeoutMs: 50 });
    await rec.until(() => rec.errors.filter((e) => e === 'services list').length >= 2);
    expect(rec.count('synced')).to.equal(0);
    api.setHolding(false, 'services');
    await rec.until(() => rec.count('synced') === 1);
    expect([...rec.services.keys()]).to.deep.equal(['default/a']);
    await eventually(() => api.watchCount('services') === 1);
    // a second source stuck in a list it would wait on for 2 minutes: stop() must end it
    api.setHolding(true, 'services');
    const stuck = new Recorder();
    const source = new ClusterSource(stuck, { nodeName: '', kubeConfig: kubeConfig(), logger: stuck, metrics: stuck });
    sources.push(source);
    source.start();
    await eventually(() => api.heldCount() === 1);
    await source.stop();
    await eventually(() => api.heldCount() === 0);
    expect(stuck.errors).to.deep.equal([]);
  });

  it('survives a handler that throws: logs, counts, and goes on', async () => {
    rec.throwOn = 'default/bad';
    startSource();
    await rec.until(() => rec.count('synced') === 1);
    api.create(service('bad'));
    api.create(service('good'));
    await rec.until(() => rec.services.has('default/good'));
    expect(rec.errors).to.include('services handler');
    expect(rec.warnings.some((w) => w.includes('handler threw'))).to.equal(true);
  });

  it('connects through a kubeconfig file, a bare master URL, or a kubeconfig whose server --master overrides', async () => {
    api.create(service('a'));
    const file = api.writeKubeconfig();
    const elsewhere = `${file}.elsewhere`;
    // nothing listens on port 9 of loopback: only the master override can make this one work
    writeFileSync(elsewhere, api.kubeconfig().replace(api.url, 'http://127.0.0.1:9'));
    try {
      const viaFile = new Recorder();
      const viaMaster = new Recorder();
      const viaOverride = new Recorder();
      const s1 = new ClusterSource(viaFile, { nodeName: '', kubeconfig: file });
      const s2 = new ClusterSource(viaMaster, { nodeName: '', master: api.url });
      const s3 = new ClusterSource(viaOverride, { nodeName: '', kubeconfig: elsewhere, master: api.url });
      sources.push(s1, s2, s3);
      for (const s of [s1, s2, s3]) s.start();
      for (const r of [viaFile, viaMaster, viaOverride]) {
        await r.until(() => r.count('synced') === 1);
        expect([...r.services.keys()]).to.deep.equal(['default/a']);
      }
    } finally {
      rmSync(file);
      rmSync(elsewhere);
    }
  });

  it('stops cleanly: no watch left open on the server, no restart after stop', async () => {
    const source = startSource();
    await rec.until(() => rec.count('synced') === 1);
    await eventually(() => api.watchCount() === 3);
    await source.stop();
    await eventually(() => api.watchCount() === 0);
    // stopping in the middle of a backoff leaves no timer behind either (mocha exits by itself)
    api.setAvailable(false);
    const failing = startSource();
    await rec.until(() => rec.errors.length >= 4);
    await failing.stop();
    // a restart left behind would fire within the backoff cap (80 ms): wait well past it
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));
    await settle();
    const requestsAfterStop = api.requestLog.length;
    api.setAvailable(true);
    api.create(service('after-stop'));
    await settle();
    expect(api.requestLog.length).to.equal(requestsAfterStop);
    expect(api.watchCount()).to.equal(0);
    expect(rec.services.has('default/after-stop')).to.equal(false);
  });
});
