// core: the pure heart of the proxy — Kubernetes objects → desired IPVS state, and desired vs
// observed → ordered operations. No I/O, no clock, no adapters; only model and kernel port types.
export * from './config.js';
export * from './desired.js';
export * from './diff.js';
export * from './endpoints.js';
export * from './ip.js';
export * from './rejection.js';
export * from './state.js';
