// Generic netlink: the 4-byte genlmsghdr and family-id resolution through the controller.
import { KernelError, KernelUnavailableError } from '../kernel/errors.js';
import { attrString, decodeAttrs, readU16, readU32 } from './codec.js';
import type { NetlinkMessage, NetlinkTransport } from './transport.js';

export const GENL_HDRLEN = 4;
/** the controller's fixed family id (GENL_ID_CTRL) */
export const GENL_ID_CTRL = 0x10;
export const CtrlCmd = { getFamily: 3 } as const;
export const CtrlAttr = { familyId: 1, familyName: 2, version: 3, hdrSize: 4, maxAttr: 5 } as const;

export interface GenlHeader {
  readonly cmd: number;
  readonly version: number;
}

/** A generic netlink message: genlmsghdr {cmd, version, reserved 0} then the attributes. */
export function genlMessage(familyId: number, cmd: number, version: number, attrs: readonly Buffer[], flags = 0): NetlinkMessage {
  const hdr = Buffer.alloc(GENL_HDRLEN);
  hdr.writeUInt8(cmd, 0);
  hdr.writeUInt8(version, 1);
  return { type: familyId, flags, payload: Buffer.concat([hdr, ...attrs]) };
}

/** Splits a generic netlink payload into its header and the attribute bytes. */
export function decodeGenl(payload: Buffer): { header: GenlHeader; attrs: Buffer } {
  if (payload.length < GENL_HDRLEN) throw new RangeError(`generic netlink payload too short (${payload.length})`);
  return { header: { cmd: payload.readUInt8(0), version: payload.readUInt8(1) }, attrs: payload.subarray(GENL_HDRLEN) };
}

export interface GenlFamily {
  readonly id: number;
  readonly name: string;
  readonly version: number;
}

/**
 * Resolves a family name to its dynamic id (CTRL_CMD_GETFAMILY). ENOENT — the family is not
 * registered (module not loaded or not built) — becomes KernelUnavailableError.
 */
export async function resolveGenlFamily(transport: NetlinkTransport, name: string): Promise<GenlFamily> {
  let replies;
  try {
    replies = await transport.request(
      genlMessage(GENL_ID_CTRL, CtrlCmd.getFamily, 1, [attrString(CtrlAttr.familyName, name)]),
      'genl.getFamily',
      name,
    );
  } catch (e) {
    if (e instanceof KernelError && e.errno === 2) {
      throw new KernelUnavailableError(name, `generic netlink family "${name}" is not registered (ENOENT); load its kernel module`, { cause: e });
    }
    throw e;
  }
  for (const r of replies) {
    if (r.type !== GENL_ID_CTRL) continue;
    const attrs = decodeAttrs(decodeGenl(r.payload).attrs);
    const id = attrs.get(CtrlAttr.familyId);
    if (id === undefined) continue;
    const version = attrs.get(CtrlAttr.version);
    return { id: readU16(id), name, version: version ? readU32(version) : 0 };
  }
  throw new KernelError('KIPVS_KERNEL_PROTOCOL', 0, 'genl.getFamily', name, `genl.getFamily ${name}: the reply carries no family id`);
}
