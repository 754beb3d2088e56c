// How many write messages may share one sendmsg: bounded so that, even if every message fails,
// the kernel's replies fit in the socket's receive buffer (npm `netlink` aborts the process when
// the receive queue overruns), and so that the datagram fits in the send buffer.
import { NLMSG_HDRLEN, align4 } from './codec.js';

/** sizeof(struct nlmsgerr) minus the echoed header: the s32 error */
const NLMSGERR_ERROR_BYTES = 4;
/**
 * Bytes the kernel charges per reply skb beyond its netlink data: skb_shared_info in the data
 * allocation (320 bytes on x86_64 with 17 frags, more with larger CONFIG_MAX_SKB_FRAGS; 768 bounds it)
 * and struct sk_buff itself (≈256; 512 bounds it). Measured: ≈770 bytes per bare ACK.
 */
const SKB_SHARED_INFO_BOUND = 768;
const SK_BUFF_BOUND = 512;
/** The kernel refuses a sendmsg larger than SO_SNDBUF − 32. */
const SNDBUF_SLACK = 32;
/** Fraction of SO_RCVBUF a chunk's worst-case replies may use (the rest is a safety margin). */
const RCVBUF_SHARE = 0.5;

function nextPowerOfTwo(n: number): number {
  let p = 64;
  while (p < n) p *= 2;
  return p;
}

/**
 * Worst-case receive-buffer charge (truesize) of the reply to one request of `requestBytes`:
 * an NLMSG_ERROR echoing the whole request. kmalloc rounds the data allocation up to a power of two.
 */
export function worstReplyTruesize(requestBytes: number): number {
  const nlData = align4(NLMSG_HDRLEN + NLMSGERR_ERROR_BYTES + requestBytes);
  return nextPowerOfTwo(nlData + SKB_SHARED_INFO_BOUND) + SK_BUFF_BOUND;
}

export interface ChunkLimits {
  /** the socket's real SO_RCVBUF */
  readonly receiveBufferBytes: number;
  /** the socket's real SO_SNDBUF */
  readonly sendBufferBytes: number;
  /** an upper bound on messages per chunk regardless of sizes (optional) */
  readonly maxMessages?: number;
}

/**
 * Splits messages (given by their aligned byte lengths) into consecutive chunks [start, end).
 * Every chunk holds at least one message, so progress is always made.
 */
export function planChunks(messageBytes: readonly number[], limits: ChunkLimits): Array<readonly [number, number]> {
  const replyBudget = Math.floor(limits.receiveBufferBytes * RCVBUF_SHARE);
  const sendBudget = limits.sendBufferBytes - SNDBUF_SLACK;
  const maxMessages = limits.maxMessages ?? Number.POSITIVE_INFINITY;
  const chunks: Array<readonly [number, number]> = [];
  let start = 0;
  let replies = 0;
  let bytes = 0;
  for (let i = 0; i < messageBytes.length; i++) {
    const size = messageBytes[i] ?? 0;
    const reply = worstReplyTruesize(size);
    const count = i - start;
    if (count > 0 && (replies + reply > replyBudget || bytes + size > sendBudget || count >= maxMessages)) {
      chunks.push([start, i]);
      start = i;
      replies = 0;
      bytes = 0;
    }
    replies += reply;
    bytes += size;
  }
  if (start < messageBytes.length) chunks.push([start, messageBytes.length]);
  return chunks;
}
