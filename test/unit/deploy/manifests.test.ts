// The deployment manifests (hack/deploy) say what an operator replacing kube-proxy relies on:
// the RBAC it grants, where the DaemonSet runs and with what rights, and a kind cluster without kube-proxy.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { load, loadAll } from 'js-yaml';
import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1Container,
  V1DaemonSet,
  V1PodSpec,
  V1ServiceAccount,
} from '@kubernetes/client-node';

// compiled to dist/test/unit/deploy/: the checkout's root is four levels up
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const read = (path: string): string => readFileSync(root + path, 'utf8');

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

function deployObjects(): KubeObject[] {
  const kustomization = load(read('hack/deploy/kustomization.yaml')) as { resources: string[] };
  return kustomization.resources.flatMap((file) => loadAll(read(`hack/deploy/${file}`)) as KubeObject[]);
}

function only<T>(kind: string): T {
  const found = deployObjects().filter((o) => o.kind === kind);
  expect(found, `exactly one ${kind}`).to.have.length(1);
  return found[0] as T;
}

function podSpec(): V1PodSpec {
  const spec = only<V1DaemonSet>('DaemonSet').spec?.template.spec;
  if (!spec) throw new Error('DaemonSet without a pod spec');
  return spec;
}

function container(): V1Container {
  const containers = podSpec().containers;
  expect(containers).to.have.length(1);
  return containers[0] as V1Container;
}

describe('hack/deploy manifests', () => {
  it('are a ServiceAccount, a ClusterRole, its binding and a DaemonSet, listed by the kustomization', () => {
    expect(deployObjects().map((o) => o.kind).sort()).to.deep.equal(
      ['ClusterRole', 'ClusterRoleBinding', 'DaemonSet', 'ServiceAccount'],
    );
    expect(only<V1ServiceAccount>('ServiceAccount').metadata?.namespace).to.equal('kube-system');
  });

  it('grant list/watch on services, endpointslices and nodes, and nothing else (the proxy posts no Events)', () => {
    const granted = new Set<string>();
    for (const rule of only<V1ClusterRole>('ClusterRole').rules ?? []) {
      expect(rule.resourceNames, 'no per-name rules').to.equal(undefined);
      expect(rule.nonResourceURLs, 'no non-resource URLs').to.equal(undefined);
      for (const group of rule.apiGroups ?? [])
        for (const resource of rule.resources ?? [])
          for (const verb of rule.verbs) granted.add(`${group}/${resource}:${verb}`);
    }
    expect([...granted].sort()).to.deep.equal([
      '/nodes:list', '/nodes:watch',
      '/services:list', '/services:watch',
      'discovery.k8s.io/endpointslices:list', 'discovery.k8s.io/endpointslices:watch',
    ]);
  });

  it('bind that role to the DaemonSet\'s ServiceAccount', () => {
    const binding = only<V1ClusterRoleBinding>('ClusterRoleBinding');
    expect(binding.roleRef).to.deep.equal({
      apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: only<V1ClusterRole>('ClusterRole').metadata?.name,
    });
    expect(binding.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: podSpec().serviceAccountName, namespace: 'kube-system' }]);
  });

  it('run the proxy on every node, in the node\'s network namespace, before anything else', () => {
    const ds = only<V1DaemonSet>('DaemonSet');
    expect(ds.metadata?.namespace).to.equal('kube-system');
    const spec = podSpec();
    expect(spec.hostNetwork).to.equal(true);
    expect(spec.priorityClassName).to.equal('system-node-critical');
    expect(spec.tolerations).to.deep.equal([{ operator: 'Exists' }]);
    // the cluster's DNS is behind a ClusterIP that only we make work
    expect(spec.dnsPolicy).to.equal('Default');
  });

  it('run the locally built image with NET_ADMIN and the node\'s /lib/modules read-only', () => {
    const c = container();
    expect(c.image).to.equal('kube-ipvs-proxy:dev');
    expect(c.imagePullPolicy).to.equal('IfNotPresent');
    expect(c.securityContext?.capabilities?.add).to.include('NET_ADMIN');
    expect(c.securityContext?.capabilities?.add ?? []).not.to.include('SYS_MODULE');
    const mount = c.volumeMounts?.find((m) => m.mountPath === '/lib/modules');
    expect(mount?.readOnly).to.equal(true);
    const volume = podSpec().volumes?.find((v) => v.name === mount?.name);
    expect(volume?.hostPath?.path).to.equal('/lib/modules');
  });

  it('reach the API server directly, not through the kubernetes ClusterIP, and name the node', () => {
    const env = new Map((container().env ?? []).map((e) => [e.name, e]));
    expect(env.get('KUBERNETES_SERVICE_HOST')?.value).to.equal('kind-control-plane');
    expect(env.get('KUBERNETES_SERVICE_PORT')?.value).to.equal('6443');
    expect(env.get('NODE_NAME')?.valueFrom?.fieldRef?.fieldPath).to.equal('spec.nodeName');
    expect(container().args).to.include('--hostname-override=$(NODE_NAME)');
  });

  it('probe liveness on /livez and readiness on /readyz (ready once the first sync is done), port 10256', () => {
    const c = container();
    expect(c.livenessProbe?.httpGet).to.include({ path: '/livez', port: 10256 });
    expect(c.readinessProbe?.httpGet).to.include({ path: '/readyz', port: 10256 });
  });
});

describe('hack/deploy/kind/cluster.yaml', () => {
  it('makes a kind cluster of one control plane and two workers, without kube-proxy', () => {
    const config = load(read('hack/deploy/kind/cluster.yaml')) as {
      kind: string; apiVersion: string; networking: { kubeProxyMode: string }; nodes: { role: string }[];
    };
    expect(config.kind).to.equal('Cluster');
    expect(config.apiVersion).to.equal('kind.x-k8s.io/v1alpha4');
    expect(config.networking.kubeProxyMode).to.equal('none');
    expect(config.nodes.map((n) => n.role)).to.deep.equal(['control-plane', 'worker', 'worker']);
  });
});
