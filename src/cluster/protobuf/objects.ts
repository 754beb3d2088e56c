// Services and EndpointSlices decoded from Kubernetes protobuf straight into the shapes slim.ts
// makes from JSON (same fields, same order, same omissions): only the fields the proxy reads are
// decoded, everything else (managedFields, status, other annotations…) is stepped over by length.
// Field numbers: k8s.io/api core/v1 and discovery/v1, k8s.io/apimachinery meta/v1 generated.proto.
import type { EndpointHintsLike, EndpointLike, EndpointPortLike, EndpointSliceLike, ObjectMetaLike, ServiceLike, ServicePortLike } from '../../model/kube.js';
import { PROXY_ANNOTATIONS } from '../../model/kube.js';
import { NO_PROXY_ANNOTATIONS, endpointConditions, type EndpointConditions } from '../shared-values.js';
import { LENGTH_DELIMITED, VARINT, tagOf, type ProtoReader } from './wire.js';

/** Decodes one message's fields from the reader's position up to `end`. */
export type MessageDecoder<T> = (r: ProtoReader, end: number) => T;

const text = (field: number): number => tagOf(field, LENGTH_DELIMITED);
const scalar = (field: number): number => tagOf(field, VARINT);

// The API server writes a Go struct's non-pointer fields even when empty ("" and 0) where its JSON
// omits them (`omitempty`); slim.ts sees those as absent, so do these decoders.
function present(s: string): string | undefined {
  return s === '' ? undefined : s;
}

/** One map<string, string> entry: key 1, value 2. */
const ENTRY_KEY = text(1);
const ENTRY_VALUE = text(2);

/** Adds the entry to `into` (made when first needed) unless its key is not `wanted`; returns `into`. */
function mapEntry(r: ProtoReader, end: number, into: Record<string, string> | undefined, wanted?: ReadonlySet<string>): Record<string, string> | undefined {
  let key = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === ENTRY_KEY) key = r.sharedString(end);
    // a value not wanted is never decoded (kubectl's last-applied annotation can be large)
    else if (tag === ENTRY_VALUE && (wanted === undefined || wanted.has(key))) value = r.sharedString(end);
    else r.skip(tag & 7, end);
  }
  r.expectEnd(end);
  if (wanted !== undefined && !wanted.has(key)) return into;
  const record = into ?? {};
  record[key] = value;
  return record;
}

// Repeated fields are collected with `append` and handed out through `exact`: an array grown by
// push from [] keeps room for 17 elements, which over 50,000 one-address endpoints and the like
// was 15 MB more than the exactly sized arrays JSON.parse makes.
function append<T>(list: T[] | undefined, item: T): T[] {
  if (list === undefined) return [item];
  list.push(item);
  return list;
}
function exact<T>(list: T[] | undefined): T[] | undefined {
  return list !== undefined && list.length > 1 ? list.slice() : list;
}

/** meta.v1.Time: seconds 1, nanos 2. */
const TIME_SECONDS = scalar(1);
const TIME_NANOS = scalar(2);

function time(r: ProtoReader, end: number): Date {
  let seconds = 0;
  let nanos = 0;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === TIME_SECONDS) seconds = r.int64();
    else if (tag === TIME_NANOS) nanos = r.int32();
    else r.skip(tag & 7, end);
  }
  r.expectEnd(end);
  return new Date(seconds * 1000 + Math.floor(nanos / 1e6));
}

/** meta.v1.ObjectMeta */
const META_NAME = text(1);
const META_NAMESPACE = text(3);
const META_RESOURCE_VERSION = text(6);
const META_DELETION_TIMESTAMP = text(9);
const META_LABELS = text(11);
const META_ANNOTATIONS = text(12);
const WANTED_ANNOTATIONS: ReadonlySet<string> = new Set(PROXY_ANNOTATIONS);

