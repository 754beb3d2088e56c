// kernel: the ports through which the program changes the kernel, and the typed errors they raise.
// Interfaces only; implementations live in src/netlink (transport), src/ipvs and src/link.
export * from './errors.js';
export * from './ports.js';
