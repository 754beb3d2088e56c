// Kubernetes protobuf for the fake API server's list answers, written from the JSON objects it
// stores as kube-apiserver's generated marshallers write them: fields in number order, a Go
// struct's non-pointer fields always (empty strings and zeros included), pointers only when set,
// map keys sorted, int32 negatives as 10-byte varints, the "k8s\0" + runtime.Unknown envelope.
// Field numbers: k8s.io/api core/v1 and discovery/v1, k8s.io/apimachinery meta/v1 generated.proto.

/** The media type of Kubernetes protobuf. */
export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/** An object this encoder cannot write (a field it does not know, a value of the wrong type). */
export class NotEncodableError extends Error {
  override readonly name = 'NotEncodableError';
}

type Scalar = 'string' | 'int32' | 'int64' | 'bool';
export interface FieldSpec {
  readonly n: number;
  /** 'json': a message holding one bytes field 1 with the value's JSON text (metav1.FieldsV1) */
  readonly type: Scalar | 'time' | 'intOrString' | 'map' | 'json' | Schema;
  /** a Go pointer or a slice: written only when the JSON has it */
  readonly optional?: boolean;
  readonly repeated?: boolean;
}
export interface Schema {
  readonly [jsonName: string]: FieldSpec;
}

const OBJECT_REFERENCE: Schema = {
  kind: { n: 1, type: 'string' },
  namespace: { n: 2, type: 'string' },
  name: { n: 3, type: 'string' },
  uid: { n: 4, type: 'string' },
  apiVersion: { n: 5, type: 'string' },
  resourceVersion: { n: 6, type: 'string' },
  fieldPath: { n: 7, type: 'string' },
};
const OWNER_REFERENCE: Schema = {
  kind: { n: 1, type: 'string' },
  name: { n: 3, type: 'string' },
  uid: { n: 4, type: 'string' },
  apiVersion: { n: 5, type: 'string' },
  controller: { n: 6, type: 'bool', optional: true },
  blockOwnerDeletion: { n: 7, type: 'bool', optional: true },
};
const MANAGED_FIELDS_ENTRY: Schema = {
  manager: { n: 1, type: 'string' },
  operation: { n: 2, type: 'string' },
  apiVersion: { n: 3, type: 'string' },
  time: { n: 4, type: 'time', optional: true },
  fieldsType: { n: 6, type: 'string' },
  fieldsV1: { n: 7, type: 'json', optional: true },
  subresource: { n: 8, type: 'string' },
};
const OBJECT_META: Schema = {
  name: { n: 1, type: 'string' },
  generateName: { n: 2, type: 'string' },
  namespace: { n: 3, type: 'string' },
  selfLink: { n: 4, type: 'string' },
  uid: { n: 5, type: 'string' },
  resourceVersion: { n: 6, type: 'string' },
  generation: { n: 7, type: 'int64' },
  creationTimestamp: { n: 8, type: 'time' },
  deletionTimestamp: { n: 9, type: 'time', optional: true },
  deletionGracePeriodSeconds: { n: 10, type: 'int64', optional: true },
  labels: { n: 11, type: 'map', optional: true },
  annotations: { n: 12, type: 'map', optional: true },
  ownerReferences: { n: 13, type: OWNER_REFERENCE, repeated: true },
  finalizers: { n: 14, type: 'string', repeated: true },
  managedFields: { n: 17, type: MANAGED_FIELDS_ENTRY, repeated: true },
};
const SERVICE_PORT: Schema = {
  name: { n: 1, type: 'string' },
  protocol: { n: 2, type: 'string' },
  port: { n: 3, type: 'int32' },
  targetPort: { n: 4, type: 'intOrString' },
  nodePort: { n: 5, type: 'int32' },
  appProtocol: { n: 6, type: 'string', optional: true },
};
const SERVICE_SPEC: Schema = {
  ports: { n: 1, type: SERVICE_PORT, repeated: true },
  selector: { n: 2, type: 'map', optional: true },
  clusterIP: { n: 3, type: 'string' },
  type: { n: 4, type: 'string' },
  externalIPs: { n: 5, type: 'string', repeated: true },
  sessionAffinity: { n: 7, type: 'string' },
  loadBalancerIP: { n: 8, type: 'string' },
  loadBalancerSourceRanges: { n: 9, type: 'string', repeated: true },
  externalName: { n: 10, type: 'string' },
  externalTrafficPolicy: { n: 11, type: 'string' },
  healthCheckNodePort: { n: 12, type: 'int32' },
  publishNotReadyAddresses: { n: 13, type: 'bool' },
  sessionAffinityConfig: { n: 14, type: { clientIP: { n: 1, type: { timeoutSeconds: { n: 1, type: 'int32', optional: true } }, optional: true } }, optional: true },
  ipFamilyPolicy: { n: 17, type: 'string', optional: true },
  clusterIPs: { n: 18, type: 'string', repeated: true },
  ipFamilies: { n: 19, type: 'string', repeated: true },
  allocateLoadBalancerNodePorts: { n: 20, type: 'bool', optional: true },
  loadBalancerClass: { n: 21, type: 'string', optional: true },
  internalTrafficPolicy: { n: 22, type: 'string', optional: true },
  trafficDistribution: { n: 23, type: 'string', optional: true },
};
const SERVICE_STATUS: Schema = {
  loadBalancer: { n: 1, type: { ingress: { n: 1, type: { ip: { n: 1, type: 'string' }, hostname: { n: 2, type: 'string' } }, repeated: true } } },
};
const SERVICE: Schema = {
  metadata: { n: 1, type: OBJECT_META },
  spec: { n: 2, type: SERVICE_SPEC },
  status: { n: 3, type: SERVICE_STATUS },
};
const ENDPOINT: Schema = {
  addresses: { n: 1, type: 'string', repeated: true },
  conditions: {
    n: 2,
    type: { ready: { n: 1, type: 'bool', optional: true }, serving: { n: 2, type: 'bool', optional: true }, terminating: { n: 3, type: 'bool', optional: true } },
  },
  hostname: { n: 3, type: 'string', optional: true },
  targetRef: { n: 4, type: OBJECT_REFERENCE, optional: true },
  deprecatedTopology: { n: 5, type: 'map', optional: true },
  nodeName: { n: 6, type: 'string', optional: true },
  zone: { n: 7, type: 'string', optional: true },
  hints: {
    n: 8,
    type: { forZones: { n: 1, type: { name: { n: 1, type: 'string' } }, repeated: true }, forNodes: { n: 2, type: { name: { n: 1, type: 'string' } }, repeated: true } },
    optional: true,
  },
};
const ENDPOINT_SLICE: Schema = {
  metadata: { n: 1, type: OBJECT_META },
  endpoints: { n: 2, type: ENDPOINT, repeated: true },
  ports: {
    n: 3,
    type: { name: { n: 1, type: 'string', optional: true }, protocol: { n: 2, type: 'string', optional: true }, port: { n: 3, type: 'int32', optional: true }, appProtocol: { n: 4, type: 'string', optional: true } },
    repeated: true,
  },
  addressType: { n: 4, type: 'string' },
};

