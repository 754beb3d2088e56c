// The IPVS state the proxy owns, as plain maps: desired (computed) and observed (read back) alike.
// Also the pure effect of one operation on such a state, used for the reconciler's shadow copy.
import type { AddressOperation, InterfaceAddress, IpvsOperation } from '../kernel/ports.js';
import type { IpFamily, RealServer, RealServerKey, VirtualServer, VirtualServerKey } from '../model/index.js';
import { realServerKey, virtualServerKey } from '../model/index.js';

export interface VirtualServerState {
  readonly server: VirtualServer;
  readonly realServers: ReadonlyMap<RealServerKey, RealServer>;
}

export interface IpvsState {
  readonly virtualServers: ReadonlyMap<VirtualServerKey, VirtualServerState>;
  /** addresses bound on the dummy link, keyed by canonical address text */
  readonly addresses: ReadonlyMap<string, InterfaceAddress>;
}

export interface MutableIpvsState {
  readonly virtualServers: Map<VirtualServerKey, { server: VirtualServer; realServers: Map<RealServerKey, RealServer> }>;
  readonly addresses: Map<string, InterfaceAddress>;
}

export function emptyState(): MutableIpvsState {
  return { virtualServers: new Map(), addresses: new Map() };
}

/** The /32 or /128 a virtual IP is bound as. */
export function vipAddress(family: IpFamily, address: string): InterfaceAddress {
  return { family, address, prefixLength: family === 4 ? 32 : 128 };
}

/** A state whose addresses are exactly those of its virtual servers (what "desired" means). */
export function withBoundAddresses(virtualServers: ReadonlyMap<VirtualServerKey, VirtualServerState>): IpvsState {
  const addresses = new Map<string, InterfaceAddress>();
  for (const { server } of virtualServers.values()) {
    if (server.fwmark === 0) addresses.set(server.address, vipAddress(server.family, server.address));
  }
  return { virtualServers, addresses };
}

/** Applies one successful IPVS operation to a state, as the kernel did. */
export function applyIpvsOperation(state: MutableIpvsState, op: IpvsOperation): void {
  const key = virtualServerKey(op.virtualServer);
  switch (op.kind) {
    case 'addVirtualServer':
      state.virtualServers.set(key, { server: op.virtualServer, realServers: new Map() });
      return;
    case 'updateVirtualServer': {
      const e = state.virtualServers.get(key);
      if (e) e.server = op.virtualServer;
      return;
    }
    case 'deleteVirtualServer':
      state.virtualServers.delete(key);
      return;
    case 'addRealServer':
    case 'updateRealServer':
      state.virtualServers.get(key)?.realServers.set(realServerKey(op.realServer), op.realServer);
      return;
    case 'deleteRealServer':
      state.virtualServers.get(key)?.realServers.delete(realServerKey(op.realServer));
      return;
  }
}

/** Applies one successful address operation to a state. */
export function applyAddressOperation(state: MutableIpvsState, op: AddressOperation): void {
  if (op.kind === 'addAddress') state.addresses.set(op.address.address, op.address);
  else state.addresses.delete(op.address.address);
}
