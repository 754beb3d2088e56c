// Kubernetes protobuf lists: the wire reader's edge cases (negative int32 as 10-byte varints, int64
// beyond 2^53, truncation), and for any Service or EndpointSlice an API server could send, the
// protobuf decoders give exactly what slim.ts makes of the same object in JSON.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { decodeEndpointSlice, decodeList, decodeService, ProtobufError, ProtobufListReader, ProtoReader, statusMessage } from '../../../src/cluster/protobuf/index.js';
import { recentStrings } from '../../../src/cluster/shared-values.js';
import { slimEndpointSlice, slimService } from '../../../src/cluster/slim.js';
import { SCHEDULER_ANNOTATION, SCHEDULER_FLAGS_ANNOTATION } from '../../../src/model/kube.js';
import { encodeList, encodeMessage, encodeObject, envelope } from '../../support/fake-apiserver/protobuf.js';

const reader = (...bytes: number[]): ProtoReader => new ProtoReader(Buffer.from(bytes));

describe('protobuf wire reader', () => {
  it('reads int32 negatives from their 10-byte two\'s complement varints', () => {
    expect(reader(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01).int32()).to.equal(-1);
    // -2147483648
    expect(reader(0x80, 0x80, 0x80, 0x80, 0xf8, 0xff, 0xff, 0xff, 0xff, 0x01).int32()).to.equal(-(2 ** 31));
    expect(reader(0xff, 0xff, 0xff, 0xff, 0x07).int32()).to.equal(2 ** 31 - 1);
    expect(reader(0xac, 0x02).int32()).to.equal(300);
  });

  it('reads int64 exactly, past 2^53 and negative (Go\'s zero time in seconds)', () => {
    const encode = (v: bigint): number[] => {
      const out: number[] = [];
      let u = BigInt.asUintN(64, v);
      while (u >= 0x80n) {
        out.push(Number(u & 0x7fn) | 0x80);
        u >>= 7n;
      }
      out.push(Number(u));
      return out;
    };
    for (const v of [0n, 1n, 2n ** 53n - 1n, -62135596800n, -1n, 1764201600n]) {
      const r = reader(...encode(v));
      expect(r.int64()).to.equal(Number(v));
      expect(r.pos).to.equal(encode(v).length);
    }
  });

  it('refuses truncated varints, lengths past their message and unknown wire types, naming the offset', () => {
    expect(() => reader(0x80).varint()).to.throw(ProtobufError, /truncated varint/);
    expect(() => reader(...new Array<number>(11).fill(0x80)).varint()).to.throw(ProtobufError, /longer than 10 bytes/);
    expect(() => reader(0x05, 0x61).string(2)).to.throw(ProtobufError, /runs past its message \(at byte 0\)/);
    expect(() => reader(0x00).skip(3, 1)).to.throw(ProtobufError, /unsupported wire type 3/);
    expect(() => reader(0x00, 0x00).skip(1, 2)).to.throw(ProtobufError, /fixed-size field runs past/);
    const r = reader(0x01, 0x02, 0x03, 0x04, 0x09);
    r.skip(5, 5);
    expect(r.pos).to.equal(4);
  });

  it('decodes UTF-8 strings, short and long', () => {
    for (const s of ['', 'a', 'ü€😀', 'x'.repeat(47) + 'é', 'long '.repeat(40), 'long '.repeat(40) + '😀']) {
      const bytes = Buffer.from(s, 'utf8');
      expect(new ProtoReader(Buffer.concat([Buffer.from([bytes.length > 127 ? (bytes.length & 0x7f) | 0x80 : bytes.length]), ...(bytes.length > 127 ? [Buffer.from([bytes.length >> 7])] : []), bytes])).string(1000)).to.equal(s);
    }
  });

  it('gives recurring strings exactly as Buffer decodes them (and the JSON path as it read them), whatever took their slots between', () => {
    const field = (s: string): Buffer => {
      const bytes = Buffer.from(s, 'utf8');
      return Buffer.concat([encodeVarint(bytes.length), bytes]);
    };
    // far more distinct strings than the cache has slots: colliding slots replace each other
    const text = fc.oneof(fc.string({ maxLength: 20 }), fc.stringMatching(/^[a-z0-9./-]{0,140}$/), fc.constantFrom('default', 'TCP', 'IPv4', 'node-a', 'ü€😀', '\u0080', 'é'));
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 300 }), (texts) => {
        const body = Buffer.concat(texts.flatMap((s) => [field(s), field(s)]));
        const r = new ProtoReader(body);
        for (const s of texts) {
          const first = r.sharedString(body.length);
          // the JSON path keeps its strings in the same table
          const fromJson = recentStrings.fromText(`${s}`);
          const again = r.sharedString(body.length);
          expect(first).to.equal(s);
          expect(fromJson).to.equal(s);
          expect(again).to.equal(s);
        }
        expect(r.pos).to.equal(body.length);
      }),
      { numRuns: 200 },
    );
  });

  it('reads a string that may repeat a known one as Buffer decodes it, whatever the known one is', () => {
    const read = (s: string, known: string): string => {
      const bytes = Buffer.from(s, 'utf8');
      return new ProtoReader(Buffer.concat([encodeVarint(bytes.length), bytes])).stringLike(bytes.length + 1, known);
    };
    expect(read('10.96.0.1', '10.96.0.1')).to.equal('10.96.0.1');
    expect(read('10.96.0.2', '10.96.0.1')).to.equal('10.96.0.2');
    expect(read('10.96.0.10', '10.96.0.1')).to.equal('10.96.0.10');
    expect(read('', '10.96.0.1')).to.equal('');
    // é's UTF-8 bytes are C3 A9, the character codes of 'Ã©': the same length, not the same text
    expect(read('é', '\u00c3\u00a9')).to.equal('é');
  });
});

