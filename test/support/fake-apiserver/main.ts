// Runs the fake API server as a program: `node dist/test/support/fake-apiserver/main.js
// [--host H] [--port P] [--objects FILE.json] [--kubeconfig-out FILE]`. Prints the URL, stops on SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FakeApiServer, type KubeObject } from './server.js';

function objectsIn(file: string): KubeObject[] {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  // a JSON array of objects, or a List ({"items": [...]}) as `kubectl get -o json` writes
  if (Array.isArray(parsed)) return parsed as KubeObject[];
  if (parsed !== null && typeof parsed === 'object' && Array.isArray((parsed as { items?: unknown }).items)) {
    return (parsed as { items: KubeObject[] }).items;
  }
  throw new Error(`${file}: expected a JSON array of objects or a List with "items"`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      objects: { type: 'string' },
      'kubeconfig-out': { type: 'string' },
      'bookmark-interval-ms': { type: 'string', default: '0' },
    },
  });
  const api = await FakeApiServer.start({
    host: values.host,
    port: Number(values.port),
    bookmarkIntervalMs: Number(values['bookmark-interval-ms']),
  });
  if (values.objects !== undefined) api.createMany(objectsIn(values.objects));
  if (values['kubeconfig-out'] !== undefined) api.writeKubeconfig(values['kubeconfig-out']);
  process.stdout.write(`fake-apiserver listening on ${api.url} (resourceVersion ${api.resourceVersion})\n`);
  const stop = (): void => {
    void api.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`fake-apiserver: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
