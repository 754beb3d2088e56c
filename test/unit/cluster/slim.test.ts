// Slimming API objects to what the proxy keeps: the named fields copied, everything else dropped,
// and malformed JSON (watch events are not schema-checked) read as absent fields, never a throw.
import { expect } from 'chai';
import fc from 'fast-check';
import { NO_PROXY_ANNOTATIONS, RecentStrings, endpointConditions } from '../../../src/cluster/shared-values.js';
import { slimEndpointSlice, slimNode, slimService } from '../../../src/cluster/slim.js';

describe('slimming API objects', () => {
  it('keeps a Service\'s fields the core reads and drops the rest', () => {
    const slim = slimService({
      metadata: {
        name: 'web',
        namespace: 'shop',
        resourceVersion: '42',
        uid: 'u-1',
        labels: { app: 'web' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"huge":true}', team: 'a', 'ipvs.kube-ipvs-proxy.io/scheduler': 'sh' },
        managedFields: [{ manager: 'kubectl' }],
      },
      spec: {
        type: 'ClusterIP',
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10', 7],
        ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', appProtocol: 'h2c' }],
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
        selector: { app: 'web' },
      },
      status: { loadBalancer: {} },
    });
    expect(slim.metadata).to.deep.include({ name: 'web', namespace: 'shop', resourceVersion: '42', labels: { app: 'web' }, annotations: { 'ipvs.kube-ipvs-proxy.io/scheduler': 'sh' } }); // only the annotations the proxy reads
    expect(slim.metadata).to.not.have.property('uid');
    expect(slim.spec?.clusterIPs).to.deep.equal(['10.96.0.10']); // the number is not an address
    expect(slim.spec?.ports).to.deep.equal([{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: undefined }]);
    expect(slim.spec?.sessionAffinityConfig).to.deep.equal({ clientIP: { timeoutSeconds: 60 } });
    expect(slim).to.not.have.property('status');
    expect(slim.spec).to.not.have.property('selector');
  });

  it('keeps an EndpointSlice\'s endpoints, conditions and ports', () => {
    const slim = slimEndpointSlice({
      metadata: { name: 'web-abc', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web', tier: 3 } },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['10.244.1.5'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'n1', zone: 'z', targetRef: { kind: 'Pod' }, hints: { forZones: [{ name: 'z' }], forNodes: [{ name: 'n1' }] } },
        { addresses: ['10.244.1.6', null], conditions: { ready: 'yes' }, hints: { forZones: [] } },
      ],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
    expect(slim.metadata?.labels).to.deep.equal({ 'kubernetes.io/service-name': 'web' }); // only string values
    expect(slim.endpoints).to.deep.equal([
      { addresses: ['10.244.1.5'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'n1', zone: 'z', hints: { forZones: [{ name: 'z' }], forNodes: [{ name: 'n1' }] } },
      // an empty hint list is no hint, as protobuf cannot tell them apart
      { addresses: ['10.244.1.6'], conditions: { ready: undefined, serving: undefined, terminating: undefined }, nodeName: undefined, zone: undefined, hints: { forZones: undefined, forNodes: undefined } },
    ]);
    expect(slim.ports).to.deep.equal([{ name: 'http', port: 8080, protocol: 'TCP' }]);
  });

  it('shares one frozen conditions object per combination, and one empty annotations object', () => {
    const values = [undefined, false, true] as const;
    const seen = new Set<object>();
    for (const ready of values) {
      for (const serving of values) {
        for (const terminating of values) {
          const c = endpointConditions(ready, serving, terminating);
          expect(c).to.deep.equal({ ready, serving, terminating });
          expect(Object.isFrozen(c)).to.equal(true);
          expect(endpointConditions(ready, serving, terminating)).to.equal(c);
          seen.add(c);
        }
      }
    }
    expect(seen.size).to.equal(27);
    const endpoints = (n: number): unknown[] => Array.from({ length: n }, (_, i) => ({ addresses: [`10.0.0.${i}`], conditions: { ready: true, serving: true, terminating: false } }));
    const [a, b] = slimEndpointSlice({ endpoints: endpoints(2) }).endpoints ?? [];
    expect(a?.conditions).to.equal(b?.conditions);
    // a Service with annotations, none of them ours: the shared empty object, not one each
    const annotated = (name: string): unknown => ({ metadata: { name, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } } });
    expect(slimService(annotated('a')).metadata?.annotations).to.equal(NO_PROXY_ANNOTATIONS).and.deep.equal({});
    expect(slimService(annotated('b')).metadata?.annotations).to.equal(NO_PROXY_ANNOTATIONS);
    expect(slimService({ metadata: { name: 'c' } }).metadata?.annotations).to.equal(undefined);
  });

  it('keeps recurring strings without ever handing back another one, from bytes or from text', () => {
    // four slots: most strings land on a slot another one holds
    const text = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('bench', 'TCP', 'node-a', 'node-b', 'é', 'ü€', '\u00c3\u00a9', 'x'.repeat(200)));
    fc.assert(
      fc.property(fc.array(fc.tuple(text, fc.boolean()), { maxLength: 200 }), (reads) => {
        const recent = new RecentStrings(2);
        for (const [s, asBytes] of reads) {
          const bytes = Buffer.from(`pad${s}`, 'utf8');
          const got = asBytes ? recent.fromBytes(bytes, 3, bytes.length) : recent.fromText(s);
          expect(got).to.equal(s);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reads malformed objects as absent fields, without throwing', () => {
    for (const junk of [null, 7, 'x', [], { metadata: 'm', spec: [], endpoints: {}, ports: 'p' }, { endpoints: [null, 3, { addresses: 'a' }] }]) {
      expect(() => slimService(junk), JSON.stringify(junk)).to.not.throw();
      expect(() => slimNode(junk), JSON.stringify(junk)).to.not.throw();
      const slice = slimEndpointSlice(junk);
      for (const e of slice.endpoints ?? []) expect(e.addresses).to.deep.equal([]);
    }
  });
});