function encodeVarint(n: number): Buffer {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return Buffer.from(out);
}

// ---- objects as kube-apiserver sends them in JSON: omitempty fields absent rather than empty,
// pointer fields absent or set (even to ""), nil slices as null
const dnsName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
const someString = fc.oneof(dnsName, fc.string({ maxLength: 60 }), fc.constantFrom('ü€😀', 'é'.repeat(30), 'x'.repeat(200)));
const nonEmpty = someString.filter((s) => s !== '');
const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const port = fc.oneof(fc.integer({ min: 1, max: 65535 }), int32);
// no lone escaped character as a key: Node 24.21's JSON.parse can swap such keys (list-stream.test.ts)
const mapKey = fc.oneof(dnsName, nonEmpty).filter((k) => k.length !== 1 || JSON.stringify(k).length === 3);
const stringMap = fc.dictionary(mapKey, someString, { minKeys: 1, maxKeys: 4 });
const time = fc.integer({ min: 0, max: 4_000_000_000 }).map((s) => new Date(s * 1000).toISOString().replace('.000Z', 'Z'));
const annotations = fc
  .record({
    [SCHEDULER_ANNOTATION]: fc.option(fc.constantFrom('rr', 'wrr', 'ščheduler'), { nil: undefined }),
    [SCHEDULER_FLAGS_ANNOTATION]: fc.option(someString, { nil: undefined }),
    'kubectl.kubernetes.io/last-applied-configuration': fc.option(fc.string({ minLength: 100, maxLength: 3000 }), { nil: undefined }),
    other: fc.option(someString, { nil: undefined }),
  })
  .map((a) => Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined)));
const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });
const compact = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const objectMeta = fc
  .record({
    name: optional(dnsName),
    generateName: optional(dnsName),
    namespace: optional(dnsName),
    uid: optional(fc.uuid()),
    resourceVersion: optional(fc.nat().map(String)),
    generation: optional(fc.nat()),
    creationTimestamp: time,
    deletionTimestamp: optional(time),
    deletionGracePeriodSeconds: optional(fc.nat()),
    labels: optional(stringMap),
    annotations: optional(annotations.filter((a) => Object.keys(a).length > 0)),
    ownerReferences: optional(fc.array(fc.record({ apiVersion: fc.constant('v1'), kind: dnsName, name: dnsName, uid: fc.uuid(), controller: optional(fc.boolean()) }).map(compact), { minLength: 1, maxLength: 2 })),
    finalizers: optional(fc.array(dnsName, { minLength: 1, maxLength: 2 })),
  })
  .map(compact);

const servicePort = fc
  .record({ name: optional(dnsName), protocol: optional(fc.constantFrom('TCP', 'UDP', 'SCTP', 'QUIC')), appProtocol: optional(someString), port, targetPort: fc.oneof(port, dnsName), nodePort: optional(fc.integer({ min: 1, max: 65535 })) })
  .map(compact);
