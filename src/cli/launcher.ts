// The file operators start (dist/kube-ipvs-proxy.mjs): turns on Node's compile cache, then loads the
// bundled command. With the cache V8 skips parsing and compiling the ~0.6 MB bundle at each start
// (the build warms it; see hack/bundle.ts). A cache that cannot be written or read is only slower.
import { enableCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';

try {
  enableCompileCache(fileURLToPath(new URL('.compile-cache', import.meta.url)));
} catch {
  // an older Node or an unwritable directory: start without the cache
}
// a specifier in a variable: the bundle exists only after the build, next to this file
const main = './kube-ipvs-proxy-main.mjs';
await import(main);
