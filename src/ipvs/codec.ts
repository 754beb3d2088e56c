// Pure encode/decode of IPVS generic netlink messages to and from the model's VirtualServer and
// RealServer. Identity/settings and observed counters are decoded into separate fields.
import { addressFromBytes, addressToBytes } from '../netlink/address.js';
import type {
  ForwardMethod,
  IpFamily,
  Protocol,
  RealServer,
  RealServerStatus,
  TrafficStats,
  VirtualServer,
  VirtualServerStatus,
} from '../model/index.js';
import type { IpvsTimeouts } from '../kernel/index.js';
import {
  AttrWriter,
  attrU32,
  decodeAttrs,
  readBe16,
  readBe32,
  readS32,
  readString,
  readU16,
  readU32,
  readU64,
} from '../netlink/codec.js';
import type { AttrMap } from '../netlink/codec.js';
import { decodeGenl, genlMessage } from '../netlink/genl.js';
import type { NetlinkMessage } from '../netlink/transport.js';
import {
  AF_INET,
  AF_INET6,
  DestAttr,
  FORWARD_METHOD_NUMBERS,
  FWD_MASK,
  IPVS_GENL_VERSION,
  InfoAttr,
  IpvsCmd,
  IpvsCmdAttr,
  PROTOCOL_NUMBERS,
  SVC_F_HASHED,
  StatsAttr,
  SvcAttr,
} from './constants.js';

export class IpvsDecodeError extends Error {
  override readonly name = 'IpvsDecodeError';
}

function afOf(family: IpFamily): number {
  return family === 4 ? AF_INET : AF_INET6;
}

function familyOfAf(af: number): IpFamily {
  if (af === AF_INET) return 4;
  if (af === AF_INET6) return 6;
  throw new IpvsDecodeError(`unknown address family ${af}`);
}

/** Raw network-order bytes of an address of the given family (4 or 16 bytes). */
export function addressBytes(family: IpFamily, address: string): Buffer {
  const bytes = addressToBytes(family, address);
  if (bytes === undefined) throw new RangeError(`address ${address} is not IPv${family}`);
  return bytes;
}

/** Canonical text of an address from a reply (the kernel always sends 16 bytes). */
export function addressText(family: IpFamily, bytes: Buffer): string {
  const n = family === 4 ? 4 : 16;
  if (bytes.length < n) throw new IpvsDecodeError(`address of ${bytes.length} bytes for IPv${family}`);
  return addressFromBytes(bytes.subarray(0, n));
}

function protocolOfNumber(n: number): Protocol {
  for (const [name, num] of Object.entries(PROTOCOL_NUMBERS) as Array<[Protocol, number]>) if (num === n) return name;
  throw new IpvsDecodeError(`unknown protocol ${n}`);
}

function forwardOfNumber(n: number): ForwardMethod {
  const masked = n & FWD_MASK;
  for (const [name, num] of Object.entries(FORWARD_METHOD_NUMBERS) as Array<[ForwardMethod, number]>) if (num === masked) return name;
  throw new IpvsDecodeError(`unknown forwarding method ${n}`);
}

/** The attributes that identify a virtual server: AF plus FWMARK, or PROTOCOL+ADDR+PORT. */
function writeVirtualServerKey(w: AttrWriter, vs: VirtualServer, address: Buffer | undefined): void {
  w.u16(SvcAttr.af, afOf(vs.family));
  if (address === undefined) {
    w.u32(SvcAttr.fwmark, vs.fwmark);
  } else {
    w.u16(SvcAttr.protocol, PROTOCOL_NUMBERS[vs.protocol]);
    w.bytes(SvcAttr.addr, address);
    w.be16(SvcAttr.port, vs.port);
  }
}

/** The address bytes a virtual server's key carries (undefined for fwmark ones); throws RangeError first. */
function serviceAddress(vs: VirtualServer): Buffer | undefined {
  return vs.fwmark !== 0 ? undefined : addressBytes(vs.family, vs.address);
}