const service = fc
  .record({
    metadata: objectMeta,
    spec: fc
      .record({
        ports: optional(fc.array(servicePort, { minLength: 1, maxLength: 3 })),
        selector: optional(stringMap),
        clusterIP: optional(fc.oneof(ip, fc.constant('None'))),
        clusterIPs: optional(fc.array(ip, { minLength: 1, maxLength: 2 })),
        type: optional(fc.constantFrom('ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName')),
        externalIPs: optional(fc.array(ip, { minLength: 1, maxLength: 2 })),
        sessionAffinity: optional(fc.constantFrom('None', 'ClientIP')),
        externalTrafficPolicy: optional(fc.constantFrom('Cluster', 'Local')),
        healthCheckNodePort: optional(fc.integer({ min: 1, max: 65535 })),
        publishNotReadyAddresses: optional(fc.constant(true)),
        sessionAffinityConfig: optional(fc.record({ clientIP: optional(fc.record({ timeoutSeconds: optional(int32) }).map(compact)) }).map(compact)),
        ipFamilies: optional(fc.array(fc.constantFrom('IPv4', 'IPv6'), { minLength: 1, maxLength: 2 })),
        ipFamilyPolicy: optional(fc.constantFrom('SingleStack', 'PreferDualStack')),
        internalTrafficPolicy: optional(fc.constantFrom('Cluster', 'Local', '')),
        trafficDistribution: optional(fc.constant('PreferClose')),
      })
      .map(compact),
    status: fc.oneof(fc.constant({ loadBalancer: {} }), fc.record({ loadBalancer: fc.record({ ingress: fc.array(fc.record({ ip }), { minLength: 1, maxLength: 2 }) }) })),
  })
  .map((o) => ({ apiVersion: 'v1', kind: 'Service', ...o }));

const endpoint = fc
  .record({
    addresses: fc.array(ip, { maxLength: 3 }),
    conditions: fc.record({ ready: optional(fc.boolean()), serving: optional(fc.boolean()), terminating: optional(fc.boolean()) }).map(compact),
    hostname: optional(someString),
    targetRef: optional(fc.record({ kind: fc.constant('Pod'), namespace: dnsName, name: dnsName, uid: fc.uuid() })),
    deprecatedTopology: optional(stringMap),
    nodeName: optional(fc.oneof(dnsName, fc.constant(''))),
    zone: optional(someString),
    hints: optional(fc.record({ forZones: optional(fc.array(fc.record({ name: dnsName }), { minLength: 1, maxLength: 2 })), forNodes: optional(fc.array(fc.record({ name: dnsName }), { minLength: 1, maxLength: 2 })) }).map(compact)),
  })
  .map(compact);
