// Bundles the kube-ipvs-proxy command into one file, dist/kube-ipvs-proxy-main.mjs, started by the
// launcher dist/kube-ipvs-proxy.mjs (src/cli/launcher.ts: Node's compile cache in dist/.compile-cache,
// warmed here): what the image, the bin link and the kernel tests run. One file to read instead of
// ~400 modules: in User-Mode Linux, where every file read is a trapped system call, module loading
// was ~1 s of each start (docs/performance.md).
//   node dist/hack/bundle.js        (npm run build; hack/setup.sh)
// Left outside: `netlink` (a native addon found next to its package) and @kubernetes/client-node,
// which the cluster adapter imports only for kubeconfigs with exec plugins or auth providers.
import { build, type Plugin } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LAUNCHER = `${ROOT}dist/kube-ipvs-proxy.mjs`;
const BUNDLE = `${ROOT}dist/kube-ipvs-proxy-main.mjs`;
const COMPILE_CACHE = `${ROOT}dist/.compile-cache`;

// The second line makes the file a shell script too (as src/cli/main.ts's first two lines do):
// run from a checkout it starts under hack/with-node.sh's Node; elsewhere under `node`.
// Bundled CommonJS dependencies call require(); an ES module has none, so one is made.
const SHELL_LINE = '//bin/true; f=$(readlink -f "$0"); r=${f%/dist/kube-ipvs-proxy.mjs}; [ "$r" != "$f" ] && [ -f "$r/hack/with-node.sh" ] && exec bash "$r/hack/with-node.sh" node "$f" "$@"; exec node "$f" "$@"';
const REQUIRE_SHIM = "import { createRequire as __kipvsCreateRequire } from 'node:module';\nconst require = __kipvsCreateRequire(import.meta.url);";

/**
 * Node's built-in modules by require(), not import: an ES module import of one builds its ESM facade,
 * which reads every export, lazy getters included (node:fs's ReadStream loads the streams module),
 * ~50-100 ms of each start in UML. Each import is sent to a one-line CommonJS module that requires it.
 */
const BUILTINS = new Set(builtinModules);
const requireBuiltins: Plugin = {
  name: 'require-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (!BUILTINS.has(name)) return undefined;
      // the require() inside the stand-in module is left to Node
      if (args.namespace === 'builtin') return { path: `node:${name}`, external: true };
      return { path: name, namespace: 'builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(`node:${args.path}`)});`, loader: 'js' }));
  },
};

await build({
  entryPoints: [`${ROOT}src/cli/main.ts`],
  outfile: BUNDLE,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  external: ['netlink', '@kubernetes/client-node', './kube-ipvs-proxy-main.mjs'],
  // yargs' help layout measures with string-width, whose Unicode tables cost every start ~50 ms;
  // prom-client loads the OpenTelemetry API for exemplars the proxy does not use
  alias: { 'string-width': `${ROOT}hack/bundle-string-width.ts`, '@opentelemetry/api': `${ROOT}hack/bundle-otel-api.ts` },
  plugins: [requireBuiltins],
  banner: { js: REQUIRE_SHIM },
  // smaller and all ASCII: Node decodes and V8 compiles the whole file at every start (a one-byte
  // string is the fast path); a source map beside. Identifiers are not renamed, so stack traces
  // read as the source does; names are not pinned either (keepNames costs a call per function at
  // load, and our error classes set their names themselves)
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
await build({
  entryPoints: [`${ROOT}src/cli/launcher.ts`],
  outfile: LAUNCHER,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  banner: { js: `#!/bin/sh\n${SHELL_LINE}` },
  logLevel: 'warning',
});
chmodSync(LAUNCHER, 0o755);

// warm the compile cache: one start that loads the whole bundle writes its code cache
try {
  rmSync(COMPILE_CACHE, { recursive: true, force: true });
} catch {
  // entries another user wrote (tests run as root): stale ones are only ignored, so go on
}
const warm = spawnSync(process.execPath, [LAUNCHER, '--version'], { encoding: 'utf8' });
if (warm.status !== 0) throw new Error(`the bundled command does not start: ${warm.stderr}`);
