// The kernel as the reconciler sees it: two narrow ports, implemented over netlink (src/netlink,
// src/ipvs, src/link) and by stateful fakes in tests. Batched operations report per-op failures.
import type { RealServer, RealServerStatus, VirtualServer, VirtualServerStatus } from '../model/index.js';
import type { KernelError } from './errors.js';

/** One IPVS change. Applied in order; a failure does not stop the ones after it. */
export type IpvsOperation =
  | { readonly kind: 'addVirtualServer'; readonly virtualServer: VirtualServer }
  | { readonly kind: 'updateVirtualServer'; readonly virtualServer: VirtualServer }
  | { readonly kind: 'deleteVirtualServer'; readonly virtualServer: VirtualServer }
  | { readonly kind: 'addRealServer'; readonly virtualServer: VirtualServer; readonly realServer: RealServer }
  | { readonly kind: 'updateRealServer'; readonly virtualServer: VirtualServer; readonly realServer: RealServer }
  | { readonly kind: 'deleteRealServer'; readonly virtualServer: VirtualServer; readonly realServer: RealServer };

/** The outcome of a batch: the operations that failed, by their index in the batch. */
export interface BatchResult {
  readonly applied: number;
  readonly failures: ReadonlyArray<{ readonly index: number; readonly error: KernelError }>;
}

export interface IpvsTimeouts {
  /** seconds; 0 means "leave unchanged" when setting */
  readonly tcp: number;
  readonly tcpFin: number;
  readonly udp: number;
}

export interface IpvsKernel {
  /** kernel IPVS version as text, e.g. "1.2.1", and connection table size */
  info(): Promise<{ readonly version: string; readonly connectionTableSize: number }>;
  listVirtualServers(): Promise<VirtualServerStatus[]>;
  listRealServers(virtualServer: VirtualServer): Promise<RealServerStatus[]>;
  apply(operations: readonly IpvsOperation[]): Promise<BatchResult>;
  getTimeouts(): Promise<IpvsTimeouts>;
  setTimeouts(timeouts: IpvsTimeouts): Promise<void>;
  /** deletes every virtual server in this network namespace; never used by the proxy itself */
  flush(): Promise<void>;
  close(): void;
}

export interface LinkInfo {
  readonly index: number;
  readonly name: string;
  /** rtnetlink IFLA_INFO_KIND, e.g. "dummy"; empty when the link has none */
  readonly kind: string;
  readonly up: boolean;
}

export interface InterfaceAddress {
  readonly family: 4 | 6;
  /** canonical text */
  readonly address: string;
  readonly prefixLength: number;
}

export type AddressOperation =
  | { readonly kind: 'addAddress'; readonly address: InterfaceAddress }
  | { readonly kind: 'deleteAddress'; readonly address: InterfaceAddress };

export interface LinkKernel {
  getLink(name: string): Promise<LinkInfo | undefined>;
  /** creates a dummy link named `name` unless one exists; adopts an existing one */
  ensureDummyLink(name: string): Promise<LinkInfo>;
  deleteLink(name: string): Promise<void>;
  listAddresses(linkIndex: number): Promise<InterfaceAddress[]>;
  applyAddresses(linkIndex: number, operations: readonly AddressOperation[]): Promise<BatchResult>;
  close(): void;
}
