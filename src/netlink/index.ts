// netlink: the transport every kernel client speaks through — framing, sockets, batching, genl.
// Protocol-agnostic; IPVS (src/ipvs) and rtnetlink clients build their messages on top of it.
export * from './address.js';
export * from './codec.js';
export * from './chunking.js';
export * from './genl.js';
export * from './open.js';
export * from './socket.js';
export * from './socket-transport.js';
export type * from './transport.js';
