// List requests against the fake API server: the same items and resourceVersion whether the body's
// items are parsed in groups or scanned one by one, compressed or not (the kubeconfig can ask for plain
// answers); a body that is not a list is refused.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listObjects } from '../../../src/cluster/api-client.js';
import { loadConnection } from '../../../src/cluster/kubeconfig.js';
import { ListDecodeError } from '../../../src/cluster/list-stream.js';
import { FakeApiServer, serviceObject } from '../../support/fake-apiserver/index.js';

const names = (items: readonly unknown[]): string[] => items.map((i) => (i as { metadata: { name: string } }).metadata.name).sort();

describe('list requests', () => {
  for (const compression of [true, false]) {
    it(`parse in groups and item by item alike (${compression ? 'gzip' : 'plain'})`, async () => {
      const api = await FakeApiServer.start({ noCompression: !compression });
      try {
        // ~600 KB: over the 128 KiB the API server compresses from
        api.createMany(Array.from({ length: 2000 }, (_, i) => serviceObject('default', `svc-${i}`, { clusterIP: `10.96.${i >> 8}.${i & 255}`, ports: [{ port: 80 }] })));
        const connection = loadConnection({ master: api.url });
        const signal = AbortSignal.timeout(30_000);
        const grouped = await listObjects(connection, '/api/v1/services', {}, signal, (x) => x);
        const scanned = await listObjects(connection, '/api/v1/services', {}, signal, (x) => x, { groupBytes: 0 });
        expect(names(grouped.items)).to.deep.equal(Array.from({ length: 2000 }, (_, i) => `svc-${i}`).sort());
        expect(scanned.items).to.deep.equal(grouped.items);
        expect(scanned.resourceVersion).to.equal(grouped.resourceVersion).and.not.equal('');
        expect(api.requests.gzipped).to.equal(compression ? 2 : 0);
      } finally {
        await api.close();
      }
    });
  }

  it('asks for plain answers when the kubeconfig cluster says disable-compression, as client-go does', async () => {
    const api = await FakeApiServer.start();
    const dir = mkdtempSync(join(tmpdir(), 'kipvs-kubeconfig-'));
    try {
      api.createMany(Array.from({ length: 2000 }, (_, i) => serviceObject('default', `svc-${i}`, { clusterIP: `10.96.${i >> 8}.${i & 255}`, ports: [{ port: 80 }] })));
      const plainFile = join(dir, 'plain');
      writeFileSync(plainFile, api.kubeconfig().replace('    insecure-skip-tls-verify: true', '    insecure-skip-tls-verify: true\n    disable-compression: true'));
      const signal = AbortSignal.timeout(30_000);
      const plain = await listObjects(loadConnection({ kubeconfig: plainFile }), '/api/v1/services', {}, signal, (x) => x);
      expect(api.requests.gzipped).to.equal(0);
      const gzipped = await listObjects(loadConnection({ kubeconfig: api.writeKubeconfig(join(dir, 'default')) }), '/api/v1/services', {}, signal, (x) => x);
      expect(api.requests.gzipped).to.equal(1);
      expect(names(plain.items)).to.have.length(2000).and.deep.equal(names(gzipped.items));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await api.close();
    }
  });

  it('refuses a compressed answer that does not inflate, saying so', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
      res.end('{"metadata":{},"items":[]}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const connection = loadConnection({ master: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      const err = await listObjects(connection, '/api/v1/services', {}, AbortSignal.timeout(5000), (x) => x).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(Error).with.property('message').that.matches(/does not decompress/);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('refuses an answer that is not a list document, in groups or item by item', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"metadata":{},"items":[{"a":1},"oops"]}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const connection = loadConnection({ master: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      for (const options of [{}, { groupBytes: 4 }, { groupBytes: 0 }]) {
        const err = await listObjects(connection, '/api/v1/services', {}, AbortSignal.timeout(5000), (x) => x, options).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(ListDecodeError);
      }
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
