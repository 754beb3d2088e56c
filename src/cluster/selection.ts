// Which Services and EndpointSlices this proxy serves: not headless, and either unclaimed or
// claimed by our proxy name (label service.kubernetes.io/service-proxy-name), as kube-proxy does.
import { HEADLESS_LABEL, SERVICE_PROXY_NAME_LABEL } from '../model/kube.js';

type Labels = Readonly<Record<string, string>> | undefined;

/**
 * The label selector sent with list/watch. A label selector cannot say "absent OR equal", so with
 * a proxy name only headless objects are filtered by the server and the name is checked here.
 */
export function serviceLabelSelector(proxyName: string | undefined): string {
  return proxyName === undefined || proxyName === ''
    ? `!${SERVICE_PROXY_NAME_LABEL},!${HEADLESS_LABEL}`
    : `!${HEADLESS_LABEL}`;
}

/** The same rule client-side, for servers that ignore selectors and objects that change labels. */
export function isServedByUs(labels: Labels, proxyName: string | undefined): boolean {
  if (labels === undefined) return true;
  if (labels[HEADLESS_LABEL] !== undefined) return false;
  const claimedBy = labels[SERVICE_PROXY_NAME_LABEL];
  if (claimedBy === undefined) return true;
  return proxyName !== undefined && proxyName !== '' && claimedBy === proxyName;
}
