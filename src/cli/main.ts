#!/bin/sh
//bin/true; f=$(readlink -f "$0"); r=${f%/dist/src/cli/main.js}; [ "$r" != "$f" ] && [ -f "$r/hack/with-node.sh" ] && exec bash "$r/hack/with-node.sh" node "$f" "$@"; exec node "$f" "$@"
// The kube-ipvs-proxy command. The two lines above make this file a shell script too: run from a
// checkout, it starts under a Node >= 22.19 (hack/with-node.sh provides one); elsewhere under `node`.
import { describeFatal, runCommand } from './run.js';

runCommand(process.argv.slice(2)).then(
  (r) => process.exit(r.exitCode),
  (e: unknown) => {
    process.stderr.write(`kube-ipvs-proxy: ${describeFatal(e)}\n`);
    process.exit(1);
  },
);
