// EndpointSlices → the real servers of one Service port, choosing endpoints the way kube-proxy does:
// ready ones, narrowed by topology hints when they cover this node or its zone; when none is ready,
// serving+terminating ones; de-duplicated across slices.
import type { EndpointHintsLike, EndpointSliceLike, IpFamily, RealServer, RealServerKey } from '../model/index.js';
import { ipv4Value, realServerKey, SERVICE_NAME_LABEL } from '../model/index.js';
import { parseIp } from './ip.js';
import type { Rejection } from './rejection.js';

export interface SliceRef {
  /** "namespace/name" of the slice */
  readonly key: string;
  readonly slice: EndpointSliceLike;
}

export interface EndpointChoice {
  readonly family: IpFamily;
  /** Service port name ("" when unnamed) the slice ports are matched by */
  readonly portName: string;
  readonly protocol: string;
  /** internalTrafficPolicy Local: only endpoints on `nodeName` */
  readonly localOnly: boolean;
  readonly nodeName: string;
  /** this node's topology.kubernetes.io/zone label ('' when it has none) */
  readonly zone: string;
}

/**
 * Topology hints of the ready endpoints, as kube-proxy weighs them: a kind of hint counts only if
 * every ready endpoint carries one and at least one names this node (or zone); same-node hints
 * (trafficDistribution PreferSameNode) win over zone hints (PreferSameZone, topology-aware routing).
 */
class TopologyHints {
  readonly #nodeName: string;
  readonly #zone: string;
  #allForNodes = true;
  #allForZones = true;
  /** ready endpoints hinted for this node / zone; undefined until one is */
  #forNode: Set<RealServerKey> | undefined;
  #forZone: Set<RealServerKey> | undefined;

  constructor(nodeName: string, zone: string) {
    this.#nodeName = nodeName;
    this.#zone = zone;
  }

  noteReady(key: RealServerKey, hints: EndpointHintsLike | undefined): void {
    const nodes = hints?.forNodes;
    if (nodes === undefined || nodes.length === 0) this.#allForNodes = false;
    else if (nodes.some((h) => h.name === this.#nodeName)) (this.#forNode ??= new Set()).add(key);
    const zones = hints?.forZones;
    if (zones === undefined || zones.length === 0) this.#allForZones = false;
    else if (this.#zone !== '' && zones.some((h) => h.name === this.#zone)) (this.#forZone ??= new Set()).add(key);
  }

  /** The ready endpoints this node should use: those hinted for it, or all when the hints do not apply. */
  narrow(ready: Map<RealServerKey, RealServer>): Map<RealServerKey, RealServer> {
    const wanted = this.#allForNodes && this.#forNode !== undefined ? this.#forNode : this.#allForZones && this.#forZone !== undefined ? this.#forZone : undefined;
    if (wanted === undefined) return ready;
    return new Map([...ready].filter(([k]) => wanted.has(k)));
  }
}

const ADDRESS_TYPES: Readonly<Record<string, IpFamily>> = { IPv4: 4, IPv6: 6 };

/** Builds the real servers for one (family, port) of a Service; bad entries become rejections. */
export function selectRealServers(slices: readonly SliceRef[], choice: EndpointChoice, rejections: Rejection[]): Map<RealServerKey, RealServer> {
  // ready endpoints; only when there are none, the serving terminating ones
  const ready = new Map<RealServerKey, RealServer>();
  let fallback: Map<RealServerKey, RealServer> | undefined;
  // topology applies to the cluster-wide choice only (a Local policy already keeps this node's)
  const topology = choice.localOnly ? undefined : new TopologyHints(choice.nodeName, choice.zone);
  for (const { key, slice } of slices) {
    if (ADDRESS_TYPES[slice.addressType] !== choice.family) continue; // FQDN and the other family
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === choice.portName && (p.protocol ?? 'TCP') === choice.protocol);
    if (!port) continue;
    const portNumber = port.port;
    if (portNumber === undefined || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) {
      rejections.push({ reason: 'InvalidEndpointPort', object: `EndpointSlice ${key}`, detail: `port ${JSON.stringify(choice.portName)} is ${String(portNumber)}; slice skipped for this port` });
      continue;
    }
    for (const ep of slice.endpoints ?? []) {
      if (choice.localOnly && ep.nodeName !== choice.nodeName) continue;
      // Kubernetes: consumers use the first address; the others are fungible
      // (watch events are not schema-checked: a malformed endpoint must not throw)
      const text: unknown = Array.isArray(ep.addresses) ? ep.addresses[0] : undefined;
      const address = typeof text === 'string' ? addressOf(text, choice.family) : undefined;
      if (address === undefined) {
        rejections.push({ reason: 'InvalidEndpointAddress', object: `EndpointSlice ${key}`, detail: `endpoint address ${JSON.stringify(text)} is not an IPv${choice.family} address; endpoint skipped` });
        continue;
      }
      const isReady = ep.conditions?.ready ?? true; // unset means ready
      const serving = ep.conditions?.serving ?? isReady;
      const terminating = ep.conditions?.terminating ?? false;
      // once one endpoint is ready, the serving terminating ones are never chosen
      if (!isReady && (!serving || !terminating || ready.size > 0)) continue;
      const chosen = isReady ? ready : (fallback ??= new Map());
      const rk = realServerKey({ address, port: portNumber });
      // the same endpoint in two slices (it moved between them) is taken once, by its best condition
      if (chosen.has(rk)) continue;
      chosen.set(rk, { family: choice.family, address, port: portNumber, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0 });
      if (isReady) topology?.noteReady(rk, ep.hints);
    }
  }
  if (ready.size > 0) return topology === undefined ? ready : topology.narrow(ready);
  return fallback ?? ready;
}

/** The canonical text of an address of `family`, or undefined; a canonical dotted quad is its own. */
function addressOf(text: string, family: IpFamily): string | undefined {
  if (family === 4 && ipv4Value(text) >= 0) return text;
  const ip = parseIp(text);
  return ip?.family === family ? ip.address : undefined;
}

/** The "namespace/name" of the Service a slice belongs to (label kubernetes.io/service-name). */
export function serviceKeyOfSlice(slice: EndpointSliceLike): string | undefined {
  const name = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  const namespace = slice.metadata?.namespace;
  if (!name || !namespace) return undefined;
  return `${namespace}/${name}`;
}
