// IPVS generic netlink numbers (linux/ip_vs.h): commands, attributes, forwarding methods.
import type { ForwardMethod, Protocol } from '../model/index.js';

export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

export const IpvsCmd = {
  newService: 1,
  setService: 2,
  delService: 3,
  getService: 4,
  newDest: 5,
  setDest: 6,
  delDest: 7,
  getDest: 8,
  setConfig: 12,
  getConfig: 13,
  setInfo: 14,
  getInfo: 15,
  zero: 16,
  flush: 17,
} as const;

export const IpvsCmdAttr = { service: 1, dest: 2, daemon: 3, timeoutTcp: 4, timeoutTcpFin: 5, timeoutUdp: 6 } as const;

export const SvcAttr = {
  af: 1,
  protocol: 2,
  addr: 3,
  port: 4,
  fwmark: 5,
  schedName: 6,
  flags: 7,
  timeout: 8,
  netmask: 9,
  stats: 10,
  peName: 11,
  stats64: 12,
} as const;

export const DestAttr = {
  addr: 1,
  port: 2,
  fwdMethod: 3,
  weight: 4,
  upperThreshold: 5,
  lowerThreshold: 6,
  activeConns: 7,
  inactiveConns: 8,
  persistConns: 9,
  stats: 10,
  addrFamily: 11,
  stats64: 12,
  tunType: 13,
  tunPort: 14,
  tunFlags: 15,
} as const;

export const StatsAttr = { conns: 1, inPkts: 2, outPkts: 3, inBytes: 4, outBytes: 5 } as const;

export const InfoAttr = { version: 1, connTabSize: 2 } as const;

export const AF_INET = 2;
export const AF_INET6 = 10;

export const PROTOCOL_NUMBERS: Readonly<Record<Protocol, number>> = { TCP: 6, UDP: 17, SCTP: 132 };

export const FORWARD_METHOD_NUMBERS: Readonly<Record<ForwardMethod, number>> = {
  masq: 0,
  local: 1,
  tunnel: 2,
  droute: 3,
  bypass: 4,
};
/** IP_VS_CONN_F_FWD_MASK */
export const FWD_MASK = 0x7;
/** IP_VS_SVC_F_HASHED: set by the kernel on every hashed service, not part of identity */
export const SVC_F_HASHED = 0x2;
