#!/bin/sh
//bin/true; f=$(readlink -f "$0"); r=${f%/dist/src/cli/main.js}; [ "$r" != "$f" ] && [ -f "$r/hack/with-node.sh" ] && exec bash "$r/hack/with-node.sh" node "$f" "$@"; exec node "$f" "$@"
// The kube-ipvs-proxy command. The two lines above make this file a shell script too: run from a
// checkout, it starts under a Node >= 22.19 (hack/with-node.sh provides one); elsewhere under `node`.
import { setFlagsFromString } from 'node:v8';
import { describeFatal, runCommand } from './run.js';

// V8 doubles the young generation under allocation bursts (an event storm) up to 128 MB and keeps
// it: that was the proxy's whole RSS growth across 10,000 events (heap in use stayed flat). The
// growth factor is read at each growth, so setting it here keeps the young generation small.
setFlagsFromString('--semi-space-growth-factor=1');

runCommand(process.argv.slice(2)).then(
  (r) => process.exit(r.exitCode),
  (e: unknown) => {
    process.stderr.write(`kube-ipvs-proxy: ${describeFatal(e)}\n`);
    process.exit(1);
  },
);