function objectMeta(r: ProtoReader, end: number): ObjectMetaLike {
  let name = '';
  let namespace = '';
  let resourceVersion = '';
  let labels: Record<string, string> | undefined;
  let annotations: Record<string, string> | undefined;
  let annotated = false;
  let deletionTimestamp: Date | undefined;
  while (r.pos < end) {
    const tag = r.varint();
    switch (tag) {
      case META_NAME:
        name = r.string(end);
        break;
      case META_NAMESPACE:
        namespace = r.sharedString(end);
        break;
      case META_RESOURCE_VERSION:
        resourceVersion = r.string(end);
        break;
      case META_DELETION_TIMESTAMP:
        deletionTimestamp = time(r, r.lengthEnd(end));
        break;
      case META_LABELS:
        labels = mapEntry(r, r.lengthEnd(end), labels) ?? {};
        break;
      case META_ANNOTATIONS:
        annotations = mapEntry(r, r.lengthEnd(end), annotations, WANTED_ANNOTATIONS);
        annotated = true;
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  r.expectEnd(end);
  return {
    name: present(name),
    namespace: present(namespace),
    labels,
    annotations: annotations ?? (annotated ? NO_PROXY_ANNOTATIONS : undefined),
    resourceVersion: present(resourceVersion),
    deletionTimestamp,
  };
}

/** util.intstr.IntOrString: type 1 (0 int, 1 string), intVal 2, strVal 3. */
const INT_OR_STRING_TYPE = scalar(1);
const INT_OR_STRING_INT = scalar(2);
const INT_OR_STRING_STRING = text(3);

function intOrString(r: ProtoReader, end: number): number | string {
  let type = 0;
  let int = 0;
  let str = '';
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === INT_OR_STRING_TYPE) type = r.int64();
    else if (tag === INT_OR_STRING_INT) int = r.int32();
    else if (tag === INT_OR_STRING_STRING) str = r.string(end);
    else r.skip(tag & 7, end);
  }
  r.expectEnd(end);
  return type === 1 ? str : int;
}

/** core.v1.ServicePort */
const PORT_NAME = text(1);
const PORT_PROTOCOL = text(2);
const PORT_PORT = scalar(3);
const PORT_TARGET_PORT = text(4);
const PORT_NODE_PORT = scalar(5);

function servicePort(r: ProtoReader, end: number): ServicePortLike {
  let name = '';
  let protocol = '';
  let port = 0;
  let targetPort: number | string | undefined;
  let nodePort = 0;
  while (r.pos < end) {
    const tag = r.varint();
    switch (tag) {
      case PORT_NAME:
        name = r.sharedString(end);
        break;
      case PORT_PROTOCOL:
        protocol = r.sharedString(end);
        break;
      case PORT_PORT:
        port = r.int32();
        break;
      case PORT_TARGET_PORT:
        targetPort = intOrString(r, r.lengthEnd(end));
        break;
      case PORT_NODE_PORT:
        nodePort = r.int32();
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  r.expectEnd(end);
  // targetPort is a struct: JSON keeps even its zero value, as here
  return { name: present(name), protocol: present(protocol), port, targetPort, nodePort: nodePort === 0 ? undefined : nodePort };
}

/** core.v1.SessionAffinityConfig: clientIP 1; ClientIPConfig: timeoutSeconds 1. */
const AFFINITY_CLIENT_IP = text(1);
const CLIENT_IP_TIMEOUT = scalar(1);

function clientIPTimeout(r: ProtoReader, end: number): { readonly timeoutSeconds: number | undefined } {
  let timeoutSeconds: number | undefined;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === CLIENT_IP_TIMEOUT) timeoutSeconds = r.int32();
    else r.skip(tag & 7, end);
  }
  r.expectEnd(end);
  return { timeoutSeconds };
}

function sessionAffinityConfig(r: ProtoReader, end: number): { readonly clientIP: { readonly timeoutSeconds: number | undefined } } | undefined {
  let clientIP: { readonly timeoutSeconds: number | undefined } | undefined;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === AFFINITY_CLIENT_IP) clientIP = clientIPTimeout(r, r.lengthEnd(end));
    else r.skip(tag & 7, end);
  }
  r.expectEnd(end);
  return clientIP === undefined ? undefined : { clientIP };
}

/** core.v1.ServiceSpec */
const SPEC_PORTS = text(1);
const SPEC_CLUSTER_IP = text(3);
const SPEC_TYPE = text(4);
const SPEC_EXTERNAL_IPS = text(5);
const SPEC_SESSION_AFFINITY = text(7);
const SPEC_EXTERNAL_TRAFFIC_POLICY = text(11);
const SPEC_SESSION_AFFINITY_CONFIG = text(14);
const SPEC_CLUSTER_IPS = text(18);
const SPEC_IP_FAMILIES = text(19);
const SPEC_INTERNAL_TRAFFIC_POLICY = text(22);

