// LinkKernel over rtnetlink: the dummy link that holds the service VIPs, and its addresses.
import { constants as osConstants } from 'node:os';
import { KernelError, isKernelError } from '../kernel/errors.js';
import type { AddressOperation, BatchResult, InterfaceAddress, LinkInfo, LinkKernel } from '../kernel/ports.js';
import { NlmFlags } from '../netlink/codec.js';
import { NetlinkProtocol, openNetlinkTransport, type OpenTransportOptions } from '../netlink/open.js';
import type { NetlinkMessage, NetlinkReply, NetlinkTransport } from '../netlink/transport.js';
import {
  RtmType,
  RtnetlinkDecodeError,
  addressLinkIndex,
  decodeAddress,
  decodeLink,
  encodeAddressDump,
  encodeDelAddress,
  encodeLinkByName,
  encodeNewAddress,
  encodeNewLink,
  invalidAddressReason,
  isValidLinkName,
  type DecodedLink,
} from './codec.js';

const { ENODEV, EEXIST, EINVAL, EINTR } = osConstants.errno;
const DUMP_ATTEMPTS = 3;

/**
 * A link with the wanted name exists but is not a dummy (e.g. an operator's bridge). We never
 * adopt, re-address or delete it: the errno is EEXIST, what creating it would have answered.
 */
export class LinkKindConflictError extends KernelError {
  override readonly name = 'LinkKindConflictError';
  readonly existingKind: string;
  readonly wantedKind: string;
  constructor(linkName: string, existingKind: string, wantedKind: string) {
    super(
      'KIPVS_KERNEL_ERRNO',
      EEXIST,
      'link.ensureDummy',
      linkName,
      `link ${linkName} exists with kind "${existingKind || 'none'}", not "${wantedKind}"; refusing to adopt or change it`,
    );
    this.existingKind = existingKind;
    this.wantedKind = wantedKind;
  }
}

function toLinkInfo(l: DecodedLink): LinkInfo {
  return { index: l.index, name: l.name, kind: l.kind, up: l.up };
}

/** A reply we cannot decode is the kernel breaking protocol, reported as a KernelError too. */
function decoded<T>(operation: string, key: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    if (!(e instanceof RtnetlinkDecodeError)) throw e;
    throw new KernelError('KIPVS_KERNEL_PROTOCOL', 0, operation, key, `${operation} ${key}: malformed reply: ${e.message}`, { cause: e });
  }
}

function invalidName(name: string, operation: string): KernelError {
  return new KernelError('KIPVS_KERNEL_ERRNO', EINVAL, operation, name, `${operation}: invalid link name ${JSON.stringify(name)}`);
}

export class NetlinkLinkKernel implements LinkKernel {
  constructor(private readonly transport: NetlinkTransport) {}

  async getLink(name: string): Promise<LinkInfo | undefined> {
    if (!isValidLinkName(name)) throw invalidName(name, 'link.get');
    try {
      const replies = await this.transport.request({ type: RtmType.getLink, flags: 0, payload: encodeLinkByName(name) }, 'link.get', name);
      const reply = replies.find((r) => r.type === RtmType.newLink);
      return reply === undefined ? undefined : toLinkInfo(decoded('link.get', name, () => decodeLink(reply.payload)));
    } catch (e) {
      if (isKernelError(e, ENODEV)) return undefined;
      throw e;
    }
  }

  /**
   * The link is created DOWN and never brought up, as kube-proxy leaves kube-ipvs0: the kernel
   * installs the local /32 (/128) route of each address whatever the link state (protocol.md §2.12;
   * checked in test/kernel/link), so IPVS sees VIP traffic at LOCAL_IN, while a DOWN link sends and
   * answers nothing of its own (no IPv6 link-local, no multicast joins, no neighbour traffic).
   */
  async ensureDummyLink(name: string): Promise<LinkInfo> {
    const existing = await this.getLink(name);
    if (existing !== undefined) return this.adopt(existing, name);
    try {
      await this.transport.request(
        { type: RtmType.newLink, flags: NlmFlags.create | NlmFlags.excl, payload: encodeNewLink(name, 'dummy') },
        'link.create',
        name,
      );
    } catch (e) {
      // created meanwhile by someone else: adopt it if it is a dummy, below
      if (!isKernelError(e, EEXIST)) throw e;
    }
    const created = await this.getLink(name);
    if (created === undefined) throw new KernelError('KIPVS_KERNEL_ERRNO', ENODEV, 'link.create', name, `link ${name} vanished right after being created`);
    return this.adopt(created, name);
  }

