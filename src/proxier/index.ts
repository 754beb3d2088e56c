// proxier: the stateful side — the reconciler that keeps cluster objects, schedules syncs, applies
// core's plans through the kernel ports, terminates real servers gracefully, and cleans up.
export * from './cleanup.js';
export * from './object-store.js';
export * from './observability.js';
export * from './read-kernel.js';
export * from './reconciler.js';