function serviceSpec(r: ProtoReader, end: number): NonNullable<ServiceLike['spec']> {
  let type = '';
  let clusterIP = '';
  let clusterIPs: string[] | undefined;
  let ipFamilies: string[] | undefined;
  let ports: ServicePortLike[] | undefined;
  let sessionAffinity = '';
  let affinityConfig: NonNullable<ServiceLike['spec']>['sessionAffinityConfig'];
  let internalTrafficPolicy: string | undefined;
  let externalTrafficPolicy = '';
  let externalIPs: string[] | undefined;
  while (r.pos < end) {
    const tag = r.varint();
    switch (tag) {
      case SPEC_PORTS:
        ports = append(ports, servicePort(r, r.lengthEnd(end)));
        break;
      case SPEC_CLUSTER_IP:
        clusterIP = r.string(end);
        break;
      case SPEC_TYPE:
        type = r.sharedString(end);
        break;
      case SPEC_EXTERNAL_IPS:
        externalIPs = append(externalIPs, r.string(end));
        break;
      case SPEC_SESSION_AFFINITY:
        sessionAffinity = r.sharedString(end);
        break;
      case SPEC_EXTERNAL_TRAFFIC_POLICY:
        externalTrafficPolicy = r.sharedString(end);
        break;
      case SPEC_SESSION_AFFINITY_CONFIG:
        affinityConfig = sessionAffinityConfig(r, r.lengthEnd(end));
        break;
      case SPEC_CLUSTER_IPS:
        clusterIPs = append(clusterIPs, r.stringLike(end, clusterIP));
        break;
      case SPEC_IP_FAMILIES:
        ipFamilies = append(ipFamilies, r.sharedString(end));
        break;
      case SPEC_INTERNAL_TRAFFIC_POLICY:
        // a pointer in Go: written only when set, "" kept as JSON keeps it
        internalTrafficPolicy = r.sharedString(end);
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  r.expectEnd(end);
  return {
    type: present(type),
    clusterIP: present(clusterIP),
    clusterIPs: exact(clusterIPs),
    ipFamilies: exact(ipFamilies),
    ports: exact(ports),
    sessionAffinity: present(sessionAffinity),
    sessionAffinityConfig: affinityConfig,
    internalTrafficPolicy,
    externalTrafficPolicy: present(externalTrafficPolicy),
    externalIPs: exact(externalIPs),
  };
}

/** core.v1.Service: metadata 1, spec 2 (status 3 is not read). */
const OBJECT_METADATA = text(1);
const SERVICE_SPEC = text(2);

export const decodeService: MessageDecoder<ServiceLike> = (r, end) => {
  let metadata: ObjectMetaLike | undefined;
  let spec: ServiceLike['spec'];
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === OBJECT_METADATA) metadata = objectMeta(r, r.lengthEnd(end));
    else if (tag === SERVICE_SPEC) spec = serviceSpec(r, r.lengthEnd(end));
    else r.skip(tag & 7, end);
  }
  r.expectEnd(end);
  return { metadata, spec };
};

/** discovery.v1.EndpointConditions: ready 1, serving 2, terminating 3 (pointers: absent = unknown). */
const CONDITION_READY = scalar(1);
const CONDITION_SERVING = scalar(2);
const CONDITION_TERMINATING = scalar(3);

function conditions(r: ProtoReader, end: number): EndpointConditions {
  let ready: boolean | undefined;
  let serving: boolean | undefined;
  let terminating: boolean | undefined;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === CONDITION_READY) ready = r.bool();
    else if (tag === CONDITION_SERVING) serving = r.bool();
    else if (tag === CONDITION_TERMINATING) terminating = r.bool();
    else r.skip(tag & 7, end);
  }
  r.expectEnd(end);
  return endpointConditions(ready, serving, terminating);
}

/** discovery.v1.EndpointHints: forZones 1, forNodes 2, each a message with name 1. */
const HINTS_FOR_ZONES = text(1);
const HINTS_FOR_NODES = text(2);
const HINT_NAME = text(1);

