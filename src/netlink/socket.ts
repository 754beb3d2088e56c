// The datagram socket the transport drives, and its implementation over npm `netlink`'s
// RawNetlinkSocket. The transport depends only on the interface, so unit tests can simulate a kernel.
// the package's raw socket alone: its index also loads the nl80211, WireGuard and rtnetlink codecs
import { RawNetlinkSocket } from 'netlink/dist/raw.js';

/** An error from the socket layer, with the errno the system call returned when there is one. */
export interface SocketError extends Error {
  readonly errno?: number;
  readonly code?: string;
}

export interface NetlinkDatagramSocket {
  /** one sendmsg of the whole buffer to the kernel (port 0) */
  send(datagram: Buffer, callback: (error: SocketError | undefined) => void): void;
  onDatagram(listener: (datagram: Buffer) => void): void;
  /** errors not tied to a send (poll/recvmsg failures); after one the socket is unusable */
  onError(listener: (error: SocketError) => void): void;
  /** the real SO_RCVBUF (bytes the kernel may queue for us) */
  receiveBufferSize(): number;
  /** the real SO_SNDBUF (a sendmsg may carry at most this minus 32 bytes) */
  sendBufferSize(): number;
  /** keeps the event loop alive (true) or not (false) */
  setActive(active: boolean): void;
  close(): void;
}

export interface RawSocketOptions {
  /** SO_RCVBUF to ask for; the kernel doubles it and caps it at net.core.rmem_max */
  readonly receiveBufferBytes: number;
  readonly sendBufferBytes: number;
}

/** Opens a netlink socket of `protocol` (NETLINK_ROUTE 0, NETLINK_GENERIC 16, …). */
export function openRawSocket(protocol: number, options: RawSocketOptions): NetlinkDatagramSocket {
  const raw = new RawNetlinkSocket(protocol, {
    recvBufferSize: options.receiveBufferBytes,
    sendBufferSize: options.sendBufferBytes,
  });
  raw.unref();
  let closed = false;
  const errorListeners: Array<(error: SocketError) => void> = [];
  const emitError = (error: SocketError): void => {
    for (const l of errorListeners) l(error);
  };
  // always listening: an unhandled 'error' event would throw
  raw.on('error', emitError);
  // message peeking sizes every read exactly, so a truncated datagram means a broken socket
  raw.on('truncatedMessage', (msg, rinfo) => {
    emitError(new Error(`truncated netlink datagram (${msg.length} of ${rinfo.truncated ?? '?'} bytes)`));
  });
  return {
    send(datagram, callback) {
      raw.send(datagram, { port: 0 }, (error) => callback(error));
    },
    onDatagram(listener) {
      raw.on('message', (msg) => listener(msg));
    },
    onError(listener) {
      errorListeners.push(listener);
    },
    receiveBufferSize: () => raw.getRecvBufferSize(),
    sendBufferSize: () => raw.getSendBufferSize(),
    setActive(active) {
      if (closed) return;
      if (active) raw.ref();
      else raw.unref();
    },
    close() {
      if (closed) return;
      closed = true;
      raw.close();
    },
  };
}
