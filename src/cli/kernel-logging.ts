// Kernel ports that log every change they are asked to make, for operators at -v=4 and above.
import type { AddressOperation, BatchResult, IpvsKernel, IpvsOperation, LinkKernel } from '../kernel/index.js';
import { realServerKey, virtualServerKey } from '../model/index.js';
import type { Logger } from '../observability/index.js';

function describeIpvs(op: IpvsOperation): Record<string, unknown> {
  const fields: Record<string, unknown> = { op: op.kind, virtualServer: virtualServerKey(op.virtualServer) };
  if ('realServer' in op) {
    fields.realServer = realServerKey(op.realServer);
    fields.weight = op.realServer.weight;
  } else {
    fields.scheduler = op.virtualServer.scheduler;
  }
  return fields;
}

function logFailures(log: Logger, result: BatchResult): void {
  for (const f of result.failures) log.v(4)?.info('kernel change failed', { operation: f.error.operation, key: f.error.key, errno: f.error.errnoName });
}

/** Wraps an IpvsKernel so each applied operation is logged at V(4). */
export function loggingIpvsKernel(kernel: IpvsKernel, log: Logger): IpvsKernel {
  return {
    info: () => kernel.info(),
    listVirtualServers: () => kernel.listVirtualServers(),
    listRealServers: (vs) => kernel.listRealServers(vs),
    getTimeouts: () => kernel.getTimeouts(),
    setTimeouts: (t) => kernel.setTimeouts(t),
    flush: () => kernel.flush(),
    close: () => kernel.close(),
    async apply(operations: readonly IpvsOperation[]): Promise<BatchResult> {
      const v4 = log.v(4);
      if (v4) for (const op of operations) v4.info('ipvs change', describeIpvs(op));
      const result = await kernel.apply(operations);
      logFailures(log, result);
      return result;
    },
  };
}

/** Wraps a LinkKernel so each address change is logged at V(4). */
export function loggingLinkKernel(kernel: LinkKernel, log: Logger): LinkKernel {
  return {
    getLink: (name) => kernel.getLink(name),
    ensureDummyLink: (name) => kernel.ensureDummyLink(name),
    deleteLink: (name) => kernel.deleteLink(name),
    listAddresses: (index) => kernel.listAddresses(index),
    close: () => kernel.close(),
    async applyAddresses(linkIndex: number, operations: readonly AddressOperation[]): Promise<BatchResult> {
      const v4 = log.v(4);
      if (v4) for (const op of operations) v4.info('address change', { op: op.kind, address: `${op.address.address}/${op.address.prefixLength}`, linkIndex });
      const result = await kernel.applyAddresses(linkIndex, operations);
      logFailures(log, result);
      return result;
    },
  };
}
