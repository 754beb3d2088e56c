// `--cleanup`: removes what the proxy owns — the virtual servers on its dummy link's addresses, and
// the link itself — and nothing else (kube-proxy's cleanup flushes every IPVS rule; we do not).
// An address inside --ipvs-exclude-cidrs keeps the link: only our addresses go then.
import type { Cidr } from '../core/index.js';
import { inCidrs } from '../core/index.js';
import type { IpvsKernel, LinkKernel } from '../kernel/index.js';
import type { KernelError } from '../kernel/errors.js';
import { isKernelError } from '../kernel/errors.js';
import { readOwnedState } from './read-kernel.js';

export interface CleanupResult {
  readonly virtualServersDeleted: number;
  readonly linkDeleted: boolean;
  /** addresses removed one by one, when excluded ones kept the link */
  readonly addressesDeleted: number;
  /** addresses left on the link because --ipvs-exclude-cidrs protects them */
  readonly addressesKept: number;
  readonly failures: readonly KernelError[];
}

export async function cleanupOwnedState(ipvs: IpvsKernel, link: LinkKernel, linkName: string, excludeCidrs: readonly Cidr[]): Promise<CleanupResult> {
  const info = await link.getLink(linkName);
  if (!info) return { virtualServersDeleted: 0, linkDeleted: false, addressesDeleted: 0, addressesKept: 0, failures: [] };
  const { state } = await readOwnedState(ipvs, link, info.index, excludeCidrs);
  const ops = [...state.virtualServers.values()].map((v) => ({ kind: 'deleteVirtualServer' as const, virtualServer: v.server }));
  const result = ops.length > 0 ? await ipvs.apply(ops) : { applied: 0, failures: [] };
  const failures: KernelError[] = result.failures.map((f) => f.error);
  const done = { virtualServersDeleted: result.applied, linkDeleted: false, addressesDeleted: 0, addressesKept: 0 };
  // with a virtual server left, the link stays: without its address that one would be nobody's
  if (failures.length > 0) return { ...done, failures };
  const kept = (await link.listAddresses(info.index)).filter((a) => inCidrs(a.family, a.address, excludeCidrs));
  if (kept.length > 0) {
    const ours = [...state.addresses.values()].map((address) => ({ kind: 'deleteAddress' as const, address }));
    const unbound = ours.length > 0 ? await link.applyAddresses(info.index, ours) : { applied: 0, failures: [] };
    return { ...done, addressesDeleted: unbound.applied, addressesKept: kept.length, failures: [...failures, ...unbound.failures.map((f) => f.error)] };
  }
  try {
    await link.deleteLink(linkName);
    return { ...done, linkDeleted: true, failures };
  } catch (e) {
    if (!isKernelError(e)) throw e;
    return { ...done, failures: [...failures, e] };
  }
}
