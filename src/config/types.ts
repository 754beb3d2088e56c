// The effective configuration the proxy runs with, after flags, the config file and defaults.
// Durations are milliseconds; bind addresses are parsed; optional things are explicit undefined.
import { PROTOBUF_MEDIA_TYPE } from '../model/index.js';

/** An IP and port to listen on ("0.0.0.0:10256" → { host: "0.0.0.0", port: 10256 }). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export type LogFormat = 'json' | 'text';

export interface IpvsSettings {
  /** kernel scheduler for every virtual server (rr, wrr, lc, …) */
  readonly scheduler: string;
  /** longest time between two full syncs (> 0) */
  readonly syncPeriodMs: number;
  /** shortest time between two syncs (0 = sync on every change); ≤ syncPeriodMs */
  readonly minSyncPeriodMs: number;
  /** CIDRs whose virtual servers the proxy never deletes (owned by someone else) */
  readonly excludeCIDRs: readonly string[];
  /** set arp_ignore=1 / arp_announce=2 so kube-ipvs0 addresses are not answered on other links */
  readonly strictARP: boolean;
  /** IPVS connection timeouts; 0 leaves the kernel's value */
  readonly tcpTimeoutMs: number;
  readonly tcpFinTimeoutMs: number;
  readonly udpTimeoutMs: number;
  /** how long a removed TCP real server may stay at weight 0 while it still has connections; 0 = no bound */
  readonly gracefulPeriodMs: number;
}

export interface ProxyConfig {
  /** this node's name: hostname override lower-cased, else the host name lower-cased */
  readonly nodeName: string;
  /** as configured (kept so --write-config-to can render it back) */
  readonly hostnameOverride: string | undefined;
  readonly kubeconfig: string | undefined;
  readonly master: string | undefined;
  /** --kube-api-content-type / clientConnection.contentType: the encoding asked for Service and EndpointSlice lists */
  readonly kubeApiContentType: ApiContentType;
  readonly ipvs: IpvsSettings;
  /** pod CIDRs (one per family), from --cluster-cidr / clusterCIDR */
  readonly clusterCIDRs: readonly string[];
  /** node primary IP override; undefined when unset or 0.0.0.0 / :: */
  readonly bindAddress: string | undefined;
  /** undefined = server disabled */
  readonly healthzBindAddress: HostPort | undefined;
  readonly metricsBindAddress: HostPort | undefined;
  /** the value of label service.kubernetes.io/service-proxy-name this proxy serves; undefined = only unlabelled */
  readonly serviceProxyName: string | undefined;
  /** klog-style -v level, 0..10 */
  readonly verbosity: number;
  readonly logFormat: LogFormat;
  /** --cleanup: remove everything the proxy programs, then exit */
  readonly cleanup: boolean;
  /** --write-config-to: write the effective configuration there, then exit */
  readonly writeConfigTo: string | undefined;
  /** --config: the KubeProxyConfiguration file read, if any */
  readonly configFile: string | undefined;
}

/** The API encodings the proxy reads: Kubernetes protobuf (kube-proxy's default) or JSON. */
export type ApiContentType = typeof PROTOBUF_CONTENT_TYPE | typeof JSON_CONTENT_TYPE;
export const PROTOBUF_CONTENT_TYPE = PROTOBUF_MEDIA_TYPE;
export const JSON_CONTENT_TYPE = 'application/json';

export const DEFAULT_SYNC_PERIOD_MS = 30_000;
/**
 * Default for --ipvs-graceful-period: 15 minutes, the kernel's default TCP established timeout. A
 * connection idle that long is gone from IPVS anyway; a busy long-lived one (a pod with a long
 * terminationGracePeriodSeconds) keeps flowing until then. Bounded, unlike kube-proxy's wait, so
 * a connection that never ends cannot pin a dead pod's real server forever; 0 restores that wait.
 */
export const DEFAULT_GRACEFUL_PERIOD_MS = 15 * 60_000;
export const DEFAULT_HEALTHZ_BIND_ADDRESS = '0.0.0.0:10256';
export const DEFAULT_METRICS_BIND_ADDRESS = '127.0.0.1:10249';
export { DEFAULT_SCHEDULER, IPVS_SCHEDULERS as KNOWN_SCHEDULERS } from '../model/index.js';
export const MAX_VERBOSITY = 10;
