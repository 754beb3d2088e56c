// ipvs: the IPVS generic netlink protocol (pure codec of commands and attributes) and the
// NetlinkIpvsKernel client implementing the IpvsKernel port over the netlink transport.
export * from './constants.js';
export * from './codec.js';
export * from './kernel.js';
