// List requests against the fake API server: the same items and resourceVersion whether the body's
// items are parsed in groups or scanned one by one, compressed or not (the kubeconfig can ask for plain
// answers); protobuf lists (asked for first, as kube-proxy does) decode to what the JSON lists slim
// to, and a server answering JSON instead is read as JSON; a body that is not a list is refused.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiStatusError, listObjects } from '../../../src/cluster/api-client.js';
import { loadConnection } from '../../../src/cluster/kubeconfig.js';
import { ListDecodeError } from '../../../src/cluster/list-stream.js';
import { decodeEndpointSlice, decodeService, ProtobufError } from '../../../src/cluster/protobuf/index.js';
import { slimEndpointSlice, slimService } from '../../../src/cluster/slim.js';
import { encodeList, encodeMessage, encodeObject, endpointSliceObject, envelope, FakeApiServer, PROTOBUF_MEDIA_TYPE, serviceObject } from '../../support/fake-apiserver/index.js';

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
        const scanned = await listObjects(connection, '/api/v1/services', {}, signal, (x) => x, { parser: { groupBytes: 0 } });
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
        const err = await listObjects(connection, '/api/v1/services', {}, AbortSignal.timeout(5000), (x) => x, { parser: options }).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(ListDecodeError);
      }
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  describe('in protobuf', () => {
    const services = Array.from({ length: 2000 }, (_, i) =>
      serviceObject('default', `svc-${i}`, { clusterIP: `10.96.${i >> 8}.${i & 255}`, ports: [{ name: 'http', port: 80, targetPort: 8080 }], sessionAffinity: i % 2 === 0 ? 'ClientIP' : 'None' }, { tier: `t${i % 7}` }),
    );
    const slices = Array.from({ length: 500 }, (_, i) =>
      endpointSliceObject('default', `svc-${i}-x`, `svc-${i}`, { endpoints: [{ addresses: [`10.244.${i >> 8}.${i & 255}`], ready: i % 3 !== 0, nodeName: 'node-a' }], ports: [{ name: 'http', port: 8080 }] }),
    );
    const serviceList = { kind: 'ServiceList', decode: decodeService };

    for (const compression of [true, false]) {
      it(`decode to what the JSON lists slim to (${compression ? 'gzip' : 'plain'})`, async () => {
        const api = await FakeApiServer.start({ noCompression: !compression });
        try {
          api.createMany([...services, ...slices]);
          const connection = loadConnection({ master: api.url });
          const signal = AbortSignal.timeout(30_000);
          const json = await listObjects(connection, '/api/v1/services', {}, signal, slimService);
          expect(api.requests.protobuf).to.equal(0);
          const protobuf = await listObjects(connection, '/api/v1/services', {}, signal, slimService, { protobuf: serviceList });
          expect(api.requests.protobuf).to.equal(1);
          expect(protobuf.items).to.have.length(2000).and.deep.equal(json.items);
          expect(protobuf.resourceVersion).to.equal(json.resourceVersion).and.not.equal('');
          const slicesPath = '/apis/discovery.k8s.io/v1/endpointslices';
          const jsonSlices = await listObjects(connection, slicesPath, {}, signal, slimEndpointSlice);
          const protobufSlices = await listObjects(connection, slicesPath, {}, signal, slimEndpointSlice, { protobuf: { kind: 'EndpointSliceList', decode: decodeEndpointSlice } });
          expect(protobufSlices.items).to.have.length(500).and.deep.equal(jsonSlices.items);
          expect(api.requests.protobuf).to.equal(2);
          expect(api.requests.gzipped).to.equal(compression ? 3 : 0);
        } finally {
          await api.close();
        }
      });
    }

    it('read a JSON answer as JSON when the server does not answer in protobuf', async () => {
      const api = await FakeApiServer.start({ noProtobuf: true });
      try {
        api.createMany(services.slice(0, 10));
        const list = await listObjects(loadConnection({ master: api.url }), '/api/v1/services', {}, AbortSignal.timeout(30_000), slimService, { protobuf: serviceList });
        expect(list.items.map((s) => s.metadata?.name)).to.deep.equal(services.slice(0, 10).map((s) => s.metadata?.name));
        expect(api.requests.protobuf).to.equal(0);
      } finally {
        await api.close();
      }
    });

    async function answering(status: number, body: Buffer): Promise<{ url: string; accepts: string[]; close(): Promise<void> }> {
      const accepts: string[] = [];
      const server = createServer((req, res) => {
        accepts.push(req.headers.accept ?? '');
        res.writeHead(status, { 'Content-Type': PROTOBUF_MEDIA_TYPE });
        res.end(body);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        accepts,
        close: async () => {
          server.closeAllConnections();
          await new Promise((r) => server.close(r));
        },
      };
    }

    it('ask for protobuf first and say what a protobuf error answer says', async () => {
      const status = encodeMessage({ message: { n: 3, type: 'string' }, code: { n: 6, type: 'int32' } }, { message: 'services is forbidden: User "system:anonymous" cannot list resource "services"', code: 403 });
      const server = await answering(403, envelope('v1', 'Status', status));
      try {
        const err = await listObjects(loadConnection({ master: server.url }), '/api/v1/services', {}, AbortSignal.timeout(5000), slimService, { protobuf: serviceList }).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(ApiStatusError).with.property('message', 'HTTP 403: services is forbidden: User "system:anonymous" cannot list resource "services"');
        expect(server.accepts).to.deep.equal([`${PROTOBUF_MEDIA_TYPE}, application/json`]);
      } finally {
        await server.close();
      }
    });

    it('refuse a protobuf answer of another kind or cut short', async () => {
      const slicesBody = encodeList('discovery.k8s.io/v1', 'EndpointSlice', '9', [encodeObject('EndpointSlice', { ...slices[0], apiVersion: undefined, kind: undefined })]);
      for (const body of [slicesBody, encodeList('v1', 'Service', '9', [encodeObject('Service', { metadata: { name: 'a' }, spec: {}, status: {} })]).subarray(0, 40)]) {
        const server = await answering(200, body);
        try {
          const err = await listObjects(loadConnection({ master: server.url }), '/api/v1/services', {}, AbortSignal.timeout(5000), slimService, { protobuf: serviceList }).catch((e: unknown) => e);
          expect(err).to.be.instanceOf(ProtobufError);
        } finally {
          await server.close();
        }
      }
    });
  });
});
