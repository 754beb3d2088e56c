// API objects as the proxy keeps them: only the fields src/model/kube.ts names (what the core and
// the health check read), copied out of the JSON. At 10,000 Services × 5 endpoints the full
// objects (managedFields, status, last-applied annotations…) were most of the adapter's memory.
import { isJsonObject } from './list-stream.js';
import type { EndpointHintsLike, EndpointLike, EndpointPortLike, EndpointSliceLike, NodeLike, ObjectMetaLike, ServiceLike, ServicePortLike } from '../model/kube.js';
import { PROXY_ANNOTATIONS } from '../model/kube.js';
import { NO_PROXY_ANNOTATIONS, endpointConditions, recentStrings } from './shared-values.js';

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return isJsonObject(v) ? v : undefined;
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
/** A string field whose values recur across objects (namespaces, node names, protocols…): kept once. */
function recurring(v: unknown): string | undefined {
  return typeof v === 'string' ? recentStrings.fromText(v) : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}
function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}
function isString(x: unknown): x is string {
  return typeof x === 'string';
}
// the parsed array itself when it holds only strings (it always does from a real API server): one
// array less per endpoint, 50,000 at 10,000 × 5
function strings(v: unknown): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.every(isString) ? v : v.filter(isString);
}
function stringMap(v: unknown): Record<string, string> | undefined {
  const o = obj(v);
  if (!o) return undefined;
  const out: Record<string, string> = {};
  for (const k in o) {
    const x = o[k];
    if (typeof x === 'string') out[k] = recentStrings.fromText(x);
  }
  return out;
}
/** Only the annotations the proxy reads (others, kubectl's last-applied copy above all, can be large). */
function proxyAnnotations(v: unknown): Record<string, string> | undefined {
  const o = obj(v);
  if (!o) return undefined;
  let out: Record<string, string> | undefined;
  for (const k of PROXY_ANNOTATIONS) {
    const x = o[k];
    if (typeof x === 'string') (out ??= {})[k] = x;
  }
  return out ?? NO_PROXY_ANNOTATIONS;
}
function date(v: unknown): Date | undefined {
  if (v instanceof Date) return v;
  return typeof v === 'string' ? new Date(v) : undefined;
}


// Fields may be undefined (the model's types allow it); they are never deleted: `delete` turns an
// object into a slow dictionary-mode one.
function meta(v: unknown): ObjectMetaLike | undefined {
  const m = obj(v);
  if (!m) return undefined;
  return {
    name: str(m.name),
    namespace: recurring(m.namespace),
    labels: stringMap(m.labels),
    annotations: proxyAnnotations(m.annotations),
    resourceVersion: str(m.resourceVersion),
    deletionTimestamp: date(m.deletionTimestamp),
  };
}

/** The Node keeps its creation time too (a Date per Service and slice was 1.8 MB at 10,000 × 5). */
function nodeMeta(v: unknown): (ObjectMetaLike & { readonly creationTimestamp?: Date | undefined }) | undefined {
  const m = meta(v);
  return m === undefined ? undefined : { ...m, creationTimestamp: date(obj(v)?.creationTimestamp) };
}

function servicePort(v: unknown): ServicePortLike {
  const p = obj(v) ?? {};
  const target = p.targetPort;
  return ({
    name: recurring(p.name),
    protocol: recurring(p.protocol),
    port: num(p.port) ?? 0,
    targetPort: typeof target === 'number' || typeof target === 'string' ? target : undefined,
    nodePort: num(p.nodePort),
  });
}

export function slimService(v: unknown): ServiceLike {
  const o = obj(v) ?? {};
  const s = obj(o.spec);
  const affinity = obj(obj(obj(s?.sessionAffinityConfig)?.clientIP));
  return ({
    metadata: meta(o.metadata),
    spec: s
      ? ({
          type: recurring(s.type),
          clusterIP: str(s.clusterIP),
          clusterIPs: strings(s.clusterIPs),
          ipFamilies: strings(s.ipFamilies),
          ports: Array.isArray(s.ports) ? s.ports.map(servicePort) : undefined,
          sessionAffinity: recurring(s.sessionAffinity),
          sessionAffinityConfig: affinity ? { clientIP: ({ timeoutSeconds: num(affinity.timeoutSeconds) }) } : undefined,
          internalTrafficPolicy: recurring(s.internalTrafficPolicy),
          externalTrafficPolicy: recurring(s.externalTrafficPolicy),
          externalIPs: strings(s.externalIPs),
        })
      : undefined,
  });
}

function endpoint(v: unknown): EndpointLike {
  const e = obj(v) ?? {};
  const c = obj(e.conditions);
  return ({
    addresses: strings(e.addresses) ?? [],
    conditions: c ? endpointConditions(bool(c.ready), bool(c.serving), bool(c.terminating)) : undefined,
    nodeName: recurring(e.nodeName),
    zone: recurring(e.zone),
    hints: endpointHints(e.hints),
  });
}

function endpointHints(v: unknown): EndpointHintsLike | undefined {
  const h = obj(v);
  if (!h) return undefined;
  // an empty list is absent, as in protobuf
  const names = (list: unknown): { name: string }[] | undefined =>
    Array.isArray(list) && list.length > 0 ? list.map((x) => ({ name: recurring(obj(x)?.name) ?? '' })) : undefined;
  return { forZones: names(h.forZones), forNodes: names(h.forNodes) };
}

function endpointPort(v: unknown): EndpointPortLike {
  const p = obj(v) ?? {};
  return ({ name: recurring(p.name), port: num(p.port), protocol: recurring(p.protocol) });
}

export function slimEndpointSlice(v: unknown): EndpointSliceLike {
  const o = obj(v) ?? {};
  return ({
    metadata: meta(o.metadata),
    addressType: recurring(o.addressType) ?? '',
    endpoints: Array.isArray(o.endpoints) ? o.endpoints.map(endpoint) : undefined,
    ports: Array.isArray(o.ports) ? o.ports.map(endpointPort) : undefined,
  });
}

export function slimNode(v: unknown): NodeLike {
  const o = obj(v) ?? {};
  const spec = obj(o.spec);
  const status = obj(o.status);
  return ({
    metadata: nodeMeta(o.metadata),
    spec: spec
      ? ({
          podCIDRs: strings(spec.podCIDRs),
          taints: Array.isArray(spec.taints)
            ? spec.taints.map((t) => ({ key: str(obj(t)?.key) ?? '', effect: str(obj(t)?.effect) ?? '' }))
            : undefined,
        })
      : undefined,
    status: status
      ? ({
          addresses: Array.isArray(status.addresses)
            ? status.addresses.map((a) => ({ type: str(obj(a)?.type) ?? '', address: str(obj(a)?.address) ?? '' }))
            : undefined,
        })
      : undefined,
  });
}
