// Endpoint choice against its definition, for any slices: an endpoint (by address and port) is
// chosen when one of its copies is ready; only when no endpoint is ready, when one of its copies is
// serving and terminating; bad addresses are rejected, never chosen.
import { expect } from 'chai';
import fc from 'fast-check';
import { selectRealServers, type EndpointChoice, type SliceRef } from '../../../src/core/endpoints.js';
import type { Rejection } from '../../../src/core/index.js';
import type { EndpointLike } from '../../../src/model/index.js';

const choice: EndpointChoice = { family: 4, portName: 'http', protocol: 'TCP', localOnly: false, nodeName: 'node-a' };

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
});