function writeServiceAttr(w: AttrWriter, vs: VirtualServer, address: Buffer | undefined, full: boolean): void {
  const mark = w.begin(IpvsCmdAttr.service);
  writeVirtualServerKey(w, vs, address);
  if (full) {
    w.string(SvcAttr.schedName, vs.scheduler);
    if (vs.persistenceEngine !== undefined && vs.persistenceEngine !== '') w.string(SvcAttr.peName, vs.persistenceEngine);
    const flags = Buffer.alloc(8);
    flags.writeUInt32LE((vs.flags & ~SVC_F_HASHED) >>> 0, 0);
    // full mask, as ipvsadm sends: the flags given replace the old ones (the kernel re-adds HASHED)
    flags.writeUInt32LE(0xffffffff, 4);
    w.bytes(SvcAttr.flags, flags);
    w.u32(SvcAttr.timeout, vs.timeout);
    // IPv4 netmask: the model keeps the mask bits as a number; the kernel reads it as a be32 mask
    if (vs.family === 4) w.be32(SvcAttr.netmask, vs.netmask);
    else w.u32(SvcAttr.netmask, vs.netmask);
  }
  w.end(mark);
}

function writeDestAttr(w: AttrWriter, rs: RealServer, address: Buffer, virtualFamily: IpFamily, full: boolean): void {
  const mark = w.begin(IpvsCmdAttr.dest);
  w.bytes(DestAttr.addr, address);
  w.be16(DestAttr.port, rs.port);
  if (full) {
    w.u32(DestAttr.fwdMethod, FORWARD_METHOD_NUMBERS[rs.forward]);
    w.u32(DestAttr.weight, rs.weight);
    w.u32(DestAttr.upperThreshold, rs.upperThreshold);
    w.u32(DestAttr.lowerThreshold, rs.lowerThreshold);
  }
  // only a tunnel may cross families; say so explicitly then, else let the service's AF apply
  if (rs.family !== virtualFamily) w.u16(DestAttr.addrFamily, afOf(rs.family));
  w.end(mark);
}

/** IPVS_CMD_ATTR_SERVICE: the key only (`full` false) or every setting NEW/SET_SERVICE requires. */
export function encodeServiceAttr(vs: VirtualServer, full: boolean): Buffer {
  const address = serviceAddress(vs);
  const w = new AttrWriter();
  writeServiceAttr(w, vs, address, full);
  return w.finish();
}

/** IPVS_CMD_ATTR_DEST: ADDR+PORT only (`full` false) or every setting NEW/SET_DEST requires. */
export function encodeDestAttr(rs: RealServer, virtualFamily: IpFamily, full: boolean): Buffer {
  const address = addressBytes(rs.family, rs.address);
  const w = new AttrWriter();
  writeDestAttr(w, rs, address, virtualFamily, full);
  return w.finish();
}

/** A whole IPVS genl payload (header, service, optional dest) written once. */
function ipvsMessage(familyId: number, cmd: number, vs: VirtualServer, fullService: boolean, rs?: { server: RealServer; full: boolean }): NetlinkMessage {
  // every throw (bad address) happens before the writer takes the scratch buffer
  const vsAddress = serviceAddress(vs);
  const rsAddress = rs === undefined ? undefined : addressBytes(rs.server.family, rs.server.address);
  const w = new AttrWriter();
  w.raw([cmd, IPVS_GENL_VERSION, 0, 0]);
  writeServiceAttr(w, vs, vsAddress, fullService);
  if (rs !== undefined && rsAddress !== undefined) writeDestAttr(w, rs.server, rsAddress, vs.family, rs.full);
  return { type: familyId, flags: 0, payload: w.finish() };
}

// ---- whole messages -------------------------------------------------------------------------

