// NetlinkIpvsKernel: the IpvsKernel port over generic netlink. Writes go through one batched
// transport call; each failure is mapped back to its operation and key as a KernelError.
import { KernelError } from '../kernel/errors.js';
import type { BatchResult, IpvsKernel, IpvsOperation, IpvsTimeouts } from '../kernel/ports.js';
import { realServerKey, virtualServerKey } from '../model/index.js';
import type { RealServerStatus, VirtualServer, VirtualServerStatus } from '../model/index.js';
import { NlmFlags } from '../netlink/codec.js';
import { resolveGenlFamily } from '../netlink/genl.js';
import { NetlinkProtocol, openNetlinkTransport } from '../netlink/open.js';
import type { OpenTransportOptions } from '../netlink/open.js';
import type { NetlinkMessage, NetlinkReply, NetlinkTransport } from '../netlink/transport.js';
import {
  IpvsDecodeError,
  decodeConfigReply,
  decodeDestReply,
  decodeInfoReply,
  decodeServiceReply,
  delDestMessage,
  delServiceMessage,
  flushMessage,
  getConfigMessage,
  getDestsMessage,
  getInfoMessage,
  getServicesMessage,
  newDestMessage,
  newServiceMessage,
  setConfigMessage,
  setDestMessage,
  setServiceMessage,
} from './codec.js';
import { IPVS_GENL_NAME } from './constants.js';

/** A dump interrupted by a concurrent change (NLM_F_DUMP_INTR) is retried this many times. */
const DUMP_ATTEMPTS = 3;

/** The operation name a KernelError carries, e.g. "ipvs.addVirtualServer". */
export function operationName(op: IpvsOperation): string {
  return `ipvs.${op.kind}`;
}

/** The key a KernelError carries: "TCP/10.96.0.1:80", or "TCP/10.96.0.1:80 -> 10.244.0.5:8080". */
export function operationKey(op: IpvsOperation): string {
  const vs = virtualServerKey(op.virtualServer);
  switch (op.kind) {
    case 'addVirtualServer':
    case 'updateVirtualServer':
    case 'deleteVirtualServer':
      return vs;
    default:
      return `${vs} -> ${realServerKey(op.realServer)}`;
  }
}

const EINVAL = 22;

function safeKey(op: IpvsOperation): string {
  try {
    return operationKey(op);
  } catch {
    return '(unprintable key)';
  }
}

/** The netlink message for one operation. */
export function operationMessage(familyId: number, op: IpvsOperation): NetlinkMessage {
  switch (op.kind) {
    case 'addVirtualServer':
      return newServiceMessage(familyId, op.virtualServer);
    case 'updateVirtualServer':
      return setServiceMessage(familyId, op.virtualServer);
    case 'deleteVirtualServer':
      return delServiceMessage(familyId, op.virtualServer);
    case 'addRealServer':
      return newDestMessage(familyId, op.virtualServer, op.realServer);
    case 'updateRealServer':
      return setDestMessage(familyId, op.virtualServer, op.realServer);
    case 'deleteRealServer':
      return delDestMessage(familyId, op.virtualServer, op.realServer);
  }
}

export class NetlinkIpvsKernel implements IpvsKernel {
  private readonly transport: NetlinkTransport;
  private readonly familyId: number;

  constructor(transport: NetlinkTransport, familyId: number) {
    this.transport = transport;
    this.familyId = familyId;
  }

  async info(): Promise<{ readonly version: string; readonly connectionTableSize: number }> {
    const replies = await this.transport.request(getInfoMessage(this.familyId), 'ipvs.info', '');
    return decodeInfoReply(onlyReply(replies, 'ipvs.info'));
  }

  async listVirtualServers(): Promise<VirtualServerStatus[]> {
    const replies = await this.dumpConsistent(getServicesMessage(this.familyId), 'ipvs.listVirtualServers', '');
    return replies.map((r) => decoded('ipvs.listVirtualServers', '', () => decodeServiceReply(r.payload)));
  }

  async listRealServers(virtualServer: VirtualServer): Promise<RealServerStatus[]> {
    const key = virtualServerKey(virtualServer);
    const replies = await this.dumpConsistent(getDestsMessage(this.familyId, virtualServer), 'ipvs.listRealServers', key);
    return replies.map((r) => decoded('ipvs.listRealServers', key, () => decodeDestReply(r.payload, virtualServer.family)));
  }

