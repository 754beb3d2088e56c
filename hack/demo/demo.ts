// The seed's hands-on example on an embedded node: a real IPVS kernel (from hack/kernel-run.sh), an
// embedded API server, pods as network namespaces, and the real kube-ipvs-proxy command between them.
// Run by `npm run demo`; it prints each step as an operator would type it, then cleans up.
import { FakeApiServer, endpointSliceObject, nodeObject, serviceObject } from '../../test/support/fake-apiserver/index.js';
import { PodNetwork } from '../../test/support/pods.js';
import { ProxyProcess, eventually } from '../../test/support/proxy-process.js';
import { run, sh } from '../../test/support/run.js';

const NODE = 'kind-worker';
const POD = { name: 'demo-7d9c8b5f4-x2kqp', ip: '10.244.0.10' };
const CLUSTER_IP = '10.96.142.17';
const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

/** A step: the command an operator would type in a cluster, and, when the demo does it differently, how. */
function step(n: number, title: string, command?: string, here?: string): void {
  console.log(`\n${bold(`Step ${n}: ${title}`)}`);
  if (command) console.log(`$ ${command}`);
  if (here) console.log(`  (in this demo: ${here})`);
}

function indent(text: string): string {
  return text.trimEnd().split('\n').map((l) => `  ${l}`).join('\n');
}

function titleOf(html: string): string {
  return /<title>(.*?)<\/title>/.exec(html)?.[1] ?? html.trim();
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log(bold('kube-ipvs-proxy demo: a Service is a routing rule, not a process.'));
  console.log(`Node "${NODE}": Linux ${run('uname', ['-r']).trim()} with IPVS; the API server is embedded; pods are network namespaces.`);
  console.log('The kubectl lines are what you would type in a cluster; here the demo writes the same objects to the embedded API server.');

  const net = new PodNetwork();
  const api = await FakeApiServer.start();
  let proxy: ProxyProcess | undefined;
  try {
    net.setUp();
    api.create(nodeObject(NODE, { internalIPs: ['10.244.0.1'], podCIDRs: ['10.244.0.0/24'] }));
    const kubeconfig = api.writeKubeconfig();
    step(0, 'the node\'s proxy runs and watches Services and EndpointSlices', `kube-ipvs-proxy --kubeconfig ${kubeconfig} --hostname-override ${NODE}`);
    proxy = ProxyProcess.start(['--kubeconfig', kubeconfig, '--hostname-override', NODE, '--ipvs-min-sync-period', '0s', '--healthz-bind-address', '127.0.0.1:10256', '--metrics-bind-address', '127.0.0.1:10249']);
    await eventually('the proxy to be healthy', () => run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:10256/healthz']) === '200', 60_000);
    console.log(indent(`healthz: ${run('curl', ['-s', 'http://127.0.0.1:10256/healthz'])}`));

    step(1, 'create the deployment (one nginx pod)', 'kubectl create deployment demo --image=nginx', 'a network namespace on the bridge cbr0 answering HTTP like nginx');
    await net.addPod('demo', 10, { http: 80, welcome: true });
    console.log(indent('deployment.apps/demo created'));

    step(2, 'the pod and its IP', 'kubectl get pods -o wide', "the pod's real address, in kubectl's layout");
    console.log(indent(`NAME                   READY   STATUS    IP            NODE\n${POD.name}   1/1     Running   ${POD.ip}   ${NODE}`));

    step(3, 'expose it: a Service with a ClusterIP, and its EndpointSlice', 'kubectl expose deployment demo --port=80', 'the Service and the EndpointSlice the controller would write, created in the API server');
    api.create(serviceObject('default', 'demo', { clusterIP: CLUSTER_IP, ports: [{ port: 80, targetPort: 80 }], selector: { app: 'demo' } }, { app: 'demo' }));
    api.create(endpointSliceObject('default', 'demo-abcde', 'demo', { endpoints: [{ addresses: [POD.ip], nodeName: NODE }], ports: [{ port: 80 }] }));
    console.log(indent('service/demo exposed'));

    step(4, 'the Service and its endpoints', 'kubectl get svc demo; kubectl get endpointslices -l kubernetes.io/service-name=demo');
    console.log(indent(`NAME   TYPE        CLUSTER-IP     PORT(S)\ndemo   ClusterIP   ${CLUSTER_IP}   80/TCP\n\nNAME         ADDRESSTYPE   PORTS   ENDPOINTS\ndemo-abcde   IPv4          80      ${POD.ip}`));

    const client = await net.addPod('tmp-curl', 99);
    step(5, 'curl the pod IP from a temporary client pod', `kubectl run tmp --rm -it --image=curlimages/curl -- curl -s http://${POD.ip}`, 'curl in a client network namespace');
    console.log(indent(titleOf(client.curl(`http://${POD.ip}/`))));

    step(6, 'curl the Service IP: nothing listens there, the kernel routes it', `kubectl run tmp --rm -it --image=curlimages/curl -- curl -s http://${CLUSTER_IP}`, 'curl in the same client namespace');
    const answer = await eventually('the ClusterIP to answer', () => client.curl(`http://${CLUSTER_IP}/`), 30_000);
    console.log(indent(titleOf(answer)));

    step(7, 'what kube-ipvs-proxy programmed: ClusterIP → pod IP', 'ipvsadm -Ln');
    console.log(indent(run('ipvsadm', ['-Ln'])));
    console.log(`$ ip addr show kube-ipvs0`);
    console.log(indent(run('ip', ['addr', 'show', 'kube-ipvs0'])));
    console.log(`\nWhat changed: the kernel gained a virtual server ${CLUSTER_IP}:80 with real server ${POD.ip}:80, and the`);
    console.log(`address ${CLUSTER_IP} on the dummy link kube-ipvs0. What did not: the pod — it never learned of the Service.`);

    step(8, 'clean up: delete the Service, and its rule goes', 'kubectl delete service demo', 'deleted from the API server');
    api.delete('services', 'default', 'demo');
    await eventually('the rule to go', () => !run('ipvsadm', ['-Ln']).includes(CLUSTER_IP), 30_000);
    console.log('$ ipvsadm -Ln');
    console.log(indent(run('ipvsadm', ['-Ln'])));
    await proxy.stop();
    const cleanup = ProxyProcess.runToEnd(['--cleanup']);
    if (cleanup.code !== 0) throw new Error(`kube-ipvs-proxy --cleanup failed: ${cleanup.output}`);
    console.log(`\n${bold('Done')} in ${((Date.now() - started) / 1000).toFixed(1)} s: "Welcome to nginx!" answered through the ClusterIP.`);
  } catch (e) {
    if (proxy) console.error(`--- proxy output ---\n${proxy.output.slice(-4000)}`);
    throw e;
  } finally {
    await proxy?.kill();
    net.tearDown();
    sh('ip link del kube-ipvs0 2>/dev/null; true');
    await api.close();
  }
}

main().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
