// A record of input the core would not program, returned to the caller to log and count.
// The core never throws on bad objects: one bad Service or slice never disturbs the others.

export type RejectionReason =
  | 'InvalidClusterIP'
  | 'FamilyNotServed'
  | 'InvalidPort'
  | 'UnknownProtocol'
  | 'DuplicatePort'
  | 'InvalidSessionAffinity'
  | 'InvalidScheduler'
  | 'InvalidSchedulerFlags'
  | 'InvalidEndpointAddress'
  | 'InvalidEndpointPort'
  | 'VirtualServerConflict'
  /** objects so malformed (watch events are not schema-checked) that computing them threw */
  | 'MalformedObject'
  | 'ServiceTypeNotServed'
  | 'ExternalIPsNotServed';

export interface Rejection {
  readonly reason: RejectionReason;
  /** "Service ns/name" or "EndpointSlice ns/name" */
  readonly object: string;
  /** what exactly was wrong and what was done instead, for the log line */
  readonly detail: string;
}
