// One watched resource (Services, EndpointSlices or our Node) as a list+watch loop of our own,
// made dependable: on any error it restarts with backoff (resuming the watch from the last
// resourceVersion, relisting after 410); the last object per key is kept so every (re)list
// reports only what changed, deletions included. Objects are slimmed before anyone keeps them.
import { Backoff, type BackoffOptions } from './backoff.js';
import { ApiStatusError, listObjects, watchObjects, type ProtobufList } from './api-client.js';
import type { ApiConnection, RequestObserver } from './kubeconfig.js';

export type WatchedResource = 'services' | 'endpointslices' | 'node';

/** Stable, low-cardinality reasons for the error counter. */
export type ClusterErrorReason = 'list' | 'watch' | 'expired' | 'handler';

export type LogFields = Readonly<Record<string, unknown>>;

export interface ClusterLogger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export interface ClusterMetrics {
  /** one call per failure seen (a failed list or watch, a 410, a handler that threw) */
  countError(resource: WatchedResource, reason: ClusterErrorReason): void;
  /** one call per list after the first (a restart or a 410 made the informer list again) */
  countRelist?(resource: WatchedResource): void;
  /** one call per request sent to the API server, once it is answered or has failed */
  requestDone?: RequestObserver;
}


/** What the cluster adapter keeps of an object: metadata with a name and a resourceVersion. */
export interface WatchedObject {
  readonly metadata?: { readonly name?: string | undefined; readonly resourceVersion?: string | undefined; readonly labels?: Readonly<Record<string, string>> | undefined } | undefined;
}

export interface ResourceWatchSpec<T extends WatchedObject> {
  readonly resource: WatchedResource;
  /** collection path, e.g. /api/v1/services */
  readonly path: string;
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
  /** the JSON object as kept: only the fields the proxy reads */
  readonly slim: (json: unknown) => T;
  /** lists asked for in Kubernetes protobuf and decoded so (watches stay JSON); unset = JSON lists */
  readonly protobuf?: ProtobufList<T> | undefined;
  readonly keyOf: (object: T) => string;
  /** objects failing this are treated as absent (a label change reports a delete) */
  readonly accepts: (object: T) => boolean;
  readonly report: (key: string, object: T | undefined) => void;
  /** after every list has been reconciled and reported */
  readonly listed: () => void;
}

export interface ResourceWatchDeps {
  readonly connection: ApiConnection;
  readonly logger: ClusterLogger;
  readonly metrics: ClusterMetrics;
  readonly backoff?: BackoffOptions | undefined;
  /** a list taking longer is abandoned and retried (a hung list would stall the informer for good) */
  readonly listTimeoutMs?: number | undefined;
}

class StoppedError extends Error {
  override readonly name = 'StoppedError';
  constructor() {
    super('watch stopped');
  }
}

/** generous: a list of tens of thousands of objects from a loaded API server takes a while */
const DEFAULT_LIST_TIMEOUT_MS = 120_000;
/** server-side watch timeout, randomised in [5, 10) minutes as client-go does, so watches spread out */
function watchTimeoutSeconds(): number {
  return 300 + Math.floor(Math.random() * 300);
}
/** a watch the server has not ended this long after its own timeout is dead: abandon it */
const WATCH_SLACK_MS = 30_000;
/** a watch that ended sooner than this without delivering anything is retried after a backoff delay */
const SHORT_WATCH_MS = 1_000;

function isTimeout(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const cause = (err as Error & { cause?: unknown }).cause;
  return err.name === 'TimeoutError' || (cause instanceof Error && cause.name === 'TimeoutError') || (cause instanceof DOMException && cause.name === 'TimeoutError');
}

/** The server expired our resourceVersion: list again. */
class ExpiredError extends Error {
  override readonly name = 'ExpiredError';
}

export function describeError(err: unknown): LogFields {
  if (!(err instanceof Error)) return { error: String(err) };
  const e = err as Error & { statusCode?: unknown; code?: unknown; cause?: unknown };
  const fields: Record<string, unknown> = { error: e.message, errorName: e.name };
  if (typeof e.statusCode === 'number') fields.status = e.statusCode;
  // the generated client's ApiException carries the HTTP status as a numeric code (DOMException's codes are < 100)
  else if (typeof e.code === 'number' && e.code >= 100) fields.status = e.code;
  else if (typeof e.code === 'string') fields.code = e.code;
  const cause = e.cause;
  if (cause instanceof Error) {
    fields.cause = cause.message;
    const code = (cause as Error & { code?: unknown }).code;
    if (typeof code === 'string') fields.code = code;
  }
  return fields;
}