/** The kinds this encoder writes, by the kind of their list. */
const SCHEMAS: Readonly<Record<string, Schema>> = { Service: SERVICE, EndpointSlice: ENDPOINT_SLICE };

class Writer {
  readonly #chunks: Buffer[] = [];
  #pending: number[] = [];
  varint(value: number): void {
    if (value >= 0 && Number.isSafeInteger(value)) {
      let v = value;
      while (v >= 0x80) {
        this.#pending.push((v % 0x80) | 0x80);
        v = Math.floor(v / 0x80);
      }
      this.#pending.push(v);
      return;
    }
    // negative int32/int64 are written as their 64-bit two's complement (10 bytes)
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.#pending.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#pending.push(Number(v));
  }
  bytes(data: Uint8Array): void {
    this.varint(data.length);
    this.#flush();
    this.#chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }
  finish(): Buffer {
    this.#flush();
    return Buffer.concat(this.#chunks);
  }
  #flush(): void {
    if (this.#pending.length === 0) return;
    this.#chunks.push(Buffer.from(this.#pending));
    this.#pending = [];
  }
}

function fail(path: string, what: string): never {
  throw new NotEncodableError(`${path}: ${what}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function int(value: unknown, path: string, bits: 32 | 64): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) fail(path, `not an integer: ${JSON.stringify(value)}`);
  if (bits === 32 && (value < -(2 ** 31) || value >= 2 ** 31)) fail(path, `out of int32 range: ${value}`);
  return value;
}

/** Go's zero time (an unset non-pointer metav1.Time), in Unix seconds. */
const GO_ZERO_TIME_SECONDS = -62135596800;

function timeMessage(value: unknown, path: string): Buffer {
  // metav1.Time in JSON is RFC 3339 to the second
  const ms = value === undefined ? GO_ZERO_TIME_SECONDS * 1000 : typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) fail(path, `not a time: ${JSON.stringify(value)}`);
  const w = new Writer();
  w.tag(1, 0);
  w.varint(Math.floor(ms / 1000));
  w.tag(2, 0);
  w.varint(0);
  return w.finish();
}

function intOrStringMessage(value: unknown, path: string): Buffer {
  const w = new Writer();
  const isString = typeof value === 'string';
  w.tag(1, 0);
  w.varint(isString ? 1 : 0);
  w.tag(2, 0);
  w.varint(isString ? 0 : int(value ?? 0, path, 32));
  w.tag(3, 2);
  w.bytes(Buffer.from(isString ? value : '', 'utf8'));
  return w.finish();
}

function mapEntries(w: Writer, n: number, value: unknown, path: string): void {
  if (!isRecord(value)) fail(path, 'not a map');
  for (const key of Object.keys(value).sort()) {
    const v = value[key];
    if (typeof v !== 'string') fail(`${path}.${key}`, 'not a string');
    const entry = new Writer();
    entry.tag(1, 2);
    entry.bytes(Buffer.from(key, 'utf8'));
    entry.tag(2, 2);
    entry.bytes(Buffer.from(v, 'utf8'));
    w.tag(n, 2);
    w.bytes(entry.finish());
  }
}

function writeValue(w: Writer, spec: FieldSpec, value: unknown, path: string): void {
  const type = spec.type;
  switch (type) {
    case 'string':
      if (typeof value !== 'string') fail(path, `not a string: ${JSON.stringify(value)}`);
      w.tag(spec.n, 2);
      w.bytes(Buffer.from(value, 'utf8'));
      return;
    case 'int32':
    case 'int64':
      w.tag(spec.n, 0);
      w.varint(int(value, path, type === 'int32' ? 32 : 64));
      return;
    case 'bool':
      if (typeof value !== 'boolean') fail(path, `not a boolean: ${JSON.stringify(value)}`);
      w.tag(spec.n, 0);
      w.varint(value ? 1 : 0);
      return;
    case 'time':
      w.tag(spec.n, 2);
      w.bytes(timeMessage(value, path));
      return;
    case 'intOrString':
      w.tag(spec.n, 2);
      w.bytes(intOrStringMessage(value, path));
      return;
    case 'map':
      mapEntries(w, spec.n, value, path);
      return;
    case 'json': {
      const raw = new Writer();
      raw.tag(1, 2);
      raw.bytes(Buffer.from(JSON.stringify(value), 'utf8'));
      w.tag(spec.n, 2);
      w.bytes(raw.finish());
      return;
    }
    default:
      if (value !== undefined && !isRecord(value)) fail(path, 'not an object');
      w.tag(spec.n, 2);
      w.bytes(encodeMessage(type, value ?? {}, path));
  }
}

const ZERO: Readonly<Record<Scalar, string | number | boolean>> = { string: '', int32: 0, int64: 0, bool: false };

const ordered = new WeakMap<Schema, readonly (readonly [string, FieldSpec])[]>();
/** A schema's fields in number order, as Go's marshallers write them. */
function fieldsInOrder(schema: Schema): readonly (readonly [string, FieldSpec])[] {
  let fields = ordered.get(schema);
  if (fields === undefined) ordered.set(schema, (fields = Object.entries(schema).sort(([, a], [, b]) => a.n - b.n)));
  return fields;
}

/** One message from its JSON form: unknown fields and values of the wrong type throw. */
export function encodeMessage(schema: Schema, json: Record<string, unknown>, path = ''): Buffer {
  for (const key of Object.keys(json)) if (schema[key] === undefined) fail(`${path}.${key}`, 'no protobuf field here');
  const w = new Writer();
  for (const [name, spec] of fieldsInOrder(schema)) {
    const value = json[name];
    const at = `${path}.${name}`;
    if (spec.repeated === true) {
      if (value === undefined || value === null) continue;
      if (!Array.isArray(value)) fail(at, 'not a list');
      value.forEach((v: unknown, i) => writeValue(w, spec, v, `${at}[${i}]`));
    } else if (value === undefined || value === null) {
      if (spec.optional === true || spec.type === 'map') continue;
      // a Go struct's non-pointer field: written even when empty
      writeValue(w, spec, typeof spec.type === 'string' && spec.type in ZERO ? ZERO[spec.type as Scalar] : undefined, at);
    } else writeValue(w, spec, value, at);
  }
  return w.finish();
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** The "k8s\0" + runtime.Unknown envelope around an object's bytes. */
export function envelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const typeMeta = new Writer();
  typeMeta.tag(1, 2);
  typeMeta.bytes(Buffer.from(apiVersion, 'utf8'));
  typeMeta.tag(2, 2);
  typeMeta.bytes(Buffer.from(kind, 'utf8'));
  const unknown = new Writer();
  unknown.tag(1, 2);
  unknown.bytes(typeMeta.finish());
  unknown.tag(2, 2);
  unknown.bytes(raw);
  unknown.tag(3, 2);
  unknown.bytes(Buffer.alloc(0));
  unknown.tag(4, 2);
  unknown.bytes(Buffer.alloc(0));
  return Buffer.concat([MAGIC, unknown.finish()]);
}

/** Whether objects of this kind can be answered in protobuf here. */
export function encodesKind(kind: string): boolean {
  return SCHEMAS[kind] !== undefined;
}

/** One stored object's bytes (no envelope): what a list's items field holds. */
export function encodeObject(kind: string, object: Record<string, unknown>): Buffer {
  const schema = SCHEMAS[kind] ?? fail(kind, 'no protobuf schema for this kind');
  // apiVersion and kind travel in the envelope, not in the object's bytes
  const { apiVersion: _apiVersion, kind: _kind, ...fields } = object;
  return encodeMessage(schema, fields, kind);
}

/** A list answer: ListMeta (resourceVersion) and the items' bytes, in the envelope. */
export function encodeList(apiVersion: string, kind: string, resourceVersion: string, items: readonly Uint8Array[]): Buffer {
  const list = new Writer();
  const meta = new Writer();
  meta.tag(1, 2);
  meta.bytes(Buffer.alloc(0));
  meta.tag(2, 2);
  meta.bytes(Buffer.from(resourceVersion, 'utf8'));
  meta.tag(3, 2);
  meta.bytes(Buffer.alloc(0));
  list.tag(1, 2);
  list.bytes(meta.finish());
  for (const item of items) {
    list.tag(2, 2);
    list.bytes(item);
  }
  return envelope(apiVersion, `${kind}List`, list.finish());
}
