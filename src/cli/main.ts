#!/bin/sh
//bin/true; f=$(readlink -f "$0"); r=${f%/dist/src/cli/main.js}; [ "$r" != "$f" ] && [ -f "$r/hack/with-node.sh" ] && exec bash "$r/hack/with-node.sh" node "$f" "$@"; exec node "$f" "$@"
// The kube-ipvs-proxy command. The two lines above make this file a shell script too: run from a
// checkout, it starts under a Node >= 22.19 (hack/with-node.sh provides one); elsewhere under `node`.
import { capYoungGeneration } from './heap-policy.js';
import { describeFatal, runCommand } from './run.js';

// V8 grows its young generation up to 64 MiB under allocation bursts and keeps it: held at 8 MiB
// here (see capYoungGeneration); src/cli/heap-policy.ts also hands memory back after the initial sync
// and after bursts.
capYoungGeneration(8 * 2 ** 20);
runCommand(process.argv.slice(2)).then(
  (r) => process.exit(r.exitCode),
  (e: unknown) => {
    process.stderr.write(`kube-ipvs-proxy: ${describeFatal(e)}\n`);
    process.exit(1);
  },
);
