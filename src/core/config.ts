// What the pure core needs to know about this node and this proxy, and the names it honours.
import type { IpFamily } from '../model/index.js';
import type { Cidr } from './ip.js';

export { SCHEDULER_ANNOTATION, SCHEDULER_FLAGS_ANNOTATION } from '../model/index.js';

/** Kubernetes' default sessionAffinityConfig.clientIP.timeoutSeconds (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10800;
/** Kubernetes' maximum for it (one day). */
export const MAX_AFFINITY_TIMEOUT_SECONDS = 86400;

export interface CoreConfig {
  /** this node's name, compared with endpoints' nodeName for internalTrafficPolicy Local and with same-node hints */
  readonly nodeName: string;
  /** this node's topology.kubernetes.io/zone label, compared with endpoints' zone hints ('' or unset: none) */
  readonly zone?: string | undefined;
  /** IP families this node serves; ClusterIPs of other families are not programmed */
  readonly families: readonly IpFamily[];
  /** the service-proxy-name label value we answer to; unset: only Services without that label */
  readonly proxyName?: string | undefined;
  /** default scheduler ("rr" when unset) */
  readonly scheduler?: string | undefined;
  /** what lies inside these and no Service wants is never touched (kube-proxy's excludeCIDRs) */
  readonly excludeCidrs: readonly Cidr[];
}