  async apply(operations: readonly IpvsOperation[]): Promise<BatchResult> {
    const failures: Array<{ index: number; error: KernelError }> = [];
    // an operation that cannot be encoded (bad address, port out of range) fails alone, unsent
    const messages: NetlinkMessage[] = [];
    const sentIndex: number[] = [];
    operations.forEach((op, index) => {
      try {
        messages.push(operationMessage(this.familyId, op));
        sentIndex.push(index);
      } catch (e) {
        const detail = e instanceof Error ? e.message : String(e);
        failures.push({ index, error: new KernelError('KIPVS_KERNEL_PROTOCOL', EINVAL, operationName(op), safeKey(op), `${operationName(op)} ${safeKey(op)}: cannot encode: ${detail}`, { cause: e }) });
      }
    });
    if (messages.length > 0) {
      const { errnos } = await this.transport.batch(messages);
      errnos.forEach((errno, i) => {
        const index = sentIndex[i];
        const op = index === undefined ? undefined : operations[index];
        if (errno !== 0 && op !== undefined && index !== undefined) failures.push({ index, error: KernelError.errno(errno, operationName(op), operationKey(op)) });
      });
      failures.sort((a, b) => a.index - b.index);
    }
    return { applied: operations.length - failures.length, failures };
  }

  async getTimeouts(): Promise<IpvsTimeouts> {
    const replies = await this.transport.request(getConfigMessage(this.familyId), 'ipvs.getTimeouts', '');
    return decodeConfigReply(onlyReply(replies, 'ipvs.getTimeouts'));
  }

  async setTimeouts(timeouts: IpvsTimeouts): Promise<void> {
    await this.transport.request(setConfigMessage(this.familyId, timeouts), 'ipvs.setTimeouts', `${timeouts.tcp}/${timeouts.tcpFin}/${timeouts.udp}`);
  }

  async flush(): Promise<void> {
    await this.transport.request(flushMessage(this.familyId), 'ipvs.flush', '');
  }

  close(): void {
    this.transport.close();
  }

  /** A dump, retried when the kernel flags it as interrupted by a concurrent change. */
  private async dumpConsistent(message: NetlinkMessage, operation: string, key: string): Promise<NetlinkReply[]> {
    for (let attempt = 1; ; attempt++) {
      let replies: NetlinkReply[];
      try {
        replies = await this.transport.dump(message, operation);
      } catch (e) {
        // the transport knows no key for dumps; put ours on the error (e.g. ESRCH for a missing service)
        if (e instanceof KernelError && e.key === '' && key !== '') throw new KernelError(e.code, e.errno, e.operation, key, undefined, { cause: e });
        throw e;
      }
      if (!replies.some((r) => (r.flags & NlmFlags.dumpInterrupted) !== 0) || attempt >= DUMP_ATTEMPTS) return replies;
    }
  }
}

function onlyReply(replies: readonly NetlinkReply[], operation: string): Buffer {
  const r = replies[0];
  if (r === undefined) throw new KernelError('KIPVS_KERNEL_PROTOCOL', 0, operation, '', `${operation}: the kernel sent no reply data`);
  return r.payload;
}

function decoded<T>(operation: string, key: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof IpvsDecodeError || e instanceof RangeError) {
      throw new KernelError('KIPVS_KERNEL_PROTOCOL', 0, operation, key, `${operation} ${key}: undecodable reply: ${e.message}`, { cause: e });
    }
    throw e;
  }
}

export interface OpenIpvsKernelOptions extends OpenTransportOptions {
  /** use this transport instead of opening a netlink socket (tests) */
  readonly transport?: NetlinkTransport;
}

/** Opens a generic netlink socket and resolves the IPVS family; KernelUnavailableError when absent. */
export async function openIpvsKernel(options: OpenIpvsKernelOptions = {}): Promise<NetlinkIpvsKernel> {
  const transport = options.transport ?? openNetlinkTransport(NetlinkProtocol.generic, options);
  try {
    const family = await resolveGenlFamily(transport, IPVS_GENL_NAME);
    return new NetlinkIpvsKernel(transport, family.id);
  } catch (e) {
    transport.close();
    throw e;
  }
}