const endpointPort = fc.record({ name: optional(fc.oneof(dnsName, fc.constant(''))), protocol: optional(fc.constantFrom('TCP', 'UDP')), port: optional(port), appProtocol: optional(someString) }).map(compact);
const endpointSlice = fc
  .record({
    metadata: objectMeta,
    addressType: fc.constantFrom('IPv4', 'IPv6', 'FQDN'),
    endpoints: fc.oneof(fc.constant(null), fc.array(endpoint, { minLength: 1, maxLength: 4 })),
    ports: fc.oneof(fc.constant(null), fc.array(endpointPort, { minLength: 1, maxLength: 2 })),
  })
  .map((o) => ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', ...o }));

/** JSON as it travels: what slim.ts reads (a Date where JSON has a time string is slim's job). */
const viaJson = (o: unknown): unknown => JSON.parse(JSON.stringify(o)) as unknown;

/** An EndpointSlice list's body, and its items read whole. */
function sliceList(slices: readonly Record<string, unknown>[], rv: string): { body: Buffer; whole: unknown[] } {
  const body = encodeList('discovery.k8s.io/v1', 'EndpointSlice', rv, slices.map((s) => encodeObject('EndpointSlice', s)));
  const whole: unknown[] = [];
  decodeList(body, 'EndpointSliceList', decodeEndpointSlice, (s) => whole.push(s));
  return { body, whole };
}

/** What a list reader reads of `bytes` written to it in pieces cut at `rawCuts` (modulo its length). */
function readInPieces(bytes: Buffer, rawCuts: readonly number[]): { items: unknown[]; resourceVersion: string } {
  const items: unknown[] = [];
  const reader = new ProtobufListReader('EndpointSliceList', decodeEndpointSlice, (s) => items.push(s));
  let at = 0;
  for (const cut of [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    reader.write(bytes.subarray(at, cut));
    at = cut;
  }
  reader.write(bytes.subarray(at));
  return { items, resourceVersion: reader.end() };
}

describe('protobuf lists', () => {
  it('decode any Service as slim.ts reads its JSON', () => {
    fc.assert(
      fc.property(fc.array(service, { maxLength: 5 }), fc.nat().map(String), (services, rv) => {
        const body = encodeList('v1', 'Service', rv, services.map((s) => encodeObject('Service', s)));
        const items: unknown[] = [];
        expect(decodeList(body, 'ServiceList', decodeService, (s) => items.push(s))).to.equal(rv);
        expect(items).to.deep.equal(services.map((s) => slimService(viaJson(s))));
      }),
      { numRuns: 300 },
    );
  });

  it('decode any EndpointSlice as slim.ts reads its JSON', () => {
    fc.assert(
      fc.property(fc.array(endpointSlice, { maxLength: 5 }), (slices) => {
        const body = encodeList('discovery.k8s.io/v1', 'EndpointSlice', '7', slices.map((s) => encodeObject('EndpointSlice', s)));
        const items: unknown[] = [];
        decodeList(body, 'EndpointSliceList', decodeEndpointSlice, (s) => items.push(s));
        expect(items).to.deep.equal(slices.map((s) => slimEndpointSlice(viaJson(s))));
      }),
      { numRuns: 300 },
    );
  });

  it('read the same items from any split of the body into chunks, and refuse one cut short anywhere', () => {
    fc.assert(
      fc.property(fc.array(endpointSlice, { maxLength: 4 }), fc.array(fc.nat(), { maxLength: 12 }), fc.nat(), (slices, rawCuts, rawEnd) => {
        const { body, whole } = sliceList(slices, '42');
        expect(readInPieces(body, rawCuts)).to.deep.equal({ items: whole, resourceVersion: '42' });
        // the envelope's last 4 bytes are two empty optional fields (contentEncoding, contentType):
        // without them the body is still whole, so cuts are made before them
        const short = rawEnd % (body.length - 4);
        expect(() => readInPieces(body.subarray(0, short), rawCuts), `cut at ${short} of ${body.length}`).to.throw(ProtobufError);
      }),
      { numRuns: 300 },
    );
  });

  it('read the same items when chunks run kilobytes past a field the previous chunk cut', () => {
    // the reader joins a cut field with the next chunk a few KiB at a time and reads the rest of
    // that chunk in place: long lists, few cuts, so most chunks hold more than the join takes
    fc.assert(
      fc.property(fc.array(endpointSlice, { minLength: 30, maxLength: 80 }), fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), (slices, rawCuts) => {
        const { body, whole } = sliceList(slices, '7');
        expect(readInPieces(body, rawCuts)).to.deep.equal({ items: whole, resourceVersion: '7' });
      }),
      { numRuns: 60 },
    );
  });

  it('refuse a body of another kind, without the k8s prefix, or cut short', () => {
    const body = encodeList('v1', 'Service', '5', [encodeObject('Service', { metadata: { name: 'a', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: {}, status: {} })]);
    expect(() => decodeList(body, 'EndpointSliceList', decodeEndpointSlice, () => {})).to.throw(ProtobufError, /expected a EndpointSliceList, got a ServiceList/);
    expect(() => decodeList(Buffer.from('{"kind":"ServiceList"}'), 'ServiceList', decodeService, () => {})).to.throw(ProtobufError, /no "k8s\\0" prefix/);
    // an item whose length runs past the list's own length (the list cut, the envelope going on)
    const item = encodeObject('Service', { metadata: { name: 'a', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: {}, status: {} });
    expect(item.length).to.be.below(128);
    const list = Buffer.concat([Buffer.from([0x12, item.length]), item]);
    const overrun = Buffer.concat([envelope('v1', 'ServiceList', list.subarray(0, list.length - 3)), Buffer.alloc(64)]);
    expect(() => decodeList(overrun, 'ServiceList', decodeService, () => {})).to.throw(ProtobufError, /runs past the list/);
    for (const cut of [body.length - 5, body.length - 20, 30]) {
      expect(() => decodeList(body.subarray(0, cut), 'ServiceList', decodeService, () => {}), `cut at ${cut}`).to.throw(ProtobufError);
    }
  });

  it('read a protobuf Status\'s message (errors from an API server answering in protobuf)', () => {
    const status = encodeMessage({ status: { n: 2, type: 'string' }, message: { n: 3, type: 'string' }, reason: { n: 4, type: 'string' }, code: { n: 6, type: 'int32' } }, {
      status: 'Failure',
      message: 'services is forbidden: User "system:anonymous" cannot list resource "services"',
      reason: 'Forbidden',
      code: 403,
    });
    expect(statusMessage(envelope('v1', 'Status', status))).to.match(/^services is forbidden/);
    expect(statusMessage(Buffer.from('not protobuf'))).to.equal(undefined);
  });
});

// The fake API server's protobuf read by an independent reader, protoc --decode_raw, which knows no
// schema: the field numbers it shows are those of k8s.io/api's generated.proto, non-pointer fields
// written even when empty and negative int32 as 64-bit two's complement, as kube-apiserver writes them.
describe('the fake API server\'s protobuf, read by protoc --decode_raw', () => {
  const decodeRaw = (bytes: Buffer): string => execFileSync('protoc', ['--decode_raw'], { input: bytes, encoding: 'utf8' });
  const created = { creationTimestamp: '2026-11-27T00:00:00Z' };

  it('a Service', () => {
    const service = {
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, ...created },
      spec: { clusterIP: '10.96.0.10', ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: -1 }], sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } } },
      status: { loadBalancer: {} },
    };
    const bytes = encodeObject('Service', service);
    expect(decodeRaw(bytes)).to.equal(
      '1 {\n  1: "web"\n  2: ""\n  3: "default"\n  4: ""\n  5: ""\n  6: ""\n  7: 0\n  8 {\n    1: 1795737600\n    2: 0\n  }\n  11 {\n    1: "app"\n    2: "web"\n  }\n}\n' +
        '2 {\n  1 {\n    1: "http"\n    2: "TCP"\n    3: 80\n    4 {\n      1: 1\n      2: 0\n      3: "http"\n    }\n    5: 18446744073709551615\n  }\n' +
        '  3: "10.96.0.10"\n  4: ""\n  7: ""\n  8: ""\n  10: ""\n  11: ""\n  12: 0\n  13: 0\n  14 {\n    1 {\n      1: 10800\n    }\n  }\n}\n3 {\n  1: ""\n}\n',
    );
    const items: unknown[] = [];
    decodeList(encodeList('v1', 'Service', '1', [bytes]), 'ServiceList', decodeService, (x) => items.push(x));
    expect(items).to.deep.equal([slimService(viaJson(service))]);
  });

  it('an EndpointSlice', () => {
    const slice = {
      metadata: { name: 'web-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' }, ...created },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.1.5'], conditions: { ready: true, terminating: false }, nodeName: 'node-a' }],
      ports: [{ name: '', protocol: 'TCP', port: 8080 }],
    };
    const bytes = encodeObject('EndpointSlice', slice);
    expect(decodeRaw(bytes)).to.equal(
      '1 {\n  1: "web-abc"\n  2: ""\n  3: "default"\n  4: ""\n  5: ""\n  6: ""\n  7: 0\n  8 {\n    1: 1795737600\n    2: 0\n  }\n  11 {\n    1: "kubernetes.io/service-name"\n    2: "web"\n  }\n}\n' +
        '2 {\n  1: "10.244.1.5"\n  2 {\n    1: 1\n    3: 0\n  }\n  6: "node-a"\n}\n3 {\n  1: ""\n  2: "TCP"\n  3: 8080\n}\n4: "IPv4"\n',
    );
    const items: unknown[] = [];
    decodeList(encodeList('discovery.k8s.io/v1', 'EndpointSlice', '1', [bytes]), 'EndpointSliceList', decodeEndpointSlice, (x) => items.push(x));
    expect(items).to.deep.equal([slimEndpointSlice(viaJson(slice))]);
  });
});
