// sysctl: kernel settings read and written as /proc/sys files (no netlink API exists for them).
// Typed errors with path and errno, and kube-proxy's IPVS set applied only where values differ.
export * from './ipvs-sysctls.js';
export * from './sysctl.js';
