// Self-test of the pod network used by the end-to-end tests: pods answer on their IPs, and a
// ClusterIP programmed by hand with ipvsadm reaches them from a client pod and from the node.
import { expect } from 'chai';
import { PodNetwork, type Pod } from '../support/pods.js';
import { run, sh } from '../support/run.js';

describe('pod network (harness self-test)', function () {
  this.timeout(120_000);
  const net = new PodNetwork({ bridge: 'cbr-self', prefix: '10.250.0' });
  let client: Pod;

  before(async () => {
    net.setUp();
    await net.addPod('self-a', 11, { http: 8080 });
    await net.addPod('self-b', 12, { http: 8080 });
    client = await net.addPod('self-client', 99);
    sh('echo 1 > /proc/sys/net/ipv4/vs/conntrack');
    sh('ip link add self-ipvs0 type dummy && ip addr add 10.97.0.1/32 dev self-ipvs0');
    run('ipvsadm', ['-A', '-t', '10.97.0.1:80', '-s', 'rr']);
    run('ipvsadm', ['-a', '-t', '10.97.0.1:80', '-r', '10.250.0.11:8080', '-m']);
    run('ipvsadm', ['-a', '-t', '10.97.0.1:80', '-r', '10.250.0.12:8080', '-m']);
  });

  after(() => {
    sh('ipvsadm -D -t 10.97.0.1:80 2>/dev/null; ip link del self-ipvs0 2>/dev/null; true');
    net.tearDown();
  });

  it('answers on a pod IP from another pod', () => {
    expect(client.curl('http://10.250.0.11:8080/')).to.equal('self-a\n');
  });

  it('answers on the ClusterIP from a client pod, from every backend in turn', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(client.curl('http://10.97.0.1/').trim());
    expect([...seen].sort()).to.deep.equal(['self-a', 'self-b']);
  });

  it('answers on the ClusterIP from the node', () => {
    expect(run('curl', ['-sS', '--max-time', '5', 'http://10.97.0.1/'])).to.match(/^self-[ab]\n$/);
  });
});
