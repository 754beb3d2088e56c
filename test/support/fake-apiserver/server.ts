// A small, real Kubernetes API server for tests, the demo and benchmarks: v1 Services, Nodes,
// discovery.k8s.io/v1 EndpointSlices over list/watch (plus Events POST), on node:http.
//
// Semantics kept from kube-apiserver because client-node informers depend on them:
// - one global, monotonically increasing resourceVersion; lists carry it in `metadata`;
// - `?watch=1&resourceVersion=N` replays retained history after N, then streams JSON lines;
//   N older than the retained history gives an ERROR event with a 410 Status (or HTTP 410);
// - with a label/field selector, an object that stops matching is sent as DELETED and one that
//   starts matching as ADDED (the apiserver cacher's rule);
// - `allowWatchBookmarks=true` gets BOOKMARK events. `limit`/`continue` are ignored.
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseFieldSelector, parseLabelSelector, SelectorError, type LabelMatcher, type ObjectMatcher } from './selectors.js';
import { encodeList, encodeObject, encodesKind, NotEncodableError, PROTOBUF_MEDIA_TYPE } from './protobuf.js';

export type ResourceName = 'services' | 'endpointslices' | 'nodes';

/** A Kubernetes object as JSON; only the fields the server itself reads are typed. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    resourceVersion?: string;
    uid?: string;
    creationTimestamp?: string;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface ResourceInfo {
  readonly name: ResourceName;
  readonly group: string; // '' for the core group
  readonly version: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

const RESOURCES: Readonly<Record<ResourceName, ResourceInfo>> = {
  services: { name: 'services', group: '', version: 'v1', kind: 'Service', namespaced: true },
  endpointslices: { name: 'endpointslices', group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', namespaced: true },
  nodes: { name: 'nodes', group: '', version: 'v1', kind: 'Node', namespaced: false },
};

function apiVersionOf(info: ResourceInfo): string {
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}

function resourceOfKind(kind: string | undefined): ResourceInfo {
  for (const info of Object.values(RESOURCES)) if (info.kind === kind) return info;
  throw new Error(`fake-apiserver: unsupported kind ${String(kind)} (Service, EndpointSlice, Node)`);
}

/** kube-apiserver compresses answers from this size on (for clients that accept gzip) */
const GZIP_MIN_BYTES = 128 * 1024;

interface CachedList {
  readonly rv: number;
  readonly items: readonly KubeObject[];
  readonly json: EncodedList;
  /** undefined until asked for; null when an item cannot be written in protobuf */
  protobuf?: EncodedList | null;
}

interface EncodedList {
  readonly body: Buffer;
  gzipped?: Buffer;
}

interface HistoryEvent {
  readonly rv: number;
  readonly resource: ResourceName;
  readonly type: WatchEventType;
  readonly object: KubeObject;
  /** the object before this change, for selector transitions (MODIFIED, DELETED) */
  readonly previous: KubeObject | undefined;
}

interface Watcher {
  readonly resource: ResourceName;
  readonly namespace: string | undefined;
  readonly labels: LabelMatcher;
  readonly fields: ObjectMatcher;
  readonly bookmarks: boolean;
  readonly response: ServerResponse;
  timeout: NodeJS.Timeout | undefined;
}

export interface FakeApiServerOptions {
  /** default 127.0.0.1 */
  readonly host?: string;
  /** default 0 (an ephemeral port) */
  readonly port?: number;
  /** events kept for watches that resume; older resumes get 410. Default 1,000,000. */
  readonly historyLimit?: number;
  /** how a too-old watch is refused: 'event' (HTTP 200 + ERROR event, as kube-apiserver does) or 'status' (HTTP 410). */
  readonly goneAs?: 'event' | 'status';
  /** send a BOOKMARK to watches that asked for them every this many ms (0 = only the initial one). */
  readonly bookmarkIntervalMs?: number;
  /** first resourceVersion handed out; default 1000 */
  readonly initialResourceVersion?: number;
  /** answer as if no labelSelector was sent (to test a client's own filtering) */
  readonly ignoreLabelSelectors?: boolean;
  /** never compress list answers, whatever the client accepts */
  readonly noCompression?: boolean;
  /** answer lists in JSON even to clients asking for protobuf (as for a kind without protobuf) */
  readonly noProtobuf?: boolean;
}

