// The two API requests the proxy makes, over node:http(s): a list (Kubernetes protobuf when the
// caller can decode it, else one JSON document) and a watch (a stream of JSON lines). No
// generated-model deserialisation, which at 20,000 objects cost seconds of CPU and a second copy of
// every object: JSON stays plain, protobuf is decoded straight into the slim shapes.
import { createRequire } from 'node:module';
import type * as Http from 'node:http';
import type * as Https from 'node:https';
import type * as Zlib from 'node:zlib';
import type { ApiConnection } from './kubeconfig.js';
import { ListStreamParser, listResourceVersion, type ListStreamOptions } from './list-stream.js';
import { PROTOBUF_MEDIA_TYPE } from '../model/kube.js';
import { ProtobufListReader, statusMessage, type MessageDecoder } from './protobuf/index.js';

/** An HTTP answer other than 200; `statusCode` as client-node's errors carry it. */
export class ApiStatusError extends Error {
  override readonly name = 'ApiStatusError';
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.statusCode = statusCode;
  }
}

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

// require(), not import: the ESM facade of node:http reads every export, and one lazy getter
// loads Node's bundled undici (~300 ms of startup in UML) that nothing here uses
const require = createRequire(import.meta.url);
const http = require('node:http') as typeof Http;
// node:https (with tls and crypto) only when the API server is https: a plain-http --master, as in
// tests and benchmarks, does not pay for loading them
let https: typeof Https | undefined;
// node:zlib only once an answer comes compressed
let zlib: typeof Zlib | undefined;

/** How long the server may take to send response headers. */
const HEADERS_TIMEOUT_MS = 30_000;

// autoSelectFamily off: the API server is one address (an IP literal or a name resolved as usual);
// Node's happy-eyeballs path compiled a large IPv6 regular expression on the first connection
const httpAgent = new http.Agent({ keepAlive: true, autoSelectFamily: false });
const httpsAgents = new Map<string, Https.Agent>();

function urlOf(connection: ApiConnection, path: string, query: Query): URL {
  const base = connection.server;
  const url = new URL(base.toString());
  url.pathname = `${base.pathname.replace(/\/+$/, '')}${path}`;
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  return url;
}

/** Sends a GET and resolves with the response once its headers are in. */
async function get(connection: ApiConnection, path: string, query: Query, signal: AbortSignal, extraHeaders: Readonly<Record<string, string>> = {}): Promise<Http.IncomingMessage> {
  signal.throwIfAborted();
  const security = await connection.security();
  const url = urlOf(connection, path, query);
  const headers = { Accept: 'application/json', ...extraHeaders, ...security.headers };
  return new Promise((resolve, reject) => {
    let req: Http.ClientRequest;
    if (url.protocol === 'https:') {
      // one keep-alive agent per TLS identity (tokens go in headers, not here)
      const tls = { ca: security.ca, cert: security.cert, key: security.key, rejectUnauthorized: security.rejectUnauthorized ?? true, servername: security.servername };
      const id = JSON.stringify([tls.rejectUnauthorized, tls.servername, tls.ca?.toString(), tls.cert?.toString(), tls.key?.toString()]);
      https ??= require('node:https') as typeof Https;
      let agent = httpsAgents.get(id);
      if (!agent) httpsAgents.set(id, (agent = new https.Agent({ keepAlive: true, autoSelectFamily: false, ...tls })));
      req = https.request(url, { method: 'GET', headers, agent, signal, ...(security.auth !== undefined ? { auth: security.auth } : {}) }, onResponse);
    } else {
      req = http.request(url, { method: 'GET', headers, agent: httpAgent, signal, ...(security.auth !== undefined ? { auth: security.auth } : {}) }, onResponse);
    }
    const timer = setTimeout(() => req.destroy(new ApiStatusError(0, `no answer from ${url.host} within ${HEADERS_TIMEOUT_MS} ms`)), HEADERS_TIMEOUT_MS);
    timer.unref();
    const sentAt = performance.now();
    const observed = (code: string): void => connection.observe?.('GET', url.host, code, (performance.now() - sentAt) / 1000);
    function onResponse(res: Http.IncomingMessage): void {
      clearTimeout(timer);
      observed(String(res.statusCode ?? 0));
      resolve(res);
    }
    req.on('error', (e) => {
      clearTimeout(timer);
      // our own stop is not a failed request
      if (!signal.aborted) observed('<error>');
      reject(e);
    });
    req.end();
  });
}

