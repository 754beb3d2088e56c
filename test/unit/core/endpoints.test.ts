// Endpoint choice against its definition, for any slices: an endpoint (by address and port) is
// chosen when one of its copies is ready; only when no endpoint is ready, when one of its copies is
// serving and terminating; bad addresses are rejected, never chosen.
import { expect } from 'chai';
import fc from 'fast-check';
import { selectRealServers, type EndpointChoice, type SliceRef } from '../../../src/core/endpoints.js';
import type { Rejection } from '../../../src/core/index.js';
import type { EndpointLike } from '../../../src/model/index.js';

const choice: EndpointChoice = { family: 4, portName: 'http', protocol: 'TCP', localOnly: false, nodeName: 'node-a', zone: '' };

/** The definition, written the long way: every copy looked at, then the rule applied. */
function reference(slices: readonly SliceRef[]): string[] {
  const copies = new Map<string, { ready: boolean; servingTerminating: boolean }>();
  for (const { slice } of slices) {
    const port = slice.ports?.find((p) => p.name === 'http')?.port;
    for (const ep of slice.endpoints ?? []) {
      const address = ep.addresses[0] ?? '';
      if (!/^10\.0\.0\.\d$/.test(address)) continue;
      const ready = ep.conditions?.ready ?? true;
      const servingTerminating = (ep.conditions?.serving ?? ready) && (ep.conditions?.terminating ?? false);
      const key = `${address}:${String(port)}`;
      const seen = copies.get(key) ?? { ready: false, servingTerminating: false };
      copies.set(key, { ready: seen.ready || ready, servingTerminating: seen.servingTerminating || servingTerminating });
    }
  }
  const anyReady = [...copies.values()].some((c) => c.ready);
  return [...copies].filter(([, c]) => (anyReady ? c.ready : c.servingTerminating)).map(([k]) => k).sort();
}

const condition = fc.constantFrom(undefined, true, false);
const endpoint: fc.Arbitrary<EndpointLike> = fc.record({
  addresses: fc.constantFrom(['10.0.0.1'], ['10.0.0.2'], ['10.0.0.3'], ['fd00::1'], ['nonsense'], []),
  conditions: fc.option(fc.record({ ready: condition, serving: condition, terminating: condition }), { nil: undefined }),
});
const slices: fc.Arbitrary<SliceRef[]> = fc.array(
  fc.record({ endpoints: fc.array(endpoint, { maxLength: 5 }), port: fc.constantFrom(8080, 9090) }),
  { maxLength: 3 },
).map((list) => list.map(({ endpoints, port }, i) => ({ key: `default/web-${i}`, slice: { addressType: 'IPv4', endpoints, ports: [{ name: 'http', port, protocol: 'TCP' }] } })));

describe('core: endpoint choice', () => {
  it('chooses what the definition chooses, once each, and rejects every bad address', () => {
    fc.assert(
      fc.property(slices, (given) => {
        const rejections: Rejection[] = [];
        const chosen = selectRealServers(given, choice, rejections);
        expect([...chosen.keys()].sort()).to.deep.equal(reference(given));
        for (const [k, rs] of chosen) expect(`${rs.address}:${rs.port}`).to.equal(k);
        const bad = given.flatMap((s) => s.slice.endpoints ?? []).filter((e) => !/^10\.0\.0\.\d$/.test(e.addresses[0] ?? '')).length;
        expect(rejections.filter((r) => r.reason === 'InvalidEndpointAddress')).to.have.length(bad);
      }),
      { numRuns: 500 },
    );
  });

  describe('topology hints (trafficDistribution, topology-aware routing), as kube-proxy weighs them', () => {
    type Hinted = { ip: string; node?: string; zones?: string[]; nodes?: string[]; ready?: boolean; serving?: boolean; terminating?: boolean };
    const sliceOf = (eps: Hinted[]): SliceRef[] => [
      {
        key: 'default/web-1',
        slice: {
          addressType: 'IPv4',
          ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
          endpoints: eps.map((e) => ({
            addresses: [e.ip],
            nodeName: e.node,
            conditions: { ready: e.ready ?? true, serving: e.serving, terminating: e.terminating },
            hints: e.zones === undefined && e.nodes === undefined ? undefined : { forZones: e.zones?.map((name) => ({ name })), forNodes: e.nodes?.map((name) => ({ name })) },
          })),
        },
      },
    ];
    const chosen = (eps: Hinted[], over: Partial<EndpointChoice> = {}): string[] =>
      [...selectRealServers(sliceOf(eps), { ...choice, zone: 'zone-a', ...over }, []).values()].map((r) => r.address).sort();

    const cases: Array<{ what: string; eps: Hinted[]; over?: Partial<EndpointChoice>; want: string[] }> = [
      { what: 'every ready endpoint hinted, some for this zone: only those', eps: [{ ip: '10.0.0.1', zones: ['zone-a'] }, { ip: '10.0.0.2', zones: ['zone-b'] }, { ip: '10.0.0.3', zones: ['zone-a', 'zone-c'] }], want: ['10.0.0.1', '10.0.0.3'] },
      { what: 'a ready endpoint without a hint: all of them', eps: [{ ip: '10.0.0.1', zones: ['zone-a'] }, { ip: '10.0.0.2' }], want: ['10.0.0.1', '10.0.0.2'] },
      { what: 'no hint for this zone: all of them', eps: [{ ip: '10.0.0.1', zones: ['zone-b'] }, { ip: '10.0.0.2', zones: ['zone-c'] }], want: ['10.0.0.1', '10.0.0.2'] },
      { what: 'a node without a zone label: all of them', eps: [{ ip: '10.0.0.1', zones: ['zone-a'] }, { ip: '10.0.0.2', zones: ['zone-b'] }], over: { zone: '' }, want: ['10.0.0.1', '10.0.0.2'] },
      // a serving terminating endpoint is kept aside as the fallback, and its missing hint is not weighed
      { what: 'a not-ready endpoint without hints does not turn them off', eps: [{ ip: '10.0.0.3', ready: false, serving: true, terminating: true }, { ip: '10.0.0.1', zones: ['zone-a'] }, { ip: '10.0.0.2', zones: ['zone-b'] }], want: ['10.0.0.1'] },
      { what: 'same-node hints win over zone hints', eps: [{ ip: '10.0.0.1', zones: ['zone-a'], nodes: ['node-b'] }, { ip: '10.0.0.2', zones: ['zone-a'], nodes: ['node-a'] }], want: ['10.0.0.2'] },
      { what: 'same-node hints naming other nodes only: zone hints decide', eps: [{ ip: '10.0.0.1', zones: ['zone-a'], nodes: ['node-b'] }, { ip: '10.0.0.2', zones: ['zone-b'], nodes: ['node-c'] }], want: ['10.0.0.1'] },
      { what: 'internalTrafficPolicy Local: this node\'s endpoints, hints ignored', eps: [{ ip: '10.0.0.1', node: 'node-a', zones: ['zone-b'] }, { ip: '10.0.0.2', node: 'node-b', zones: ['zone-a'] }], over: { localOnly: true }, want: ['10.0.0.1'] },
      { what: 'none ready: the serving terminating ones, hints ignored', eps: [{ ip: '10.0.0.1', zones: ['zone-b'], ready: false, serving: true, terminating: true }, { ip: '10.0.0.2', zones: ['zone-a'], ready: false, serving: true, terminating: true }], want: ['10.0.0.1', '10.0.0.2'] },
    ];
    for (const c of cases) {
      it(c.what, () => {
        expect(chosen(c.eps, c.over)).to.deep.equal(c.want);
      });
    }
  });
});
