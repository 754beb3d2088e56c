// Opening a transport on a real netlink socket with receive/send buffers as large as allowed.
import { openRawSocket } from './socket.js';
import { SocketTransport } from './socket-transport.js';
import type { SocketTransportOptions } from './socket-transport.js';

export const NetlinkProtocol = { route: 0, netfilter: 12, generic: 16 } as const;

export interface OpenTransportOptions extends SocketTransportOptions {
  /** SO_RCVBUF/SO_SNDBUF to ask for (default 32 MiB); the kernel caps them at net.core.{r,w}mem_max */
  readonly bufferBytes?: number;
}

const DEFAULT_BUFFER_BYTES = 32 * 1024 * 1024;

export function openNetlinkTransport(protocol: number, options: OpenTransportOptions = {}): SocketTransport {
  const bytes = options.bufferBytes ?? DEFAULT_BUFFER_BYTES;
  const socket = openRawSocket(protocol, { receiveBufferBytes: bytes, sendBufferBytes: bytes });
  return new SocketTransport(socket, options);
}