export function newServiceMessage(familyId: number, vs: VirtualServer): NetlinkMessage {
  return ipvsMessage(familyId, IpvsCmd.newService, vs, true);
}
export function setServiceMessage(familyId: number, vs: VirtualServer): NetlinkMessage {
  return ipvsMessage(familyId, IpvsCmd.setService, vs, true);
}
export function delServiceMessage(familyId: number, vs: VirtualServer): NetlinkMessage {
  return ipvsMessage(familyId, IpvsCmd.delService, vs, false);
}
export function newDestMessage(familyId: number, vs: VirtualServer, rs: RealServer): NetlinkMessage {
  return ipvsMessage(familyId, IpvsCmd.newDest, vs, false, { server: rs, full: true });
}
export function setDestMessage(familyId: number, vs: VirtualServer, rs: RealServer): NetlinkMessage {
  return ipvsMessage(familyId, IpvsCmd.setDest, vs, false, { server: rs, full: true });
}
export function delDestMessage(familyId: number, vs: VirtualServer, rs: RealServer): NetlinkMessage {
  return ipvsMessage(familyId, IpvsCmd.delDest, vs, false, { server: rs, full: false });
}
/** GET_SERVICE as a dump (the transport adds NLM_F_DUMP): every virtual server. */
export function getServicesMessage(familyId: number): NetlinkMessage {
  return genlMessage(familyId, IpvsCmd.getService, IPVS_GENL_VERSION, []);
}
/** GET_DEST dump of one virtual server. */
export function getDestsMessage(familyId: number, vs: VirtualServer): NetlinkMessage {
  return genlMessage(familyId, IpvsCmd.getDest, IPVS_GENL_VERSION, [encodeServiceAttr(vs, false)]);
}
export function getInfoMessage(familyId: number): NetlinkMessage {
  return genlMessage(familyId, IpvsCmd.getInfo, IPVS_GENL_VERSION, []);
}
export function getConfigMessage(familyId: number): NetlinkMessage {
  return genlMessage(familyId, IpvsCmd.getConfig, IPVS_GENL_VERSION, []);
}
/** SET_CONFIG; a 0 leaves that timeout unchanged (kernel semantics). */
export function setConfigMessage(familyId: number, t: IpvsTimeouts): NetlinkMessage {
  return genlMessage(familyId, IpvsCmd.setConfig, IPVS_GENL_VERSION, [
    attrU32(IpvsCmdAttr.timeoutTcp, t.tcp),
    attrU32(IpvsCmdAttr.timeoutTcpFin, t.tcpFin),
    attrU32(IpvsCmdAttr.timeoutUdp, t.udp),
  ]);
}
export function flushMessage(familyId: number): NetlinkMessage {
  return genlMessage(familyId, IpvsCmd.flush, IPVS_GENL_VERSION, []);
}

// ---- replies --------------------------------------------------------------------------------

function required(attrs: AttrMap, type: number, what: string): Buffer {
  const v = attrs.get(type);
  if (v === undefined) throw new IpvsDecodeError(`reply lacks ${what}`);
  return v;
}

const ZERO_STATS: TrafficStats = { connections: 0n, packetsIn: 0n, packetsOut: 0n, bytesIn: 0n, bytesOut: 0n };

/** STATS64 (all u64) when present, else STATS (u32 counts, u64 bytes). */
export function decodeStats(attrs: AttrMap, stats64Type: number, statsType: number): TrafficStats {
  const s64 = attrs.get(stats64Type);
  if (s64 !== undefined) {
    const a = decodeAttrs(s64);
    const g = (t: number): bigint => {
      const v = a.get(t);
      return v === undefined ? 0n : readU64(v);
    };
    return { connections: g(StatsAttr.conns), packetsIn: g(StatsAttr.inPkts), packetsOut: g(StatsAttr.outPkts), bytesIn: g(StatsAttr.inBytes), bytesOut: g(StatsAttr.outBytes) };
  }
  const s32 = attrs.get(statsType);
  if (s32 === undefined) return ZERO_STATS;
  const a = decodeAttrs(s32);
  const g32 = (t: number): bigint => {
    const v = a.get(t);
    return v === undefined ? 0n : BigInt(readU32(v));
  };
  const g64 = (t: number): bigint => {
    const v = a.get(t);
    return v === undefined ? 0n : readU64(v);
  };
  return { connections: g32(StatsAttr.conns), packetsIn: g32(StatsAttr.inPkts), packetsOut: g32(StatsAttr.outPkts), bytesIn: g64(StatsAttr.inBytes), bytesOut: g64(StatsAttr.outBytes) };
}