export interface RequestCounts {
  list: number;
  /** list answers sent gzip-compressed */
  gzipped: number;
  /** list answers sent in Kubernetes protobuf */
  protobuf: number;
  watch: number;
  gone: number;
  unavailable: number;
}

/** A deep copy as the wire would carry it (Dates become strings); much faster than structuredClone. */
function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function objectKey(namespace: string | undefined, name: string): string {
  return namespace === undefined || namespace === '' ? name : `${namespace}/${name}`;
}

function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  const body = statusBody(code, reason, message);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendJson(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

interface ParsedPath {
  readonly resource: ResourceName | 'events';
  readonly namespace: string | undefined;
  readonly name: string | undefined;
}

/** /api/v1/[namespaces/NS/]R[/NAME] and /apis/GROUP/VERSION/[namespaces/NS/]R[/NAME] */
function parsePath(pathname: string): ParsedPath | undefined {
  const m = /^\/(?:api\/v1|apis\/(discovery\.k8s\.io|events\.k8s\.io)\/v1)\/(?:namespaces\/([^/]+)\/)?([a-z]+)(?:\/([^/]+))?\/?$/.exec(pathname);
  if (!m) return undefined;
  const [, group = '', namespace, resource = '', name] = m;
  const decode = (s: string | undefined): string | undefined => (s === undefined ? undefined : decodeURIComponent(s));
  if (resource === 'events') return { resource: 'events', namespace: decode(namespace), name: decode(name) };
  const info = (RESOURCES as Record<string, ResourceInfo | undefined>)[resource];
  if (info === undefined || info.group !== group) return undefined;
  if (!info.namespaced && namespace !== undefined) return undefined;
  return { resource: info.name, namespace: decode(namespace), name: decode(name) };
}

export class FakeApiServer {
  readonly #server: Server;
  readonly #options: Required<FakeApiServerOptions>;
  readonly #store: Record<ResourceName, Map<string, KubeObject>> = { services: new Map(), endpointslices: new Map(), nodes: new Map() };
  #history: HistoryEvent[] = [];
  /** index of the first live entry in #history (trimming by shifting would be O(n) per write) */
  #historyStart = 0;
  /** watches may resume from any resourceVersion >= this */
  #floorRv: number;
  #rv: number;
  readonly #watchers = new Set<Watcher>();
  /** stored objects are never mutated, so each is serialised once for all lists and watches */
  readonly #json = new WeakMap<KubeObject, string>();
  /**
   * List bodies already encoded, by resource, namespace and query, valid while the store is at
   * that resourceVersion. A real API server runs elsewhere; here it shares the machine (one CPU in
   * UML) with the proxy under test, so it does not re-encode megabytes it already encoded.
   */
  readonly #lists = new Map<string, CachedList>();
  /** each stored object's protobuf bytes, or the reason it has none (then lists of it go out as JSON) */
  readonly #protobuf = new WeakMap<KubeObject, Buffer | NotEncodableError>();
  readonly #events: KubeObject[] = [];
  /** resources answering 503; 'all' for every API path */
  readonly #unavailable = new Set<ResourceName | 'all'>();
  /** resources whose requests are held unanswered (a hung API server); 'all' for every API path */
  readonly #holding = new Set<ResourceName | 'all'>();
  readonly #held: { req: IncomingMessage; res: ServerResponse }[] = [];
  /** the last 1000 request lines ("GET /api/v1/services?watch=true&..."), oldest first */
  readonly requestLog: string[] = [];
  #bookmarkTimer: NodeJS.Timeout | undefined;
  #url = '';
  readonly requests: RequestCounts = { list: 0, watch: 0, gone: 0, unavailable: 0, gzipped: 0, protobuf: 0 };
  /** each list request as "resource:resourceVersion parameter" ('' when absent), in order */
  readonly listResourceVersions: string[] = [];

  private constructor(options: FakeApiServerOptions) {
    this.#options = {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      historyLimit: options.historyLimit ?? 1_000_000,
      goneAs: options.goneAs ?? 'event',
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 0,
      initialResourceVersion: options.initialResourceVersion ?? 1000,
      ignoreLabelSelectors: options.ignoreLabelSelectors ?? false,
      noCompression: options.noCompression ?? false,
      noProtobuf: options.noProtobuf ?? false,
    };
    this.#rv = this.#options.initialResourceVersion;
    this.#floorRv = this.#rv;
    this.#server = createServer((req, res) => this.#handle(req, res));
    // watch streams are long-lived; node's default request timeouts would cut them
    this.#server.requestTimeout = 0;
    this.#server.headersTimeout = 0;
  }

  /** Starts listening (127.0.0.1 and an ephemeral port unless told otherwise). */
  static async start(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const api = new FakeApiServer(options);
    await new Promise<void>((resolve, reject) => {
      api.#server.once('error', reject);
      api.#server.listen(api.#options.port, api.#options.host, () => {
        api.#server.off('error', reject);
        resolve();
      });
    });
    const address = api.#server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    api.#url = `http://${host}:${address.port}`;
    if (api.#options.bookmarkIntervalMs > 0) {
      api.#bookmarkTimer = setInterval(() => api.sendBookmarks(), api.#options.bookmarkIntervalMs);
      api.#bookmarkTimer.unref();
    }
    return api;
  }

  /** http://127.0.0.1:PORT */
  get url(): string {
    return this.#url;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** The current (latest) resourceVersion. */
  get resourceVersion(): number {
    return this.#rv;
  }

  /** Number of open watch streams (per resource if given); tests wait on it after a drop. */
  watchCount(resource?: ResourceName): number {
    let n = 0;
    for (const w of this.#watchers) if (resource === undefined || w.resource === resource) n++;
    return n;
  }

  /** A kubeconfig (YAML) that client-node's KubeConfig.loadFromString accepts: plain http, no auth. */
  kubeconfig(): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fake',
      '  cluster:',
      `    server: ${this.#url}`,
      // client-node refuses http:// servers unless TLS verification is off
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: fake',
      '  user: {}',
      'contexts:',
      '- name: fake',
      '  context:',
      '    cluster: fake',
      '    user: fake',
      'current-context: fake',
      '',
    ].join('\n');
  }

  /** Writes kubeconfig() to a file (default: a fresh name in the temp dir) and returns its path. */
  writeKubeconfig(path?: string): string {
    const file = path ?? join(tmpdir(), `fake-apiserver-${process.pid}-${randomUUID()}.kubeconfig`);
    writeFileSync(file, this.kubeconfig());
    return file;
  }

  /** The stored object (a copy), or undefined. Namespace is ignored for Nodes. */
  get(resource: ResourceName, namespace: string | undefined, name: string): KubeObject | undefined {
    const ns = RESOURCES[resource].namespaced ? namespace : undefined;
    const o = this.#store[resource].get(objectKey(ns, name));
    return o === undefined ? undefined : jsonCopy(o);
  }

  /** All stored objects of a resource (copies). */
  list(resource: ResourceName): KubeObject[] {
    return [...this.#store[resource].values()].map((o) => jsonCopy(o));
  }

  /** Creates an object (kind Service, EndpointSlice or Node); returns the stored copy with its resourceVersion. */
  create(object: KubeObject): KubeObject {
    const [stored] = this.#write([object], 'create');
    return jsonCopy(stored as KubeObject);
  }

  /**
   * Creates many objects with one write per open watch: for benchmarks with 10,000+ objects.
   * Takes the objects over without a deep copy: do not change them afterwards. Returns the new resourceVersion.
   */
  createMany(objects: readonly KubeObject[]): number {
    this.#write(objects, 'create', false);
    return this.#rv;
  }

  /** Replaces an existing object. */
  update(object: KubeObject): KubeObject {
    const [stored] = this.#write([object], 'update');
    return jsonCopy(stored as KubeObject);
  }

  /** Creates or replaces. */
  apply(object: KubeObject): KubeObject {
    const [stored] = this.#write([object], 'apply');
    return jsonCopy(stored as KubeObject);
  }

  /** Deletes an object; returns false if it did not exist. */
  delete(resource: ResourceName, namespace: string | undefined, name: string): boolean {
    const info = RESOURCES[resource];
    const key = objectKey(info.namespaced ? namespace : undefined, name);
    const previous = this.#store[resource].get(key);
    if (previous === undefined) return false;
    this.#store[resource].delete(key);
    this.#rv++;
    const object = { ...previous, metadata: { ...previous.metadata, resourceVersion: String(this.#rv) } };
    this.#publish([{ rv: this.#rv, resource, type: 'DELETED', object, previous }]);
    return true;
  }

  /** Objects POSTed to .../events (v1 or events.k8s.io/v1). */
  events(): KubeObject[] {
    return this.#events.map((e) => jsonCopy(e));
  }

  /**
   * Forgets all watch history, as an etcd compaction does, and moves the resourceVersion on by one,
   * so every watch resuming from a version it already had gets 410 Gone and must relist.
   */
  compactHistory(): void {
    this.#rv++;
    this.#history = [];
    this.#historyStart = 0;
    this.#floorRv = this.#rv;
  }

  /** Ends every open watch stream: cleanly (the client sees the stream end) or abruptly (socket reset). */
  dropWatches(how: 'end' | 'reset' = 'end'): void {
    for (const w of [...this.#watchers]) {
      this.#closeWatcher(w);
      if (how === 'reset') w.response.socket?.destroy();
      else w.response.end();
    }
  }

  /**
   * While unavailable, API requests (for one resource, or all) get 503 Service Unavailable.
   * Open watches are not touched: drop them yourself.
   */
  setAvailable(available: boolean, resource: ResourceName | 'all' = 'all'): void {
    if (available) this.#unavailable.delete(resource);
    else this.#unavailable.add(resource);
  }

  /**
   * Holds requests (for one resource, or all) without answering, as a hung server does; `false`
   * answers the held ones (those whose client is still there) and stops holding.
   */
  setHolding(holding: boolean, resource: ResourceName | 'all' = 'all'): void {
    if (holding) {
      this.#holding.add(resource);
      return;
    }
    this.#holding.delete(resource);
    for (const { req, res } of this.#held.splice(0)) {
      if (!req.socket.destroyed) this.#handle(req, res, true);
    }
  }

  /** Number of requests held unanswered right now. */
  heldCount(): number {
    return this.#held.filter(({ req }) => !req.socket.destroyed).length;
  }

  /** Sends a BOOKMARK with the current resourceVersion to every watch that asked for bookmarks. */
  sendBookmarks(): void {
    for (const w of this.#watchers) if (w.bookmarks) w.response.write(this.#bookmarkLine(w.resource));
  }

  async close(): Promise<void> {
    if (this.#bookmarkTimer !== undefined) clearInterval(this.#bookmarkTimer);
    for (const w of [...this.#watchers]) this.#closeWatcher(w);
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  // ---- writes

  #write(objects: readonly KubeObject[], mode: 'create' | 'update' | 'apply', copyInput = true): KubeObject[] {
    const events: HistoryEvent[] = [];
    const stored: KubeObject[] = [];
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    for (const input of objects) {
      const info = resourceOfKind(input.kind);
      const name = input.metadata?.name;
      if (name === undefined || name === '') throw new Error('fake-apiserver: object without metadata.name');
      const namespace = info.namespaced ? (input.metadata?.namespace ?? 'default') : undefined;
      const key = objectKey(namespace, name);
      const map = this.#store[info.name];
      const previous = map.get(key);
      if (mode === 'create' && previous !== undefined) throw new Error(`fake-apiserver: ${info.name} ${key} already exists`);
      if (mode === 'update' && previous === undefined) throw new Error(`fake-apiserver: ${info.name} ${key} not found`);
      this.#rv++;
      const copy = copyInput ? jsonCopy(input) : input;
      const object: KubeObject = {
        ...copy,
        apiVersion: apiVersionOf(info),
        kind: info.kind,
        metadata: {
          ...copy.metadata,
          name,
          ...(namespace === undefined ? {} : { namespace }),
          uid: previous?.metadata?.uid ?? randomUUID(),
          creationTimestamp: previous?.metadata?.creationTimestamp ?? now,
          resourceVersion: String(this.#rv),
        },
      };
      map.set(key, object);
      stored.push(object);
      events.push({ rv: this.#rv, resource: info.name, type: previous === undefined ? 'ADDED' : 'MODIFIED', object, previous });
    }
    this.#publish(events);
    return stored;
  }

  #publish(events: readonly HistoryEvent[]): void {
    for (const e of events) this.#history.push(e);
    const excess = this.#history.length - this.#historyStart - this.#options.historyLimit;
    if (excess > 0) {
      this.#historyStart += excess;
      this.#floorRv = this.#history[this.#historyStart - 1]?.rv ?? this.#floorRv;
      if (this.#historyStart > 4096 && this.#historyStart * 2 > this.#history.length) {
        this.#history = this.#history.slice(this.#historyStart);
        this.#historyStart = 0;
      }
    }
    if (this.#watchers.size === 0) return;
    for (const w of this.#watchers) {
      let chunk = '';
      for (const e of events) chunk += this.#eventLine(w, e);
      if (chunk !== '') w.response.write(chunk);
    }
  }

  // ---- watch plumbing

  #matches(w: Watcher, object: KubeObject | undefined): boolean {
    if (object === undefined) return false;
    if (w.namespace !== undefined && object.metadata?.namespace !== w.namespace) return false;
    return w.labels(object.metadata?.labels) && w.fields(object);
  }

  /** The line a watcher gets for one change, or '' if it does not see it. */
  #eventLine(w: Watcher, e: HistoryEvent): string {
    if (e.resource !== w.resource) return '';
    const now = e.type === 'DELETED' ? false : this.#matches(w, e.object);
    const before = e.type === 'ADDED' ? false : this.#matches(w, e.previous);
    let type: WatchEventType;
    let object = e.object;
    if (e.type === 'DELETED') {
      if (!before) return '';
      type = 'DELETED';
    } else if (now && before) type = 'MODIFIED';
    else if (now) type = 'ADDED';
    else if (before) {
      // stopped matching: the watcher sees the old state deleted at this version
      type = 'DELETED';
      const previous = e.previous as KubeObject;
      object = { ...previous, metadata: { ...previous.metadata, resourceVersion: String(e.rv) } };
    } else return '';
    return this.#line(type, object);
  }

  #serialised(object: KubeObject): string {
    let text = this.#json.get(object);
    if (text === undefined) {
      text = JSON.stringify(object);
      this.#json.set(object, text);
    }
    return text;
  }

  #line(type: string, object: KubeObject): string {
    return `{"type":"${type}","object":${this.#serialised(object)}}\n`;
  }

  #bookmarkLine(resource: ResourceName): string {
    const info = RESOURCES[resource];
    const object = { kind: info.kind, apiVersion: apiVersionOf(info), metadata: { resourceVersion: String(this.#rv) } };
    return `${JSON.stringify({ type: 'BOOKMARK', object })}\n`;
  }

  #closeWatcher(w: Watcher): void {
    if (w.timeout !== undefined) clearTimeout(w.timeout);
    this.#watchers.delete(w);
  }

  #startWatch(req: IncomingMessage, res: ServerResponse, resource: ResourceName, namespace: string | undefined, query: URLSearchParams): void {
    this.requests.watch++;
    const w: Watcher = {
      resource,
      namespace,
      labels: parseLabelSelector(this.#options.ignoreLabelSelectors ? undefined : query.get('labelSelector')),
      fields: parseFieldSelector(query.get('fieldSelector')),
      bookmarks: query.get('allowWatchBookmarks') === 'true' || query.get('allowWatchBookmarks') === '1',
      response: res,
      timeout: undefined,
    };
    const rvText = query.get('resourceVersion') ?? '';
    const from = rvText === '' || rvText === '0' ? undefined : Number(rvText);
    if (from !== undefined && (!Number.isInteger(from) || from < 0)) {
      sendStatus(res, 400, 'BadRequest', `invalid resourceVersion ${JSON.stringify(rvText)}`);
      return;
    }
    if (from !== undefined && from < this.#floorRv) {
      this.requests.gone++;
      const message = `too old resource version: ${from} (${this.#floorRv})`;
      if (this.#options.goneAs === 'status') {
        sendStatus(res, 410, 'Expired', message);
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        const status = JSON.parse(statusBody(410, 'Expired', message)) as unknown;
        res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
      }
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    let chunk = '';
    if (from === undefined) {
      // no version: the current state as synthetic ADDED events, then changes
      for (const object of this.#store[resource].values()) {
        if (this.#matches(w, object)) chunk += this.#line('ADDED', object);
      }
    } else {
      for (let i = this.#historyStart; i < this.#history.length; i++) {
        const e = this.#history[i] as HistoryEvent;
        if (e.rv > from) chunk += this.#eventLine(w, e);
      }
    }
    if (w.bookmarks) chunk += this.#bookmarkLine(resource);
    if (chunk !== '') res.write(chunk);
    this.#watchers.add(w);
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '0');
    if (timeoutSeconds > 0) {
      w.timeout = setTimeout(() => {
        this.#closeWatcher(w);
        res.end();
      }, timeoutSeconds * 1000);
    }
    const gone = (): void => this.#closeWatcher(w);
    req.on('close', gone);
    res.on('close', gone);
  }

  // ---- request dispatch

  #handle(req: IncomingMessage, res: ServerResponse, replay = false): void {
    try {
      this.#route(req, res, replay);
    } catch (err: unknown) {
      if (err instanceof SelectorError) sendStatus(res, 400, 'BadRequest', err.message);
      else sendStatus(res, 500, 'InternalError', err instanceof Error ? err.message : String(err));
    }
  }

  #route(req: IncomingMessage, res: ServerResponse, replay: boolean): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (!replay) {
      this.requestLog.push(`${req.method ?? 'GET'} ${decodeURIComponent(req.url ?? '/')}`);
      if (this.requestLog.length > 1000) this.requestLog.splice(0, this.requestLog.length - 1000);
    }
    if (url.pathname === '/version') {
      sendJson(res, 200, JSON.stringify({ major: '1', minor: '35', gitVersion: 'v1.35.0-fake', platform: 'linux/amd64' }));
      return;
    }
    const discovery = this.#discovery(url.pathname.replace(/\/$/, ''));
    if (discovery !== undefined) {
      sendJson(res, 200, JSON.stringify(discovery));
      return;
    }
    if (url.pathname === '/healthz' || url.pathname === '/readyz' || url.pathname === '/livez') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    const path = parsePath(url.pathname);
    if (this.#holding.has('all') || (path !== undefined && path.resource !== 'events' && this.#holding.has(path.resource))) {
      this.#held.push({ req, res });
      return;
    }
    if (this.#unavailable.has('all') || (path !== undefined && path.resource !== 'events' && this.#unavailable.has(path.resource))) {
      this.requests.unavailable++;
      sendStatus(res, 503, 'ServiceUnavailable', 'the fake API server is set unavailable');
      return;
    }
    if (path === undefined) {
      sendStatus(res, 404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
      return;
    }
    const method = req.method ?? 'GET';
    if (path.resource === 'events') {
      if (method !== 'POST') {
        sendJson(res, 200, JSON.stringify({ kind: 'EventList', apiVersion: 'v1', metadata: { resourceVersion: String(this.#rv) }, items: this.#events }));
        return;
      }
      this.#readBody(req, res, (event) => {
        this.#events.push(event);
        sendJson(res, 201, JSON.stringify(event));
      });
      return;
    }
    const resource = path.resource;
    if (method === 'GET' && path.name === undefined) {
      const watch = url.searchParams.get('watch');
      if (watch === 'true' || watch === '1') {
        this.#startWatch(req, res, resource, path.namespace, url.searchParams);
        return;
      }
      this.requests.list++;
      this.listResourceVersions.push(`${resource}:${url.searchParams.get('resourceVersion') ?? ''}`);
      this.#sendList(req, res, resource, path.namespace, url.searchParams);
      return;
    }
    if (method === 'GET') {
      const o = this.#store[resource].get(objectKey(path.namespace, path.name ?? ''));
      if (o === undefined) sendStatus(res, 404, 'NotFound', `${resource} "${path.name ?? ''}" not found`);
      else sendJson(res, 200, JSON.stringify(o));
      return;
    }
    if (method === 'DELETE' && path.name !== undefined) {
      const existing = this.#store[resource].get(objectKey(path.namespace, path.name));
      if (existing === undefined || !this.delete(resource, path.namespace, path.name)) {
        sendStatus(res, 404, 'NotFound', `${resource} "${path.name}" not found`);
      } else sendJson(res, 200, JSON.stringify(existing));
      return;
    }
    if (method === 'POST' || method === 'PUT') {
      this.#readBody(req, res, (object) => {
        const info = RESOURCES[resource];
        const withKind: KubeObject = {
          ...object,
          kind: info.kind,
          metadata: { ...object.metadata, ...(path.namespace === undefined ? {} : { namespace: path.namespace }) },
        };
        try {
          const stored = method === 'POST' ? this.create(withKind) : this.update(withKind);
          sendJson(res, method === 'POST' ? 201 : 200, JSON.stringify(stored));
        } catch (err: unknown) {
          const message = err instanceof Error ? err.message : String(err);
          if (message.includes('already exists')) sendStatus(res, 409, 'AlreadyExists', message);
          else if (message.includes('not found')) sendStatus(res, 404, 'NotFound', message);
          else sendStatus(res, 422, 'Invalid', message);
        }
      });
      return;
    }
    sendStatus(res, 405, 'MethodNotAllowed', `${method} is not supported here`);
  }

  /** Legacy discovery documents, enough for `kubectl get/create/delete` against this server. */
  #discovery(pathname: string): object | undefined {
    const verbs = ['create', 'delete', 'get', 'list', 'update', 'watch'];
    const resource = (info: ResourceInfo, singular: string, shortNames: string[]): object => ({
      name: info.name,
      singularName: singular,
      namespaced: info.namespaced,
      kind: info.kind,
      verbs,
      ...(shortNames.length > 0 ? { shortNames } : {}),
    });
    const events = { name: 'events', singularName: 'event', namespaced: true, kind: 'Event', verbs: ['create', 'list'], shortNames: ['ev'] };
    const group = (name: string): object => ({
      name,
      versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
      preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
    });
    switch (pathname) {
      case '/api':
        return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: this.#url.replace(/^http:\/\//, '') }] };
      case '/apis':
        return { kind: 'APIGroupList', apiVersion: 'v1', groups: [group('discovery.k8s.io'), group('events.k8s.io')] };
      case '/api/v1':
        return {
          kind: 'APIResourceList',
          groupVersion: 'v1',
          resources: [resource(RESOURCES.services, 'service', ['svc']), resource(RESOURCES.nodes, 'node', ['no']), events],
        };
      case '/apis/discovery.k8s.io/v1':
        return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'discovery.k8s.io/v1', resources: [resource(RESOURCES.endpointslices, 'endpointslice', [])] };
      case '/apis/events.k8s.io/v1':
        return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'events.k8s.io/v1', resources: [{ ...events, shortNames: [] }] };
      default:
        return undefined;
    }
  }

  #sendList(req: IncomingMessage, res: ServerResponse, resource: ResourceName, namespace: string | undefined, query: URLSearchParams): void {
    // keyed by what selects the items: resourceVersion=0 and the like do not change this server's answer
    const cacheKey = `${resource}|${namespace ?? ''}|${query.get('labelSelector') ?? ''}|${query.get('fieldSelector') ?? ''}`;
    let cached = this.#lists.get(cacheKey);
    const info = RESOURCES[resource];
    if (cached?.rv !== this.#rv) {
      const labels = parseLabelSelector(this.#options.ignoreLabelSelectors ? undefined : query.get('labelSelector'));
      const fields = parseFieldSelector(query.get('fieldSelector'));
      const items: KubeObject[] = [];
      for (const o of this.#store[resource].values()) {
        if (namespace !== undefined && o.metadata?.namespace !== namespace) continue;
        if (labels(o.metadata?.labels) && fields(o)) items.push(o);
      }
      const head = JSON.stringify({ kind: `${info.kind}List`, apiVersion: apiVersionOf(info), metadata: { resourceVersion: String(this.#rv) } });
      // splice the items in as text: no second serialisation of 10,000 objects
      const body = Buffer.from(`${head.slice(0, -1)},"items":[${items.map((o) => this.#serialised(o)).join(',')}]}`);
      cached = { rv: this.#rv, items, json: { body } };
      this.#lists.set(cacheKey, cached);
    }
    // protobuf first when the client lists it first (as client-go does), for the kinds with a schema
    const accept = req.headers.accept ?? '';
    const protobuf = !this.#options.noProtobuf && accept.trim().startsWith(PROTOBUF_MEDIA_TYPE) ? this.#protobufList(cached, info) : undefined;
    const answer = protobuf ?? cached.json;
    const contentType = protobuf === undefined ? 'application/json' : PROTOBUF_MEDIA_TYPE;
    if (protobuf !== undefined) this.requests.protobuf++;
    // kube-apiserver compresses answers of 128 KiB or more for clients that accept gzip (level 1)
    if (answer.body.length >= GZIP_MIN_BYTES && /\bgzip\b/i.test(req.headers['accept-encoding'] ?? '') && !this.#options.noCompression) {
      answer.gzipped ??= gzipSync(answer.body, { level: 1 });
      this.requests.gzipped++;
      res.writeHead(200, { 'Content-Type': contentType, 'Content-Encoding': 'gzip', 'Content-Length': answer.gzipped.length });
      res.end(answer.gzipped);
      return;
    }
    res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': answer.body.length });
    res.end(answer.body);
  }

  /** The list in protobuf, or undefined when one of its items has no protobuf form here. */
  #protobufList(cached: CachedList, info: ResourceInfo): EncodedList | undefined {
    if (cached.protobuf === undefined) {
      cached.protobuf = null;
      if (!encodesKind(info.kind)) return undefined;
      const items: Buffer[] = [];
      for (const o of cached.items) {
        const bytes = this.#protobufOf(info.kind, o);
        if (bytes instanceof NotEncodableError) return undefined;
        items.push(bytes);
      }
      cached.protobuf = { body: encodeList(apiVersionOf(info), info.kind, String(cached.rv), items) };
    }
    return cached.protobuf ?? undefined;
  }

  /** One stored object's protobuf bytes, encoded once, or why it has none. */
  #protobufOf(kind: string, object: KubeObject): Buffer | NotEncodableError {
    let bytes = this.#protobuf.get(object);
    if (bytes === undefined) {
      try {
        // a copy of its own: the encoder's small buffers are slices of Node's shared 8 KiB pool,
        // and keeping one slice keeps its whole slab (~100 MB at 20,000 objects)
        bytes = Buffer.from(new Uint8Array(encodeObject(kind, object)).buffer);
      } catch (e) {
        if (!(e instanceof NotEncodableError)) throw e;
        bytes = e;
      }
      this.#protobuf.set(object, bytes);
    }
    return bytes;
  }

  #readBody(req: IncomingMessage, res: ServerResponse, then: (object: KubeObject) => void): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let object: unknown;
      try {
        object = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        sendStatus(res, 400, 'BadRequest', 'body is not JSON');
        return;
      }
      if (object === null || typeof object !== 'object' || Array.isArray(object)) {
        sendStatus(res, 400, 'BadRequest', 'body is not a JSON object');
        return;
      }
      then(object as KubeObject);
    });
  }
}
