// desired vs observed → the ordered operations that turn one into the other, and nothing more.
// Order: bind addresses, then IPVS changes, then unbind — a VIP is bound before its virtual server
// exists and unbound only after its last virtual server is gone.
import type { AddressOperation, IpvsOperation } from '../kernel/ports.js';
import { sameRealServerSettings, sameVirtualServerSettings } from '../model/index.js';
import type { IpvsState } from './state.js';

export interface Plan {
  readonly bind: readonly AddressOperation[];
  readonly ipvs: readonly IpvsOperation[];
  readonly unbind: readonly AddressOperation[];
}

export function planSize(plan: Plan): number {
  return plan.bind.length + plan.ipvs.length + plan.unbind.length;
}

export function diff(desired: IpvsState, observed: IpvsState): Plan {
  const bind: AddressOperation[] = [];
  const unbind: AddressOperation[] = [];
  const deletes: IpvsOperation[] = [];
  const changes: IpvsOperation[] = [];

  for (const [addr, a] of desired.addresses) if (!observed.addresses.has(addr)) bind.push({ kind: 'addAddress', address: a });
  for (const [addr, a] of observed.addresses) if (!desired.addresses.has(addr)) unbind.push({ kind: 'deleteAddress', address: a });

  for (const [key, o] of observed.virtualServers) {
    if (!desired.virtualServers.has(key)) deletes.push({ kind: 'deleteVirtualServer', virtualServer: o.server });
  }
  for (const [key, d] of desired.virtualServers) {
    const o = observed.virtualServers.get(key);
    const virtualServer = d.server;
    if (!o) {
      changes.push({ kind: 'addVirtualServer', virtualServer });
      for (const realServer of d.realServers.values()) changes.push({ kind: 'addRealServer', virtualServer, realServer });
      continue;
    }
    if (!sameVirtualServerSettings(d.server, o.server)) changes.push({ kind: 'updateVirtualServer', virtualServer });
    // deletions first so a real server leaving and one arriving never coexist past a threshold
    for (const [rk, realServer] of o.realServers) {
      if (!d.realServers.has(rk)) changes.push({ kind: 'deleteRealServer', virtualServer, realServer });
    }
    for (const [rk, realServer] of d.realServers) {
      const ors = o.realServers.get(rk);
      if (!ors) changes.push({ kind: 'addRealServer', virtualServer, realServer });
      else if (!sameRealServerSettings(realServer, ors)) changes.push({ kind: 'updateRealServer', virtualServer, realServer });
    }
  }
  return { bind, ipvs: [...deletes, ...changes], unbind };
}
