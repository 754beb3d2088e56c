// The generated table every benchmark here uses, as kernel rules: N virtual servers 10.96.x.y:80 (rr),
// each with M masquerading real servers on port 8080, and the N addresses on kube-ipvs0. Kept apart
// from the API objects (table.ts) so the floor's process loads nothing but our netlink layer.
import type { AddressOperation, IpvsOperation } from '../../src/kernel/ports.js';
import type { RealServer, VirtualServer } from '../../src/model/index.js';
import { generatedReal, generatedVip } from '../../test/support/generated-table.js';

/** The dummy link the table's addresses go on (the proxy's default). */
export const LINK = 'kube-ipvs0';

export interface Shape {
  readonly services: number;
  readonly reals: number;
}

export function parseShape(text: string | undefined): Shape {
  const m = /^(\d+)x(\d+)$/.exec(text ?? '2000x5');
  if (!m) throw new Error(`expected NxM (e.g. 2000x5), got "${text}"`);
  return { services: Number(m[1]), reals: Number(m[2]) };
}

export function virtualServerOf(i: number): VirtualServer {
  return { family: 4, protocol: 'TCP', address: generatedVip(i), port: 80, fwmark: 0, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff };
}

function realServerOf(address: string): RealServer {
  return { family: 4, address, port: 8080, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0 };
}

export function ipvsOperations({ services, reals }: Shape): IpvsOperation[] {
  // every virtual server has the same M real servers: made once, not again for each virtual server
  const realServers = Array.from({ length: reals }, (_, j) => realServerOf(generatedReal(j)));
  const ops: IpvsOperation[] = [];
  for (let i = 0; i < services; i++) {
    const virtualServer = virtualServerOf(i);
    ops.push({ kind: 'addVirtualServer', virtualServer });
    for (const realServer of realServers) ops.push({ kind: 'addRealServer', virtualServer, realServer });
  }
  return ops;
}

export function addressOperations({ services }: Shape): AddressOperation[] {
  return Array.from({ length: services }, (_, i) => ({ kind: 'addAddress', address: { family: 4, address: generatedVip(i), prefixLength: 32 } }) as const);
}
