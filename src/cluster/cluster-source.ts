// The cluster adapter: Services, EndpointSlices and this node's Node from the API server, told to
// a ClusterObjectHandler as keyed changes, with `synced()` once both initial lists are in.
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterObjectHandler, EndpointSliceLike, NodeLike, ServiceLike } from '../model/kube.js';
import type { BackoffOptions } from './backoff.js';
import { connectionFromKubeConfig, loadConnection, type ApiConnection, type ConnectionOptions, type RequestObserver } from './kubeconfig.js';
import { ResourceWatch, describeError, type ClusterLogger, type ClusterMetrics, type WatchedResource } from './resource-watch.js';
import { decodeEndpointSlice, decodeService } from './protobuf/index.js';
import { slimEndpointSlice, slimNode, slimService } from './slim.js';
import { isServedByUs, serviceLabelSelector } from './selection.js';

export interface ClusterSourceOptions extends ConnectionOptions {
  /** this node's name: its Node object is watched (field selector metadata.name=NODE); '' = no Node watch */
  readonly nodeName: string;
  /** serve Services labelled service.kubernetes.io/service-proxy-name=<this>; unset = only unlabelled ones */
  readonly proxyName?: string | undefined;
  /** a ready client configuration; wins over kubeconfig/master (tests, embedding) */
  readonly kubeConfig?: KubeConfig | undefined;
  readonly logger?: ClusterLogger | undefined;
  readonly metrics?: ClusterMetrics | undefined;
  /** restart delays after a failed list/watch; default 500 ms doubling to 30 s, jittered */
  readonly backoff?: BackoffOptions | undefined;
  /** Service and EndpointSlice lists in Kubernetes protobuf, as kube-proxy asks (default); false = JSON */
  readonly protobuf?: boolean | undefined;
  /** abandon (and retry) a list request after this long; default 120 s */
  readonly listTimeoutMs?: number | undefined;
}

const silentLogger: ClusterLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const noMetrics: ClusterMetrics = { countError: () => {} };

/** The connection with each request's outcome reported (rest_client_* metrics), or as it is. */
function withRequestObserver(connection: ApiConnection, observe: RequestObserver | undefined): ApiConnection {
  if (observe === undefined) return connection;
  // security() is bound: a connection may keep it on a prototype, which a spread leaves behind
  return { ...connection, security: () => connection.security(), observe };
}

function namespacedKey(object: { metadata?: { namespace?: string | undefined; name?: string | undefined } | undefined }): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

export class ClusterSource {
  readonly #handler: ClusterObjectHandler;
  readonly #logger: ClusterLogger;
  readonly #watches: Array<{ start(): void; stop(): Promise<void> }> = [];
  readonly #listed = new Set<WatchedResource>();
  #synced = false;
  #started = false;

  /** Throws only if no client configuration can be loaded (bad --kubeconfig, not in a cluster). */
  constructor(handler: ClusterObjectHandler, options: ClusterSourceOptions) {
    this.#handler = handler;
    this.#logger = options.logger ?? silentLogger;
    const metrics = options.metrics ?? noMetrics;
    const connection = withRequestObserver(options.kubeConfig ? connectionFromKubeConfig(options.kubeConfig) : loadConnection(options), metrics.requestDone);
    const deps = { connection, logger: this.#logger, metrics, backoff: options.backoff, listTimeoutMs: options.listTimeoutMs };
    const proxyName = options.proxyName;
    const labelSelector = serviceLabelSelector(proxyName);
    const protobuf = options.protobuf !== false;

    const services = new ResourceWatch<ServiceLike>(
      {
        resource: 'services',
        path: '/api/v1/services',
        slim: slimService,
        protobuf: protobuf ? { kind: 'ServiceList', decode: decodeService } : undefined,
        labelSelector,
        keyOf: namespacedKey,
        accepts: (s) => isServedByUs(s.metadata?.labels, proxyName),
        report: (key, s) => handler.serviceChanged(key, s),
        listed: () => this.#onListed('services'),
      },
      deps,
    );
    // the EndpointSlice controller copies the Service's labels onto its slices, so the same
    // selector drops the slices of headless and foreign Services (kube-proxy does the same)
    const slices = new ResourceWatch<EndpointSliceLike>(
      {
        resource: 'endpointslices',
        path: '/apis/discovery.k8s.io/v1/endpointslices',
        slim: slimEndpointSlice,
        protobuf: protobuf ? { kind: 'EndpointSliceList', decode: decodeEndpointSlice } : undefined,
        labelSelector,
        keyOf: namespacedKey,
        accepts: (s) => isServedByUs(s.metadata?.labels, proxyName),
        report: (key, s) => handler.endpointSliceChanged(key, s),
        listed: () => this.#onListed('endpointslices'),
      },
      deps,
    );
    this.#watches.push(services, slices);
    if (options.nodeName !== '') {
      const nodeName = options.nodeName;
      const fieldSelector = `metadata.name=${nodeName}`;
      const node = new ResourceWatch<NodeLike>(
        {
          resource: 'node',
          path: '/api/v1/nodes',
          slim: slimNode,
          fieldSelector,
          keyOf: (n) => n.metadata?.name ?? '',
          accepts: (n) => n.metadata?.name === nodeName,
          report: (_key, n) => handler.nodeChanged(n),
          listed: () => {
            // a mistyped --hostname-override finds no Node: say so once, it changes what "local" means
            if (!this.#listed.has('node') && node.size === 0) {
              this.#logger.warn('no Node of this name in the cluster: no endpoint counts as local (internalTrafficPolicy Local, topology hints) until one appears; check --hostname-override', { node: nodeName });
            }
            this.#onListed('node');
          },
        },
        deps,
      );
      this.#watches.push(node);
    }
  }

  /** True once synced() has been called. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Starts the informers; returns at once. Changes and synced() arrive on the handler. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#logger.info('watching the API server', { resources: this.#watches.length });
    for (const w of this.#watches) w.start();
  }

  /** Stops every informer, timer and open request. */
  async stop(): Promise<void> {
    this.#started = false;
    await Promise.all(this.#watches.map((w) => w.stop()));
  }

  #onListed(resource: WatchedResource): void {
    this.#listed.add(resource);
    if (this.#synced || !this.#listed.has('services') || !this.#listed.has('endpointslices')) return;
    this.#synced = true;
    this.#logger.info('initial Services and EndpointSlices listed', {});
    try {
      this.#handler.synced();
    } catch (err: unknown) {
      this.#logger.error('synced handler threw', describeError(err));
    }
  }
}

/** Creates and starts a ClusterSource. */
export function startClusterSource(handler: ClusterObjectHandler, options: ClusterSourceOptions): ClusterSource {
  const source = new ClusterSource(handler, options);
  source.start();
  return source;
}
