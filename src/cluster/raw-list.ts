// A list request authenticated by client-node's KubeConfig whose JSON answer is kept as it came.
// The generated client's deserialiser took ~0.8 s for 4,000 objects in UML (docs/performance.md);
// the informer needs plain objects anyway, as its watch events are.
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';

/** A list answered with another status than 200; `statusCode` as client-node's errors carry it. */
export class ListRequestError extends Error {
  override readonly name = 'ListRequestError';
  readonly statusCode: number;
  constructor(statusCode: number, path: string, body: string) {
    super(`list ${path}: HTTP ${statusCode}${body ? `: ${body.slice(0, 200)}` : ''}`);
    this.statusCode = statusCode;
  }
}

/** GET `path` (e.g. /api/v1/services) with the selectors, as the API server's list. */
export async function listRaw<T extends KubernetesObject>(
  config: KubeConfig,
  path: string,
  selectors: { readonly labelSelector?: string | undefined; readonly fieldSelector?: string | undefined },
  signal: AbortSignal,
): Promise<KubernetesListObject<T>> {
  const server = config.getCurrentCluster()?.server;
  if (server === undefined) throw new Error('no current cluster in the Kubernetes client configuration');
  const url = new URL(path.replace(/^\//, ''), server.endsWith('/') ? server : `${server}/`);
  if (selectors.labelSelector) url.searchParams.set('labelSelector', selectors.labelSelector);
  if (selectors.fieldSelector) url.searchParams.set('fieldSelector', selectors.fieldSelector);
  const options: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
  // client-node puts the credentials (token, client certificate, CA) on the options
  await config.applyToHTTPSOptions(options);
  const plain = url.protocol === 'http:';
  if (plain) delete options.agent; // an https agent cannot carry plain http
  const body = await new Promise<string>((resolve, reject) => {
    const request = (plain ? http : https).request(url, { ...options, signal }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('error', reject);
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (response.statusCode === 200) resolve(text);
        else reject(new ListRequestError(response.statusCode ?? 0, path, text));
      });
    });
    request.on('error', reject);
    request.end();
  });
  const list = JSON.parse(body) as KubernetesListObject<T>;
  if (!Array.isArray(list.items)) throw new Error(`list ${path}: the answer has no items`);
  return list;
}