/** The nested SERVICE attributes of a GET_SERVICE reply → identity/settings (HASHED dropped) + stats. */
export function decodeVirtualServer(serviceAttrs: Buffer): VirtualServerStatus {
  const a = decodeAttrs(serviceAttrs);
  const family = familyOfAf(readU16(required(a, SvcAttr.af, 'AF')));
  const fwmarkAttr = a.get(SvcAttr.fwmark);
  const fwmark = fwmarkAttr === undefined ? 0 : readU32(fwmarkAttr);
  let protocol: Protocol = 'TCP';
  let address = family === 4 ? '0.0.0.0' : '::';
  let port = 0;
  if (fwmark === 0) {
    protocol = protocolOfNumber(readU16(required(a, SvcAttr.protocol, 'PROTOCOL')));
    address = addressText(family, required(a, SvcAttr.addr, 'ADDR'));
    port = readBe16(required(a, SvcAttr.port, 'PORT'));
  }
  const flagsAttr = required(a, SvcAttr.flags, 'FLAGS');
  const flags = (readU32(flagsAttr) & ~SVC_F_HASHED) >>> 0;
  const netmaskAttr = required(a, SvcAttr.netmask, 'NETMASK');
  const netmask = family === 4 ? readBe32(netmaskAttr) : readU32(netmaskAttr);
  const pe = a.get(SvcAttr.peName);
  const server: VirtualServer = {
    family,
    protocol,
    address,
    port,
    fwmark,
    scheduler: readString(required(a, SvcAttr.schedName, 'SCHED_NAME')),
    flags,
    timeout: readU32(required(a, SvcAttr.timeout, 'TIMEOUT')),
    netmask,
    ...(pe !== undefined && readString(pe) !== '' ? { persistenceEngine: readString(pe) } : {}),
  };
  return { server, stats: decodeStats(a, SvcAttr.stats64, SvcAttr.stats) };
}

/** The nested DEST attributes of a GET_DEST reply; `virtualFamily` applies when ADDR_FAMILY is absent. */
export function decodeRealServer(destAttrs: Buffer, virtualFamily: IpFamily): RealServerStatus {
  const a = decodeAttrs(destAttrs);
  const afAttr = a.get(DestAttr.addrFamily);
  const af = afAttr === undefined ? 0 : readU16(afAttr);
  const family = af === 0 ? virtualFamily : familyOfAf(af);
  const u32 = (t: number): number => {
    const v = a.get(t);
    return v === undefined ? 0 : readU32(v);
  };
  const server: RealServer = {
    family,
    address: addressText(family, required(a, DestAttr.addr, 'ADDR')),
    port: readBe16(required(a, DestAttr.port, 'PORT')),
    forward: forwardOfNumber(readU32(required(a, DestAttr.fwdMethod, 'FWD_METHOD'))),
    weight: readS32(required(a, DestAttr.weight, 'WEIGHT')),
    upperThreshold: u32(DestAttr.upperThreshold),
    lowerThreshold: u32(DestAttr.lowerThreshold),
  };
  return {
    server,
    activeConnections: u32(DestAttr.activeConns),
    inactiveConnections: u32(DestAttr.inactiveConns),
    persistentConnections: u32(DestAttr.persistConns),
    stats: decodeStats(a, DestAttr.stats64, DestAttr.stats),
  };
}

/** A GET_SERVICE/GET_DEST reply message payload → its nested attribute of `type`. */
export function nestedOfReply(payload: Buffer, type: number): Buffer {
  const { attrs } = decodeGenl(payload);
  const nested = decodeAttrs(attrs).get(type);
  if (nested === undefined) throw new IpvsDecodeError(`reply lacks attribute ${type}`);
  return nested;
}

export function decodeServiceReply(payload: Buffer): VirtualServerStatus {
  return decodeVirtualServer(nestedOfReply(payload, IpvsCmdAttr.service));
}
export function decodeDestReply(payload: Buffer, virtualFamily: IpFamily): RealServerStatus {
  return decodeRealServer(nestedOfReply(payload, IpvsCmdAttr.dest), virtualFamily);
}

/** GET_INFO reply: version code 0x010201 → "1.2.1". */
export function decodeInfoReply(payload: Buffer): { version: string; connectionTableSize: number } {
  const a = decodeAttrs(decodeGenl(payload).attrs);
  const code = readU32(required(a, InfoAttr.version, 'INFO_VERSION'));
  const size = a.get(InfoAttr.connTabSize);
  return { version: `${(code >> 16) & 0xff}.${(code >> 8) & 0xff}.${code & 0xff}`, connectionTableSize: size === undefined ? 0 : readU32(size) };
}

/** GET_CONFIG reply (cmd SET_CONFIG) → timeouts in seconds. */
export function decodeConfigReply(payload: Buffer): IpvsTimeouts {
  const a = decodeAttrs(decodeGenl(payload).attrs);
  const g = (t: number): number => {
    const v = a.get(t);
    return v === undefined ? 0 : readU32(v);
  };
  return { tcp: g(IpvsCmdAttr.timeoutTcp), tcpFin: g(IpvsCmdAttr.timeoutTcpFin), udp: g(IpvsCmdAttr.timeoutUdp) };
}