export class ResourceWatch<T extends WatchedObject> {
  readonly #spec: ResourceWatchSpec<T>;
  readonly #deps: ResourceWatchDeps;
  readonly #backoff: Backoff;
  /** a run this long without failing counts as healthy: the backoff starts over */
  readonly #stableAfterMs: number;
  readonly #cache = new Map<string, T>();
  readonly #sleeps = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  /** aborted by stop(): ends requests in flight */
  #running = new AbortController();
  #loop: Promise<void> | undefined;
  #stopped = true;
  #lists = 0;
  /** the last resourceVersion seen (list, event or bookmark); '' = list first */
  #resourceVersion = '';
  /** the server said our resourceVersion is too old: the next list must be a consistent read */
  #expired = false;

  constructor(spec: ResourceWatchSpec<T>, deps: ResourceWatchDeps) {
    this.#spec = spec;
    this.#deps = deps;
    this.#backoff = new Backoff(deps.backoff);
    this.#stableAfterMs = deps.backoff?.maxMs ?? 30_000;
  }

  /** Number of objects currently known (accepted ones). */
  get size(): number {
    return this.#cache.size;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#running = new AbortController();
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const sleep of this.#sleeps) {
      clearTimeout(sleep.timer);
      sleep.resolve();
    }
    this.#sleeps.clear();
    this.#running.abort(new StoppedError());
    await this.#loop;
    this.#loop = undefined;
  }

  /** List (unless a watch can resume), then watch, until stopped; failures restart it after a backoff delay. */
  async #run(): Promise<void> {
    while (!this.#stopped) {
      const startedAt = Date.now();
      let phase: 'list' | 'watch' = 'watch';
      try {
        for (;;) {
          if (this.#resourceVersion === '') {
            phase = 'list';
            await this.#list();
          }
          phase = 'watch';
          await this.#watch();
          if (this.#stopped) return;
        }
      } catch (err: unknown) {
        if (this.#stopped) return;
        if (err instanceof ExpiredError || (err instanceof ApiStatusError && err.statusCode === 410)) {
          // our resourceVersion is too old: list again at once, as client-go does
          if (!(err instanceof ExpiredError)) this.#deps.metrics.countError(this.#spec.resource, 'expired');
          this.#resourceVersion = '';
          this.#expired = true;
          continue;
        }
        if (Date.now() - startedAt >= this.#stableAfterMs) this.#backoff.reset();
        const delayMs = this.#backoff.next();
        this.#deps.metrics.countError(this.#spec.resource, phase);
        this.#deps.logger.warn(`${this.#spec.resource} ${phase} failed; restarting the informer`, {
          resource: this.#spec.resource,
          attempt: this.#backoff.attempt,
          retryInMs: delayMs,
          ...describeError(err),
        });
        await this.#sleep(delayMs);
      }
    }
  }

  #query(): Record<string, string | undefined> {
    return { labelSelector: this.#spec.labelSelector, fieldSelector: this.#spec.fieldSelector };
  }

  async #list(): Promise<void> {
    const signal = AbortSignal.any([this.#running.signal, AbortSignal.timeout(this.#deps.listTimeoutMs ?? DEFAULT_LIST_TIMEOUT_MS)]);
    // resourceVersion=0 as client-go's first list: the API server answers from its watch cache,
    // not with a read from etcd (a DaemonSet's nodes all list at once); after a 410 a consistent
    // read, so the relist is not older than what was already seen
    const query = { ...this.#query(), resourceVersion: this.#expired ? undefined : '0' };
    const list = await listObjects(this.#deps.connection, this.#spec.path, query, signal, this.#spec.slim, { protobuf: this.#spec.protobuf });
    if (this.#stopped) throw new StoppedError();
    this.#reconcile(list.items);
    this.#resourceVersion = list.resourceVersion;
    this.#expired = false;
  }

  /** One watch from the last resourceVersion; returns when the server ends it cleanly. */
  async #watch(): Promise<void> {
    const timeoutSeconds = watchTimeoutSeconds();
    const signal = AbortSignal.any([this.#running.signal, AbortSignal.timeout(timeoutSeconds * 1000 + WATCH_SLACK_MS)]);
    const began = Date.now();
    let events = 0;
    let expired = false;
    const query = { ...this.#query(), resourceVersion: this.#resourceVersion, allowWatchBookmarks: true, timeoutSeconds };
    try {
      await watchObjects(this.#deps.connection, this.#spec.path, query, signal, (type, object) => {
        if (this.#stopped) return;
        if (type === 'ERROR') {
          const status = object as { code?: unknown; message?: unknown } | null;
          const code = typeof status?.code === 'number' ? status.code : undefined;
          if (code === 410) expired = true;
          // anything else ends this stream and it reconnects
          this.#deps.metrics.countError(this.#spec.resource, code === 410 ? 'expired' : 'watch');
          this.#deps.logger.info(`${this.#spec.resource} watch ended by the server`, {
            resource: this.#spec.resource,
            status: code,
            message: typeof status?.message === 'string' ? status.message : undefined,
          });
          return;
        }
        // the stream delivers: the API server is fine again (an ERROR-only stream does not count:
        // a server answering every watch with one would otherwise be asked again in a tight loop)
        events++;
        this.#backoff.reset();
        this.#onEvent(type, object);
      });
    } catch (err: unknown) {
      // our own client-side bound on a silent stream: resume, no error
      if (!this.#stopped && isTimeout(err)) return;
      throw err;
    }
    if (expired) throw new ExpiredError('resourceVersion expired');
    if (events === 0 && Date.now() - began < SHORT_WATCH_MS) await this.#sleep(this.#backoff.next());
  }

  #onEvent(type: string, json: unknown): void {
    const version = (json as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
    if (type === 'BOOKMARK') {
      if (typeof version === 'string' && version !== '') this.#resourceVersion = version;
      return;
    }
    const object = this.#spec.slim(json);
    if (type === 'ADDED' || type === 'MODIFIED') this.#upsertOrDrop(object);
    else if (type === 'DELETED') this.#remove(this.#spec.keyOf(object));
    if (typeof version === 'string' && version !== '') this.#resourceVersion = version;
  }

  /** A full list replaces what we knew: report new and changed objects, and the ones gone. */
  #reconcile(items: readonly T[]): void {
    if (this.#lists > 0) {
      this.#deps.metrics.countRelist?.(this.#spec.resource);
      this.#deps.logger.info(`${this.#spec.resource} relisted`, { resource: this.#spec.resource, objects: items.length, known: this.#cache.size });
    }
    this.#lists++;
    const present = new Set<string>();
    for (const item of items) {
      if (!this.#spec.accepts(item)) continue;
      const key = this.#spec.keyOf(item);
      present.add(key);
      this.#upsert(key, item);
    }
    for (const key of [...this.#cache.keys()]) if (!present.has(key)) this.#remove(key);
    this.#spec.listed();
  }

  #upsertOrDrop(object: T): void {
    const key = this.#spec.keyOf(object);
    if (this.#spec.accepts(object)) this.#upsert(key, object);
    else this.#remove(key);
  }

  #upsert(key: string, object: T): void {
    const known = this.#cache.get(key);
    const version = object.metadata?.resourceVersion;
    if (known !== undefined && version !== undefined && known.metadata?.resourceVersion === version) return;
    this.#cache.set(key, object);
    this.#report(key, object);
  }

  #remove(key: string): void {
    if (!this.#cache.delete(key)) return;
    this.#report(key, undefined);
  }

  #report(key: string, object: T | undefined): void {
    try {
      this.#spec.report(key, object);
    } catch (err: unknown) {
      this.#deps.metrics.countError(this.#spec.resource, 'handler');
      this.#deps.logger.error(`${this.#spec.resource} handler threw`, { resource: this.#spec.resource, key, ...describeError(err) });
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.#stopped) {
        resolve();
        return;
      }
      const entry = {
        timer: setTimeout(() => {
          this.#sleeps.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.#sleeps.add(entry);
    });
  }
}