function hintName(r: ProtoReader, end: number): { name: string } {
  let name = '';
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === HINT_NAME) name = r.sharedString(end);
    else r.skip(tag & 7, end);
  }
  r.expectEnd(end);
  return { name };
}

function hints(r: ProtoReader, end: number): EndpointHintsLike {
  let forZones: { name: string }[] | undefined;
  let forNodes: { name: string }[] | undefined;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === HINTS_FOR_ZONES) forZones = append(forZones, hintName(r, r.lengthEnd(end)));
    else if (tag === HINTS_FOR_NODES) forNodes = append(forNodes, hintName(r, r.lengthEnd(end)));
    else r.skip(tag & 7, end);
  }
  r.expectEnd(end);
  return { forZones, forNodes };
}

/** discovery.v1.Endpoint: addresses 1, conditions 2, nodeName 6, zone 7, hints 8 (pointers). */
const ENDPOINT_ADDRESSES = text(1);
const ENDPOINT_CONDITIONS = text(2);
const ENDPOINT_NODE_NAME = text(6);
const ENDPOINT_ZONE = text(7);
const ENDPOINT_HINTS = text(8);

function endpoint(r: ProtoReader, end: number): EndpointLike {
  let addresses: string[] | undefined;
  let conditionsOf: EndpointConditions | undefined;
  let nodeName: string | undefined;
  let zone: string | undefined;
  let hintsOf: EndpointHintsLike | undefined;
  while (r.pos < end) {
    const tag = r.varint();
    switch (tag) {
      case ENDPOINT_ADDRESSES:
        addresses = append(addresses, r.string(end));
        break;
      case ENDPOINT_CONDITIONS:
        conditionsOf = conditions(r, r.lengthEnd(end));
        break;
      case ENDPOINT_NODE_NAME:
        nodeName = r.sharedString(end);
        break;
      case ENDPOINT_ZONE:
        zone = r.sharedString(end);
        break;
      case ENDPOINT_HINTS:
        hintsOf = hints(r, r.lengthEnd(end));
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  r.expectEnd(end);
  // conditions is a struct, always in the JSON (as {} when nothing is known)
  return { addresses: exact(addresses) ?? [], conditions: conditionsOf ?? endpointConditions(undefined, undefined, undefined), nodeName, zone, hints: hintsOf };
}

/** discovery.v1.EndpointPort: name 1, protocol 2, port 3 (pointers). */
const ENDPOINT_PORT_NAME = text(1);
const ENDPOINT_PORT_PROTOCOL = text(2);
const ENDPOINT_PORT_PORT = scalar(3);

function endpointPort(r: ProtoReader, end: number): EndpointPortLike {
  let name: string | undefined;
  let protocol: string | undefined;
  let port: number | undefined;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === ENDPOINT_PORT_NAME) name = r.sharedString(end);
    else if (tag === ENDPOINT_PORT_PROTOCOL) protocol = r.sharedString(end);
    else if (tag === ENDPOINT_PORT_PORT) port = r.int32();
    else r.skip(tag & 7, end);
  }
  r.expectEnd(end);
  return { name, port, protocol };
}

/** discovery.v1.EndpointSlice: metadata 1, endpoints 2, ports 3, addressType 4. */
const SLICE_ENDPOINTS = text(2);
const SLICE_PORTS = text(3);
const SLICE_ADDRESS_TYPE = text(4);

export const decodeEndpointSlice: MessageDecoder<EndpointSliceLike> = (r, end) => {
  let metadata: ObjectMetaLike | undefined;
  let addressType = '';
  let endpoints: EndpointLike[] | undefined;
  let ports: EndpointPortLike[] | undefined;
  while (r.pos < end) {
    const tag = r.varint();
    switch (tag) {
      case OBJECT_METADATA:
        metadata = objectMeta(r, r.lengthEnd(end));
        break;
      case SLICE_ENDPOINTS:
        endpoints = append(endpoints, endpoint(r, r.lengthEnd(end)));
        break;
      case SLICE_PORTS:
        ports = append(ports, endpointPort(r, r.lengthEnd(end)));
        break;
      case SLICE_ADDRESS_TYPE:
        addressType = r.sharedString(end);
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
  r.expectEnd(end);
  return { metadata, addressType, endpoints: exact(endpoints), ports: exact(ports) };
};
