// Bundles the kube-ipvs-proxy command into one file, dist/kube-ipvs-proxy.mjs: what the image, the
// bin link and the kernel tests run. One file to read instead of ~400 modules: in User-Mode Linux,
// where every file read is a trapped system call, that took ~1 s off each start (docs/performance.md).
//   node dist/hack/bundle.js        (npm run build; hack/setup.sh)
// Left outside: `netlink` (a native addon found next to its package) and @kubernetes/client-node,
// which the cluster adapter imports only for kubeconfigs with exec plugins or auth providers.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BUNDLE = `${ROOT}dist/kube-ipvs-proxy.mjs`;

// The second line makes the file a shell script too (as src/cli/main.ts's first two lines do):
// run from a checkout it starts under hack/with-node.sh's Node; elsewhere under `node`.
// Bundled CommonJS dependencies call require(); an ES module has none, so one is made.
const BANNER = [
  '//bin/true; f=$(readlink -f "$0"); r=${f%/dist/kube-ipvs-proxy.mjs}; [ "$r" != "$f" ] && [ -f "$r/hack/with-node.sh" ] && exec bash "$r/hack/with-node.sh" node "$f" "$@"; exec node "$f" "$@"',
  "import { createRequire as __kipvsCreateRequire } from 'node:module';",
  'const require = __kipvsCreateRequire(import.meta.url);',
].join('\n');

await build({
  entryPoints: [`${ROOT}src/cli/main.ts`],
  outfile: BUNDLE,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  external: ['netlink', '@kubernetes/client-node'],
  banner: { js: BANNER },
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
chmodSync(BUNDLE, 0o755);
