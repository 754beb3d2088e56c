// link: rtnetlink for the dummy link (kube-ipvs0) that holds every service VIP, and its addresses.
// A pure codec (codec.ts) and NetlinkLinkKernel, the LinkKernel port over a NetlinkTransport.
export * from './codec.js';
export * from './netlink-link-kernel.js';
