// Where the API server is: in-cluster service account, a kubeconfig file, or a bare --master URL.
import { KubeConfig } from '@kubernetes/client-node';

export interface ConnectionOptions {
  /** path of a kubeconfig file (--kubeconfig) */
  readonly kubeconfig?: string | undefined;
  /** API server URL (--master); overrides the kubeconfig's server, as kube-proxy's flag does */
  readonly master?: string | undefined;
}

/**
 * Builds the client configuration. Neither option: in-cluster (service account token and
 * KUBERNETES_SERVICE_HOST/PORT). Throws when the kubeconfig cannot be read.
 */
export function loadKubeConfig(options: ConnectionOptions): KubeConfig {
  const kc = new KubeConfig();
  const master = options.master;
  if (options.kubeconfig !== undefined && options.kubeconfig !== '') {
    kc.loadFromFile(options.kubeconfig);
    if (master !== undefined && master !== '') {
      const current = kc.getCurrentCluster();
      if (current === null) throw new Error(`kubeconfig ${options.kubeconfig} has no current cluster`);
      kc.loadFromOptions({
        clusters: kc.clusters.map((c) => (c.name === current.name ? { ...c, server: master, skipTLSVerify: c.skipTLSVerify || master.startsWith('http:') } : c)),
        contexts: kc.contexts,
        users: kc.users,
        currentContext: kc.currentContext,
      });
    }
  } else if (master !== undefined && master !== '') {
    // client-node refuses plain http unless TLS verification is marked off
    kc.loadFromClusterAndUser({ name: 'master', server: master, skipTLSVerify: master.startsWith('http:') }, { name: 'anonymous' });
  } else {
    kc.loadFromCluster();
  }
  if (kc.getCurrentCluster() === null) throw new Error('no current cluster in the Kubernetes client configuration');
  return kc;
}
