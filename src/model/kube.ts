// The parts of Kubernetes objects the proxy reads, as structural types: @kubernetes/client-node's
// V1Service, V1EndpointSlice and V1Node satisfy them, and tests can build them as plain literals.

export interface ObjectMetaLike {
  readonly name?: string | undefined;
  readonly namespace?: string | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  readonly resourceVersion?: string | undefined;
  readonly deletionTimestamp?: Date | undefined;
}

export interface ServicePortLike {
  readonly name?: string | undefined;
  readonly protocol?: string | undefined;
  readonly port: number;
  readonly targetPort?: number | string | undefined;
  readonly nodePort?: number | undefined;
}

export interface ServiceLike {
  readonly metadata?: ObjectMetaLike | undefined;
  readonly spec?:
    | {
        readonly type?: string | undefined;
        readonly clusterIP?: string | undefined;
        readonly clusterIPs?: readonly string[] | undefined;
        readonly ipFamilies?: readonly string[] | undefined;
        readonly ports?: readonly ServicePortLike[] | undefined;
        readonly sessionAffinity?: string | undefined;
        readonly sessionAffinityConfig?: { readonly clientIP?: { readonly timeoutSeconds?: number | undefined } | undefined } | undefined;
        readonly internalTrafficPolicy?: string | undefined;
        readonly externalTrafficPolicy?: string | undefined;
        readonly externalIPs?: readonly string[] | undefined;
      }
    | undefined;
}

export interface EndpointLike {
  readonly addresses: readonly string[];
  readonly conditions?:
    | { readonly ready?: boolean | undefined; readonly serving?: boolean | undefined; readonly terminating?: boolean | undefined }
    | undefined;
  readonly nodeName?: string | undefined;
  readonly zone?: string | undefined;
  /** where the EndpointSlice controller suggests this endpoint be used (topology-aware routing, trafficDistribution) */
  readonly hints?: EndpointHintsLike | undefined;
}

export interface EndpointHintsLike {
  readonly forZones?: readonly { readonly name: string }[] | undefined;
  readonly forNodes?: readonly { readonly name: string }[] | undefined;
}

export interface EndpointPortLike {
  readonly name?: string | undefined;
  readonly port?: number | undefined;
  readonly protocol?: string | undefined;
}

export interface EndpointSliceLike {
  readonly metadata?: ObjectMetaLike | undefined;
  /** "IPv4", "IPv6" or "FQDN" */
  readonly addressType: string;
  readonly endpoints?: readonly EndpointLike[] | undefined;
  readonly ports?: readonly EndpointPortLike[] | undefined;
}

export interface NodeLike {
  readonly metadata?: ObjectMetaLike | undefined;
  readonly spec?: { readonly podCIDRs?: readonly string[] | undefined; readonly taints?: readonly { readonly key: string; readonly effect: string }[] | undefined } | undefined;
  readonly status?: { readonly addresses?: readonly { readonly type: string; readonly address: string }[] | undefined } | undefined;
}

/** Label on an EndpointSlice naming its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
export const SERVICE_PROXY_NAME_LABEL = 'service.kubernetes.io/service-proxy-name';
/** The Node label naming its zone, matched against endpoints' zone hints. */
export const TOPOLOGY_ZONE_LABEL = 'topology.kubernetes.io/zone';

/** Per-Service scheduler override, e.g. "sh" (validated against the model's IPVS_SCHEDULERS). */
export const SCHEDULER_ANNOTATION = 'ipvs.kube-ipvs-proxy.io/scheduler';
/** Scheduler flags for sh/mh, comma-separated: "fallback" (SCHED1), "port" (SCHED2). */
export const SCHEDULER_FLAGS_ANNOTATION = 'ipvs.kube-ipvs-proxy.io/scheduler-flags';
/** The only annotations the proxy reads; the cluster adapter keeps no others. */
export const PROXY_ANNOTATIONS: readonly string[] = [SCHEDULER_ANNOTATION, SCHEDULER_FLAGS_ANNOTATION];

/** The media type of Kubernetes protobuf (what the API server answers to clients asking for it). */
export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/**
 * What the cluster adapter tells the proxy. Keys are "namespace/name". `undefined` means deleted.
 * `synced` comes once both initial lists (Services, EndpointSlices) are in; nothing is programmed
 * before it. After a relist the adapter replays the differences as ordinary changes.
 */
export interface ClusterObjectHandler {
  serviceChanged(key: string, service: ServiceLike | undefined): void;
  endpointSliceChanged(key: string, slice: EndpointSliceLike | undefined): void;
  nodeChanged(node: NodeLike | undefined): void;
  synced(): void;
}
