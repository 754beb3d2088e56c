// Builders for the objects the fake API server stores, so tests, the demo and benchmarks write
// Services, EndpointSlices and Nodes in one line each. Plain JSON, as the API server sends them.
import type { KubeObject } from './server.js';

type Labels = Record<string, string>;

export interface ServicePortSpec {
  readonly name?: string;
  readonly port: number;
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
  readonly targetPort?: number | string;
  readonly nodePort?: number;
}

/** A Service; `spec` fields beyond clusterIP and ports (type, sessionAffinity, ...) pass through. */
export function serviceObject(
  namespace: string,
  name: string,
  spec: { readonly clusterIP: string; readonly ports: readonly ServicePortSpec[]; readonly [field: string]: unknown },
  labels: Labels = {},
): KubeObject {
  const ports = spec.ports.map((p) => ({ protocol: 'TCP', ...p }));
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels },
    spec: { type: 'ClusterIP', clusterIPs: [spec.clusterIP], ...spec, ports },
  };
}

export interface EndpointSpec {
  readonly addresses: readonly string[];
  readonly ready?: boolean;
  readonly serving?: boolean;
  readonly terminating?: boolean;
  readonly nodeName?: string;
  readonly zone?: string;
  /** topology hints: the zones this endpoint is meant for */
  readonly forZones?: readonly string[];
}

/** An EndpointSlice of Service `serviceName` (label kubernetes.io/service-name). */
export function endpointSliceObject(
  namespace: string,
  name: string,
  serviceName: string,
  slice: { readonly addressType?: 'IPv4' | 'IPv6'; readonly endpoints: readonly EndpointSpec[]; readonly ports: readonly ServicePortSpec[] },
  labels: Labels = {},
): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace, labels: { 'kubernetes.io/service-name': serviceName, ...labels } },
    addressType: slice.addressType ?? 'IPv4',
    endpoints: slice.endpoints.map((e) => ({
      addresses: [...e.addresses],
      conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
      ...(e.nodeName === undefined ? {} : { nodeName: e.nodeName }),
      ...(e.zone === undefined ? {} : { zone: e.zone }),
      ...(e.forZones === undefined ? {} : { hints: { forZones: e.forZones.map((name) => ({ name })) } }),
    })),
    ports: slice.ports.map((p) => ({ protocol: 'TCP', ...p })),
  };
}

/** A Node with InternalIP addresses. */
export function nodeObject(name: string, node: { readonly internalIPs?: readonly string[]; readonly podCIDRs?: readonly string[]; readonly labels?: Labels } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...node.labels } },
    spec: node.podCIDRs === undefined ? {} : { podCIDR: node.podCIDRs[0], podCIDRs: [...node.podCIDRs] },
    status: { addresses: [...(node.internalIPs ?? []).map((address) => ({ type: 'InternalIP', address })), { type: 'Hostname', address: name }] },
  };
}