  private adopt(link: LinkInfo, name: string): LinkInfo {
    if (link.kind !== 'dummy') throw new LinkKindConflictError(name, link.kind, 'dummy');
    return link;
  }

  /** Deletes the link (and with it its addresses); a missing link is ENODEV, as the kernel says. */
  async deleteLink(name: string): Promise<void> {
    if (!isValidLinkName(name)) throw invalidName(name, 'link.delete');
    await this.transport.request({ type: RtmType.delLink, flags: 0, payload: encodeLinkByName(name) }, 'link.delete', name);
  }

  /** One dump of every address in the namespace, filtered here: strict-check filtering is not assumed. */
  async listAddresses(linkIndex: number): Promise<InterfaceAddress[]> {
    for (let attempt = 1; ; attempt++) {
      const parts = await this.transport.dump({ type: RtmType.getAddr, flags: 0, payload: encodeAddressDump(0) }, 'link.listAddresses');
      if (!parts.some((p) => (p.flags & NlmFlags.dumpInterrupted) !== 0 /* the list changed during the dump */)) return this.addressesOf(parts, linkIndex);
      // someone changed addresses meanwhile: a diff against a torn list would add or delete wrongly
      if (attempt >= DUMP_ATTEMPTS) {
        throw new KernelError('KIPVS_KERNEL_ERRNO', EINTR, 'link.listAddresses', String(linkIndex), `link.listAddresses: dump interrupted by concurrent changes ${attempt} times`);
      }
    }
  }

  private addressesOf(parts: readonly NetlinkReply[], linkIndex: number): InterfaceAddress[] {
    const out: InterfaceAddress[] = [];
    for (const part of parts) {
      if (part.type !== RtmType.newAddr) continue;
      if (decoded('link.listAddresses', String(linkIndex), () => addressLinkIndex(part.payload)) !== linkIndex) continue;
      const a = decoded('link.listAddresses', String(linkIndex), () => decodeAddress(part.payload));
      if (a === undefined) continue; // neither IPv4 nor IPv6
      out.push({ family: a.family, address: a.address, prefixLength: a.prefixLength });
    }
    return out;
  }

  /**
   * Every operation is attempted, in order, in as few sendmsg calls as the transport allows. A
   * failure (EEXIST on a duplicate add, EADDRNOTAVAIL on deleting a missing address, EINVAL for
   * input that cannot be encoded) is reported at its index and does not stop the rest.
   */
  async applyAddresses(linkIndex: number, operations: readonly AddressOperation[]): Promise<BatchResult> {
    const failures: Array<{ index: number; error: KernelError }> = [];
    const messages: NetlinkMessage[] = [];
    const sentIndex: number[] = [];
    operations.forEach((op, index) => {
      const operation = op.kind === 'addAddress' ? 'link.addAddress' : 'link.deleteAddress';
      const reason = invalidAddressReason(op.address);
      if (reason !== undefined) {
        failures.push({ index, error: new KernelError('KIPVS_KERNEL_ERRNO', EINVAL, operation, String(op.address.address), `${operation}: ${reason}`) });
        return;
      }
      messages.push(
        op.kind === 'addAddress'
          ? { type: RtmType.newAddr, flags: NlmFlags.create | NlmFlags.excl, payload: encodeNewAddress(linkIndex, op.address) }
          : { type: RtmType.delAddr, flags: 0, payload: encodeDelAddress(linkIndex, op.address) },
      );
      sentIndex.push(index);
    });
    if (messages.length > 0) {
      const { errnos } = await this.transport.batch(messages);
      errnos.forEach((errno, i) => {
        if (errno === 0) return;
        const index = sentIndex[i];
        const op = index === undefined ? undefined : operations[index];
        if (index === undefined || op === undefined) return;
        const operation = op.kind === 'addAddress' ? 'link.addAddress' : 'link.deleteAddress';
        failures.push({ index, error: KernelError.errno(errno, operation, op.address.address) });
      });
    }
    failures.sort((a, b) => a.index - b.index);
    return { applied: operations.length - failures.length, failures };
  }

  close(): void {
    this.transport.close();
  }
}

/** A NetlinkLinkKernel on its own NETLINK_ROUTE socket (src/netlink's transport). */
export function openNetlinkLinkKernel(options: OpenTransportOptions = {}): NetlinkLinkKernel {
  return new NetlinkLinkKernel(openNetlinkTransport(NetlinkProtocol.route, options));
}
