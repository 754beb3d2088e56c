// The fake API server as a program (the demo embeds it): loads objects, writes a kubeconfig, serves.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

const main = join(dirname(fileURLToPath(import.meta.url)), '../../support/fake-apiserver/main.js');

describe('fake API server program', () => {
  it('serves the objects of --objects and writes a kubeconfig for them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-apiserver-main-'));
    const objects = join(dir, 'objects.json');
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      objects,
      JSON.stringify({
        items: [
          { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'demo' }, spec: { clusterIP: '10.96.0.80' } },
          { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } },
        ],
      }),
    );
    const child = spawn(process.execPath, [main, '--port', '0', '--objects', objects, '--kubeconfig-out', kubeconfig], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const banner = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (c: string) => {
          out += c;
          if (out.includes('\n')) resolve(out);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${String(code)} before listening`)));
      });
      expect(banner).to.match(/^fake-apiserver listening on http:\/\/127\.0\.0\.1:\d+ /);
      const kc = new KubeConfig();
      kc.loadFromString(readFileSync(kubeconfig, 'utf8'));
      const services = await kc.makeApiClient(CoreV1Api).listServiceForAllNamespaces();
      expect(services.items.map((s) => `${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`)).to.deep.equal(['demo/web']);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).to.equal(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