/** A rejection that happens once and ends the response: the first error wins, later ones are moot. */
function failOnce(res: Http.IncomingMessage, reject: (e: Error) => void): ((e: unknown) => void) & { readonly failed: boolean } {
  let failed = false;
  const fail = (e: unknown): void => {
    if (failed) return;
    failed = true;
    res.destroy();
    reject(e instanceof Error ? e : new Error(String(e)));
  };
  return Object.defineProperty(fail, 'failed', { get: () => failed }) as typeof fail & { readonly failed: boolean };
}

function readBody(res: Http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('the response was cut short')));
  });
}

function isProtobuf(res: Http.IncomingMessage): boolean {
  return (res.headers['content-type'] ?? '').trim().toLowerCase().startsWith(PROTOBUF_MEDIA_TYPE);
}

async function statusError(res: Http.IncomingMessage): Promise<ApiStatusError> {
  const body = await readBody(res).catch(() => Buffer.alloc(0));
  if (isProtobuf(res)) return new ApiStatusError(res.statusCode ?? 0, `HTTP ${res.statusCode ?? 0}: ${statusMessage(body) ?? 'an undecodable protobuf Status'}`);
  let message = body.toString('utf8', 0, Math.min(body.length, 500));
  try {
    const status = JSON.parse(body.toString('utf8')) as { message?: unknown };
    if (typeof status.message === 'string') message = status.message;
  } catch {
    // not a Status document: keep the text
  }
  return new ApiStatusError(res.statusCode ?? 0, `HTTP ${res.statusCode ?? 0}: ${message}`);
}

export interface ListResult<T> {
  readonly items: readonly T[];
  readonly resourceVersion: string;
}

/** How a list's items are read from a Kubernetes protobuf answer: its list kind and one item's decoder. */
export interface ProtobufList<T> {
  /** e.g. "ServiceList": an answer of another kind is refused */
  readonly kind: string;
  readonly decode: MessageDecoder<T>;
}

export interface ListOptions<T> {
  /** ask for Kubernetes protobuf (JSON stays acceptable: the server picks) and decode it so */
  readonly protobuf?: ProtobufList<T> | undefined;
  readonly parser?: ListStreamOptions | undefined;
}

/**
 * One list request, each item handed to `map` (which slims it) or, for a protobuf answer, decoded
 * by `options.protobuf`; rejects on a non-200 answer, a body that is not a list document, or when
 * `signal` aborts.
 */
export async function listObjects<T>(
  connection: ApiConnection,
  path: string,
  query: Query,
  signal: AbortSignal,
  map: (item: unknown) => T,
  options: ListOptions<T> = {},
): Promise<ListResult<T>> {
  // gzip, as client-go asks for it: the API server compresses large list answers (a tenth of the
  // bytes for Kubernetes JSON, a third for protobuf); watch streams are never compressed. A
  // kubeconfig cluster with disable-compression (as client-go reads it) asks for plain answers: on
  // a fast network both sides save the CPU
  const headers: Record<string, string> = connection.disableCompression === true ? {} : { 'Accept-Encoding': 'gzip' };
  // protobuf first, as kube-proxy asks: the API server encodes it for less CPU than JSON, and
  // every field the proxy does not read (managedFields above all) is stepped over by its length
  if (options.protobuf !== undefined) headers['Accept'] = `${PROTOBUF_MEDIA_TYPE}, application/json`;
  const res = await get(connection, path, query, signal, headers);
  if (res.statusCode !== 200) throw await statusError(res);
  const gzipped = /^\s*gzip\s*$/i.test(res.headers['content-encoding'] ?? '');
  // 64 KiB pieces instead of zlib's 16 KiB: each piece is a round trip to the thread pool, and a
  // list of megabytes came out as hundreds of them (cold sync at 2000x5 in UML ~45 ms faster)
  const body: NodeJS.ReadableStream = gzipped ? res.pipe((zlib ??= require('node:zlib') as typeof Zlib).createGunzip({ chunkSize: 64 * 1024 })) : res;
  if (options.protobuf !== undefined && isProtobuf(res)) return readProtobufList(res, body, gzipped, options.protobuf);
  return readJsonList(res, body, gzipped, map, options.parser ?? {});
}

