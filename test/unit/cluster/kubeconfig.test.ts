// Where the API server is and which credentials each request carries, from the kubeconfig forms
// operators use: tokens (inline or a file the kubelet rotates), client certificates (files relative
// to the kubeconfig, or inline data), CA, insecure-skip-tls-verify, basic auth, --master, and an
// exec credential plugin handed to client-node's KubeConfig.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConnection } from '../../../src/cluster/index.js';

function kubeconfigYaml(cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  const lines = ['apiVersion: v1', 'kind: Config', 'current-context: ctx', 'contexts:', '- name: ctx', '  context: {cluster: c1, user: u1}', '- name: other', '  context: {cluster: c2, user: u2}'];
  lines.push('clusters:', '- name: c2', '  cluster: {server: "https://wrong.invalid:1"}', '- name: c1', `  cluster: ${JSON.stringify(cluster)}`);
  lines.push('users:', '- name: u2', '  user: {token: wrong}', '- name: u1', `  user: ${JSON.stringify(user)}`);
  return `${lines.join('\n')}\n`;
}

describe('kubeconfig: the connection to the API server', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kipvs-kubeconfig-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function write(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  it('takes the current context’s cluster and user, with an inline token and inline CA', async () => {
    const ca = Buffer.from('-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
    const file = write('kc', kubeconfigYaml({ server: 'https://10.0.0.1:6443', 'certificate-authority-data': ca.toString('base64'), 'tls-server-name': 'kubernetes' }, { token: 'abc' }));
    const c = loadConnection({ kubeconfig: file });
    expect(c.server.toString()).to.equal('https://10.0.0.1:6443/');
    const s = await c.security();
    expect(s.headers).to.deep.equal({ Authorization: 'Bearer abc' });
    expect(s.ca?.toString()).to.equal(ca.toString());
    expect(s.servername).to.equal('kubernetes');
    expect(s.rejectUnauthorized).to.equal(undefined);
  });

  it('reads a tokenFile at every request, so a rotated token is used', async () => {
    const tokenFile = write('token', 'first\n');
    const file = write('kc', kubeconfigYaml({ server: 'https://api.example:6443' }, { tokenFile }));
    const c = loadConnection({ kubeconfig: file });
    expect((await c.security()).headers.Authorization).to.equal('Bearer first');
    writeFileSync(tokenFile, 'second\n');
    expect((await c.security()).headers.Authorization).to.equal('Bearer second');
  });

  it('reads certificate files relative to the kubeconfig, and inline key data', async () => {
    write('ca.crt', 'CA');
    write('client.crt', 'CERT');
    const file = write('kc', kubeconfigYaml({ server: 'https://api:6443', 'certificate-authority': 'ca.crt' }, { 'client-certificate': 'client.crt', 'client-key-data': Buffer.from('KEY').toString('base64') }));
    const s = await loadConnection({ kubeconfig: file }).security();
    expect([s.ca?.toString(), s.cert?.toString(), s.key?.toString()]).to.deep.equal(['CA', 'CERT', 'KEY']);
    expect(s.headers).to.deep.equal({});
  });

  it('honours insecure-skip-tls-verify and basic auth', async () => {
    const file = write('kc', kubeconfigYaml({ server: 'https://api:6443', 'insecure-skip-tls-verify': true }, { username: 'admin', password: 'pw' }));
    const s = await loadConnection({ kubeconfig: file }).security();
    expect(s.rejectUnauthorized).to.equal(false);
    expect(s.auth).to.equal('admin:pw');
  });

  it('lets --master override the kubeconfig’s server and keeps its credentials', async () => {
    const file = write('kc', kubeconfigYaml({ server: 'https://api:6443' }, { token: 't' }));
    const c = loadConnection({ kubeconfig: file, master: 'https://10.9.9.9:443' });
    expect(c.server.host).to.equal('10.9.9.9');
    expect((await c.security()).headers.Authorization).to.equal('Bearer t');
  });

  it('runs an exec credential plugin through client-node’s KubeConfig', async () => {
    const plugin = write('plugin.sh', '#!/bin/sh\necho \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-exec"}}\'\n');
    const file = write('kc', kubeconfigYaml({ server: 'https://api:6443' }, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'sh', args: [plugin], interactiveMode: 'Never' } }));
    const c = loadConnection({ kubeconfig: file });
    expect(c.server.toString()).to.equal('https://api:6443/');
    expect((await c.security()).headers.Authorization).to.equal('Bearer from-exec');
  });

  it('fails with a clear message for a kubeconfig without a current cluster, and outside a cluster without flags', () => {
    const file = write('kc', 'apiVersion: v1\nkind: Config\nclusters: []\n');
    expect(() => loadConnection({ kubeconfig: file })).to.throw(/no current cluster/);
    const saved = process.env.KUBERNETES_SERVICE_HOST;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      expect(() => loadConnection({})).to.throw(/not running in a cluster/);
    } finally {
      if (saved !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved;
    }
  });
});
