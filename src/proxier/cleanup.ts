// `--cleanup`: removes what the proxy owns — the virtual servers on its dummy link's addresses, and
// the link itself — and nothing else (kube-proxy's cleanup flushes every IPVS rule; we do not).
import type { Cidr } from '../core/index.js';
import type { IpvsKernel, LinkKernel } from '../kernel/index.js';
import type { KernelError } from '../kernel/errors.js';
import { isKernelError } from '../kernel/errors.js';
import { readOwnedState } from './read-kernel.js';

export interface CleanupResult {
  readonly virtualServersDeleted: number;
  readonly linkDeleted: boolean;
  readonly failures: readonly KernelError[];
}

export async function cleanupOwnedState(ipvs: IpvsKernel, link: LinkKernel, linkName: string, excludeCidrs: readonly Cidr[]): Promise<CleanupResult> {
  const info = await link.getLink(linkName);
  if (!info) return { virtualServersDeleted: 0, linkDeleted: false, failures: [] };
  const { state } = await readOwnedState(ipvs, link, info.index, excludeCidrs);
  const ops = [...state.virtualServers.values()].map((v) => ({ kind: 'deleteVirtualServer' as const, virtualServer: v.server }));
  const result = ops.length > 0 ? await ipvs.apply(ops) : { applied: 0, failures: [] };
  const failures: KernelError[] = result.failures.map((f) => f.error);
  // with a virtual server left, the link stays: without its address that one would be nobody's
  if (failures.length > 0) return { virtualServersDeleted: result.applied, linkDeleted: false, failures };
  let linkDeleted = false;
  try {
    await link.deleteLink(linkName);
    linkDeleted = true;
  } catch (e) {
    if (!isKernelError(e)) throw e;
    failures.push(e);
  }
  return { virtualServersDeleted: result.applied, linkDeleted, failures };
}
