// The fake API server speaks the Kubernetes list/watch protocol: checked with plain HTTP requests,
// then with the real client-node KubeConfig + generated client through its kubeconfig().
import { expect } from 'chai';
import { request, type IncomingMessage } from 'node:http';
import { readFileSync, rmSync } from 'node:fs';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { endpointSliceObject, FakeApiServer, nodeObject, serviceObject, type KubeObject } from '../../support/fake-apiserver/index.js';

interface Reply {
  status: number;
  body: string;
}

function send(url: string, method = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface WatchLine {
  type: string;
  object: KubeObject & { code?: number; reason?: string };
}

/** An open watch: its status, and its lines as they come. */
class WatchStream {
  readonly lines: WatchLine[] = [];
  ended = false;
  status = 0;
  #buffer = '';
  #waiters: (() => void)[] = [];
  #response: IncomingMessage | undefined;

  static open(url: string): Promise<WatchStream> {
    const stream = new WatchStream();
    return new Promise((resolve, reject) => {
      const req = request(url, (res) => {
        stream.#response = res;
        stream.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => stream.#take(chunk));
        res.on('end', () => {
          stream.ended = true;
          stream.#wake();
        });
        res.on('error', () => {
          stream.ended = true;
          stream.#wake();
        });
        resolve(stream);
      });
      req.on('error', reject);
      req.end();
    });
  }

  #take(chunk: string): void {
    this.#buffer += chunk;
    let nl: number;
    while ((nl = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      if (line.trim() !== '') this.lines.push(JSON.parse(line) as WatchLine);
    }
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves once `n` lines arrived (or the stream ended). */
  async waitLines(n: number): Promise<WatchLine[]> {
    while (this.lines.length < n && !this.ended) await new Promise<void>((r) => this.#waiters.push(r));
    return this.lines;
  }

  async waitEnd(): Promise<void> {
    while (!this.ended) await new Promise<void>((r) => this.#waiters.push(r));
  }

  close(): void {
    this.#response?.destroy();
  }
}

function service(name: string, namespace = 'default', labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, labels }, spec: { clusterIP: '10.96.0.10', ports: [{ port: 80, protocol: 'TCP' }] } };
}

function names(items: readonly KubeObject[]): string[] {
  return items.map((o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`).sort();
}

describe('fake API server protocol', () => {
  let api: FakeApiServer;
  const streams: WatchStream[] = [];

  beforeEach(async () => {
    api = await FakeApiServer.start();
  });

  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await api.close();
  });

  async function watch(path: string): Promise<WatchStream> {
    const s = await WatchStream.open(`${api.url}${path}`);
    streams.push(s);
    return s;
  }

  it('lists a collection with the global resourceVersion in metadata, all namespaces or one', async () => {
    api.create(service('a', 'ns1'));
    api.create(service('b', 'ns2'));
    api.create({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'a-x', namespace: 'ns1' }, addressType: 'IPv4', endpoints: [] });
    const all = await send(`${api.url}/api/v1/services`);
    expect(all.status).to.equal(200);
    const list = JSON.parse(all.body) as { kind: string; metadata: { resourceVersion: string }; items: KubeObject[] };
    expect(list.kind).to.equal('ServiceList');
    expect(names(list.items)).to.deep.equal(['ns1/a', 'ns2/b']);
    expect(Number(list.metadata.resourceVersion)).to.equal(api.resourceVersion);
    // three writes, three versions; each object carries the version of its write
    expect(list.items.map((o) => Number(o.metadata?.resourceVersion)).sort()).to.deep.equal([api.resourceVersion - 2, api.resourceVersion - 1]);

    const ns2 = JSON.parse((await send(`${api.url}/api/v1/namespaces/ns2/services`)).body) as { items: KubeObject[] };
    expect(names(ns2.items)).to.deep.equal(['ns2/b']);
    const slices = JSON.parse((await send(`${api.url}/apis/discovery.k8s.io/v1/endpointslices`)).body) as { kind: string; items: KubeObject[] };
    expect(slices.kind).to.equal('EndpointSliceList');
    expect(names(slices.items)).to.deep.equal(['ns1/a-x']);
    expect((await send(`${api.url}/api/v1/namespaces/ns1/services/a`)).status).to.equal(200);
    expect((await send(`${api.url}/api/v1/namespaces/ns1/services/zz`)).status).to.equal(404);
    expect((await send(`${api.url}/apis/apps/v1/deployments`)).status).to.equal(404);
  });

  it('filters lists by label selector and by metadata.name field selector', async () => {
    api.create(service('plain'));
    api.create(service('headless', 'default', { 'service.kubernetes.io/headless': '' }));
    api.create(service('other', 'default', { 'service.kubernetes.io/service-proxy-name': 'other' }));
    api.create(service('ours', 'default', { 'service.kubernetes.io/service-proxy-name': 'ours' }));
    const q = async (query: string): Promise<string[]> =>
      names((JSON.parse((await send(`${api.url}/api/v1/services?${query}`)).body) as { items: KubeObject[] }).items);
    const sel = encodeURIComponent('!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless');
    expect(await q(`labelSelector=${sel}`)).to.deep.equal(['default/plain']);
    expect(await q(`labelSelector=${encodeURIComponent('service.kubernetes.io/service-proxy-name in (ours,x)')}`)).to.deep.equal(['default/ours']);
    expect(await q(`labelSelector=${encodeURIComponent('service.kubernetes.io/service-proxy-name!=ours')}`)).to.deep.equal([
      'default/headless',
      'default/other',
      'default/plain',
    ]);
    expect(await q('fieldSelector=metadata.name%3Dother')).to.deep.equal(['default/other']);
    api.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } });
    api.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-2' } });
    const nodes = JSON.parse((await send(`${api.url}/api/v1/nodes?fieldSelector=metadata.name%3Dnode-2`)).body) as { items: KubeObject[] };
    expect(nodes.items.map((n) => n.metadata?.name)).to.deep.equal(['node-2']);
    expect((await send(`${api.url}/api/v1/nodes?fieldSelector=spec.unschedulable%3Dtrue`)).status).to.equal(400);
  });

  it('streams ADDED, MODIFIED and DELETED as JSON lines after the requested resourceVersion', async () => {
    api.create(service('before'));
    const rv = api.resourceVersion;
    const s = await watch(`/api/v1/services?watch=1&resourceVersion=${rv}`);
    expect(s.status).to.equal(200);
    const created = api.create(service('a'));
    api.update({ ...created, spec: { clusterIP: '10.96.0.11', ports: [] } });
    api.delete('services', 'default', 'a');
    const lines = await s.waitLines(3);
    expect(lines.map((l) => `${l.type} ${l.object.metadata?.name ?? ''} ${l.object.metadata?.resourceVersion ?? ''}`)).to.deep.equal([
      `ADDED a ${rv + 1}`,
      `MODIFIED a ${rv + 2}`,
      `DELETED a ${rv + 3}`,
    ]);
    expect(lines[1]?.object.kind).to.equal('Service');
  });

  it('replays retained history to a watch resuming from an older version, only for its namespace', async () => {
    const rv = api.resourceVersion;
    api.create(service('a', 'ns1'));
    api.create(service('b', 'ns2'));
    api.delete('services', 'ns1', 'a');
    const s = await watch(`/api/v1/namespaces/ns1/services?watch=true&resourceVersion=${rv}`);
    const lines = await s.waitLines(2);
    expect(lines.map((l) => `${l.type} ${l.object.metadata?.name ?? ''}`)).to.deep.equal(['ADDED a', 'DELETED a']);
  });

  it('sends DELETED when an object stops matching the label selector and ADDED when it starts', async () => {
    const sel = encodeURIComponent('!service.kubernetes.io/headless');
    const s = await watch(`/api/v1/services?watch=1&resourceVersion=${api.resourceVersion}&labelSelector=${sel}`);
    const a = api.create(service('a'));
    api.update({ ...a, metadata: { ...a.metadata, labels: { 'service.kubernetes.io/headless': '' } } });
    api.update({ ...a, metadata: { ...a.metadata, labels: {} } });
    const lines = await s.waitLines(3);
    expect(lines.map((l) => l.type)).to.deep.equal(['ADDED', 'DELETED', 'ADDED']);
  });

  it('sends BOOKMARK events with the current resourceVersion when asked to', async () => {
    const s = await watch(`/api/v1/services?watch=1&resourceVersion=${api.resourceVersion}&allowWatchBookmarks=true`);
    const first = await s.waitLines(1);
    expect(first[0]?.type).to.equal('BOOKMARK');
    api.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' } }); // another resource: the service watch sees nothing
    api.sendBookmarks();
    const lines = await s.waitLines(2);
    expect(lines[1]?.type).to.equal('BOOKMARK');
    expect(lines[1]?.object.metadata?.resourceVersion).to.equal(String(api.resourceVersion));
    const plain = await watch(`/api/v1/services?watch=1&resourceVersion=${api.resourceVersion}`);
    api.sendBookmarks();
    api.create(service('x'));
    expect((await plain.waitLines(1)).map((l) => l.type)).to.deep.equal(['ADDED']);
  });

  it('answers a watch from a compacted version with an ERROR event carrying a 410 Status', async () => {
    const rv = api.resourceVersion;
    api.create(service('a'));
    api.compactHistory();
    const s = await watch(`/api/v1/services?watch=1&resourceVersion=${rv}`);
    await s.waitEnd();
    expect(s.status).to.equal(200);
    expect(s.lines).to.have.length(1);
    expect(s.lines[0]?.type).to.equal('ERROR');
    expect(s.lines[0]?.object.kind).to.equal('Status');
    expect(s.lines[0]?.object.code).to.equal(410);
    expect(s.lines[0]?.object.reason).to.equal('Expired');
    expect(api.requests.gone).to.equal(1);
    // the current version is fine
    const ok = await watch(`/api/v1/services?watch=1&resourceVersion=${api.resourceVersion}`);
    api.create(service('b'));
    expect((await ok.waitLines(1))[0]?.type).to.equal('ADDED');
  });

  it('answers HTTP 410 with a Status body when configured to, and when history overflows', async () => {
    const small = await FakeApiServer.start({ goneAs: 'status', historyLimit: 2 });
    try {
      const rv = small.resourceVersion;
      small.createMany([service('a'), service('b'), service('c')]);
      const r = await send(`${small.url}/api/v1/services?watch=1&resourceVersion=${rv}`);
      expect(r.status).to.equal(410);
      expect((JSON.parse(r.body) as { code: number }).code).to.equal(410);
      // the two newest events are still there
      const s = await WatchStream.open(`${small.url}/api/v1/services?watch=1&resourceVersion=${rv + 1}`);
      streams.push(s);
      expect((await s.waitLines(2)).map((l) => l.object.metadata?.name)).to.deep.equal(['b', 'c']);
    } finally {
      await small.close();
    }
  });

  it('ends watch streams on dropWatches and counts open watches', async () => {
    const s = await watch(`/api/v1/services?watch=1&resourceVersion=${api.resourceVersion}`);
    await watch(`/apis/discovery.k8s.io/v1/endpointslices?watch=1&resourceVersion=${api.resourceVersion}`);
    expect(api.watchCount()).to.equal(2);
    expect(api.watchCount('services')).to.equal(1);
    api.dropWatches();
    await s.waitEnd();
    expect(api.watchCount()).to.equal(0);
  });

  it('answers 503 while set unavailable, per resource or for all', async () => {
    api.setAvailable(false, 'endpointslices');
    expect((await send(`${api.url}/apis/discovery.k8s.io/v1/endpointslices`)).status).to.equal(503);
    expect((await send(`${api.url}/api/v1/services`)).status).to.equal(200);
    api.setAvailable(true, 'endpointslices');
    api.setAvailable(false);
    expect((await send(`${api.url}/api/v1/services`)).status).to.equal(503);
    api.setAvailable(true);
    expect((await send(`${api.url}/api/v1/services`)).status).to.equal(200);
  });

  it('accepts Events and objects over HTTP', async () => {
    const event = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e1', namespace: 'default' }, reason: 'Test' };
    expect((await send(`${api.url}/api/v1/namespaces/default/events`, 'POST', JSON.stringify(event))).status).to.equal(201);
    expect(api.events().map((e) => e.metadata?.name)).to.deep.equal(['e1']);
    const created = await send(`${api.url}/api/v1/namespaces/web/services`, 'POST', JSON.stringify({ metadata: { name: 's' }, spec: {} }));
    expect(created.status).to.equal(201);
    expect(api.get('services', 'web', 's')?.metadata?.resourceVersion).to.equal(String(api.resourceVersion));
    expect((await send(`${api.url}/api/v1/namespaces/web/services`, 'POST', JSON.stringify({ metadata: { name: 's' } }))).status).to.equal(409);
    expect((await send(`${api.url}/api/v1/namespaces/web/services/s`, 'DELETE')).status).to.equal(200);
    expect(api.get('services', 'web', 's')).to.equal(undefined);
  });

  it('serves the discovery documents kubectl needs', async () => {
    const core = JSON.parse((await send(`${api.url}/api/v1`)).body) as { resources: { name: string; namespaced: boolean }[] };
    expect(core.resources.map((r) => `${r.name}:${String(r.namespaced)}`)).to.deep.equal(['services:true', 'nodes:false', 'events:true']);
    const groups = JSON.parse((await send(`${api.url}/apis`)).body) as { groups: { name: string }[] };
    expect(groups.groups.map((g) => g.name)).to.include('discovery.k8s.io');
    const discovery = JSON.parse((await send(`${api.url}/apis/discovery.k8s.io/v1`)).body) as { resources: { kind: string }[] };
    expect(discovery.resources.map((r) => r.kind)).to.deep.equal(['EndpointSlice']);
  });

  it('stores what the object builders make, readable by client-node', async () => {
    api.create(serviceObject('web', 'front', { clusterIP: '10.96.0.80', ports: [{ name: 'http', port: 80, targetPort: 8080 }], sessionAffinity: 'ClientIP' }));
    api.create(endpointSliceObject('web', 'front-abc', 'front', { endpoints: [{ addresses: ['10.244.1.5'], nodeName: 'node-1' }], ports: [{ name: 'http', port: 8080 }] }));
    api.create(nodeObject('node-1', { internalIPs: ['192.168.0.10'], podCIDRs: ['10.244.1.0/24'] }));
    const kc = new KubeConfig();
    kc.loadFromString(api.kubeconfig());
    const core = kc.makeApiClient(CoreV1Api);
    const svc = await core.readNamespacedService({ namespace: 'web', name: 'front' });
    expect(svc.spec?.ports?.[0]).to.deep.include({ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 });
    expect(svc.spec?.sessionAffinity).to.equal('ClientIP');
    const node = await core.readNode({ name: 'node-1' });
    expect(node.status?.addresses?.[0]).to.deep.equal({ type: 'InternalIP', address: '192.168.0.10' });
    const slice = api.get('endpointslices', 'web', 'front-abc') as { endpoints: { conditions: unknown }[]; metadata: { labels: Record<string, string> } };
    expect(slice.metadata.labels['kubernetes.io/service-name']).to.equal('front');
    expect(slice.endpoints[0]?.conditions).to.deep.equal({ ready: true, serving: true, terminating: false });
  });

  it('hands out a kubeconfig that client-node loads and lists through', async () => {
    api.create(service('a', 'ns1'));
    const kc = new KubeConfig();
    kc.loadFromString(api.kubeconfig());
    const services = await kc.makeApiClient(CoreV1Api).listServiceForAllNamespaces();
    expect(services.items.map((s) => s.metadata?.name)).to.deep.equal(['a']);
    const file = api.writeKubeconfig();
    try {
      expect(readFileSync(file, 'utf8')).to.equal(api.kubeconfig());
      const fromFile = new KubeConfig();
      fromFile.loadFromFile(file);
      const nodes = await fromFile.makeApiClient(CoreV1Api).listNode();
      expect(nodes.items).to.deep.equal([]);
    } finally {
      rmSync(file);
    }
  });

  it('creates 10,000 objects in one batch and lists them all', async () => {
    const many: KubeObject[] = [];
    for (let i = 0; i < 10_000; i++) many.push(service(`s${i}`, `ns${i % 10}`));
    const s = await watch(`/api/v1/services?watch=1&resourceVersion=${api.resourceVersion}`);
    const before = api.resourceVersion;
    expect(api.createMany(many)).to.equal(before + 10_000);
    const list = JSON.parse((await send(`${api.url}/api/v1/services`)).body) as { items: KubeObject[] };
    expect(list.items).to.have.length(10_000);
    expect((await s.waitLines(10_000)).at(-1)?.object.metadata?.name).to.equal('s9999');
  });
});
