// The netlink transport contract every protocol client (IPVS genl, rtnetlink, nfnetlink) uses.
// Implementations frame nlmsghdr themselves, match replies by sequence number and batch writes.

/** One netlink message to send; the transport fills in length, sequence number and port id. */
export interface NetlinkMessage {
  /** nlmsg_type (for generic netlink: the resolved family id) */
  readonly type: number;
  /** NLM_F_* flags other than REQUEST/ACK, which the transport manages (e.g. CREATE|EXCL, DUMP) */
  readonly flags: number;
  /** everything after the 16-byte nlmsghdr (genlmsghdr + attributes, ifaddrmsg + attributes, …) */
  readonly payload: Buffer;
}

/** A reply message as received: header fields plus payload after the nlmsghdr. */
export interface NetlinkReply {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly payload: Buffer;
}

/** Per-message outcome of a batch: errno 0 is success. */
export interface BatchOutcome {
  /** errno per input message, same order and length as the input */
  readonly errnos: readonly number[];
}

export interface NetlinkTransport {
  /** A request expecting replies and/or an ACK; rejects with KernelError carrying the errno. */
  request(message: NetlinkMessage, operation: string, key: string): Promise<NetlinkReply[]>;
  /** A dump (NLM_F_DUMP added); resolves with every part until NLMSG_DONE. */
  dump(message: NetlinkMessage, operation: string): Promise<NetlinkReply[]>;
  /**
   * Many write messages in few sendmsg calls. Every message is attempted; a failure is reported at
   * its index and does not stop the rest. Chunks are sized so replies can never overflow the socket's
   * receive buffer (the npm `netlink` package aborts the process on overflow).
   */
  batch(messages: readonly NetlinkMessage[]): Promise<BatchOutcome>;
  close(): void;
}
