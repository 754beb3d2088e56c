// Reads back what the proxy owns: the addresses on its dummy link and the virtual servers on them.
// Ownership rule: a virtual server is ours iff its address is bound on the link, or is a Service
// address we are about to bind (a VIP unbound behind our back is still ours). Addresses inside the
// exclude CIDRs are ours only while a Service wants them: what we do not want there, we never touch.
import type { Cidr, MutableIpvsState } from '../core/index.js';
import { emptyState, inCidrs } from '../core/index.js';
import type { IpvsKernel, LinkKernel } from '../kernel/index.js';
import type { RealServerKey, RealServerStatus, VirtualServerKey } from '../model/index.js';
import { realServerKey, virtualServerKey } from '../model/index.js';

export interface OwnedKernelState {
  readonly state: MutableIpvsState;
  /** connection counters as read, per virtual server */
  readonly statuses: Map<VirtualServerKey, Map<RealServerKey, RealServerStatus>>;
}

export async function readOwnedState(
  ipvs: IpvsKernel,
  link: LinkKernel,
  linkIndex: number,
  excludeCidrs: readonly Cidr[],
  isDesiredAddress: (address: string) => boolean = () => false,
): Promise<OwnedKernelState> {
  const state = emptyState();
  const statuses = new Map<VirtualServerKey, Map<RealServerKey, RealServerStatus>>();
  const mayOwn = (family: 4 | 6, address: string): boolean => isDesiredAddress(address) || !inCidrs(family, address, excludeCidrs);
  for (const a of await link.listAddresses(linkIndex)) {
    if (mayOwn(a.family, a.address)) state.addresses.set(a.address, a);
  }
  for (const { server } of await ipvs.listVirtualServers()) {
    if (server.fwmark !== 0) continue;
    const bound = state.addresses.get(server.address);
    const ours = bound ? bound.family === server.family : isDesiredAddress(server.address);
    if (!ours) continue;
    const key = virtualServerKey(server);
    const reals = await ipvs.listRealServers(server);
    state.virtualServers.set(key, { server, realServers: new Map(reals.map((r) => [realServerKey(r.server), r.server])) });
    statuses.set(key, new Map(reals.map((r) => [realServerKey(r.server), r])));
  }
  return { state, statuses };
}