function whenRead(res: Http.IncomingMessage, body: NodeJS.ReadableStream, gzipped: boolean, onData: (chunk: Buffer) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const fail = failOnce(res, reject);
    if (gzipped) body.on('error', (e: unknown) => fail(new Error(`the list answer does not decompress: ${e instanceof Error ? e.message : String(e)}`)));
    body.on('data', (chunk: Buffer) => {
      if (fail.failed) return;
      try {
        onData(chunk);
      } catch (e) {
        fail(e);
      }
    });
    body.on('end', () => {
      if (!fail.failed) resolve();
    });
    res.on('error', fail);
    res.on('aborted', () => fail(new Error('the response was cut short')));
  });
}

/** A protobuf list: each item decoded in place as soon as its bytes are in (no intermediate objects). */
async function readProtobufList<T>(res: Http.IncomingMessage, body: NodeJS.ReadableStream, gzipped: boolean, list: ProtobufList<T>): Promise<ListResult<T>> {
  const items: T[] = [];
  const reader = new ProtobufListReader(list.kind, list.decode, (item) => items.push(item));
  await whenRead(res, body, gzipped, (chunk) => reader.write(chunk));
  return { items, resourceVersion: reader.end() };
}

async function readJsonList<T>(res: Http.IncomingMessage, body: NodeJS.ReadableStream, gzipped: boolean, map: (item: unknown) => T, parserOptions: ListStreamOptions): Promise<ListResult<T>> {
  const items: T[] = [];
  // items are parsed as the body streams in, a group at a time (list-stream.ts): as fast as one
  // parse of the whole body, without every full object alive at once
  const parser = new ListStreamParser((item) => items.push(map(item)), parserOptions);
  await whenRead(res, body, gzipped, (chunk) => parser.write(chunk));
  return { items, resourceVersion: listResourceVersion(parser.end()) };
}

export type WatchEventHandler = (type: string, object: unknown) => void;

/**
 * One watch request: `onEvent` for each event line; resolves when the server ends the stream,
 * rejects on a non-200 answer (410 included), a broken stream, or when `signal` aborts.
 */
export async function watchObjects(connection: ApiConnection, path: string, query: Query, signal: AbortSignal, onEvent: WatchEventHandler): Promise<void> {
  const res = await get(connection, path, { ...query, watch: true }, signal);
  if (res.statusCode !== 200) throw await statusError(res);
  return new Promise<void>((resolve, reject) => {
    let rest = '';
    const fail = failOnce(res, reject);
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      if (fail.failed) return;
      let text = rest + chunk;
      let nl = text.indexOf('\n');
      while (nl >= 0) {
        const line = text.slice(0, nl);
        text = text.slice(nl + 1);
        if (line.trim() !== '') {
          let event: { type?: unknown; object?: unknown };
          try {
            event = JSON.parse(line) as { type?: unknown; object?: unknown };
          } catch (e) {
            fail(new Error(`undecodable watch event: ${e instanceof Error ? e.message : String(e)}`));
            return;
          }
          onEvent(typeof event.type === 'string' ? event.type : '', event.object);
        }
        nl = text.indexOf('\n');
      }
      rest = text;
    });
    res.on('end', () => {
      if (!fail.failed) resolve();
    });
    res.on('error', fail);
    res.on('aborted', () => fail(new Error('the watch stream was cut')));
    res.on('close', () => {
      if (!res.complete) fail(new Error('the watch stream was cut'));
    });
  });
}
