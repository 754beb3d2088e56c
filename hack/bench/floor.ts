// The floor's process: our netlink layer applying the generated table directly (kube-ipvs0, its
// addresses, the IPVS rules), nothing else; prints {"innerMs": …}. Its process start is part of the
// floor as Node's start is part of the proxy's cold sync, so it imports only the netlink layer and
// the table's rules (loading the bench itself, fake API server and all, added ~180 ms to it in UML).
//   node dist/hack/bench/floor.js NxM        (run by hack/bench/proxy.ts inside a fresh namespace)
import { performance } from 'node:perf_hooks';
import { openIpvsKernel } from '../../src/ipvs/index.js';
import { openNetlinkLinkKernel } from '../../src/link/index.js';
import { LINK, addressOperations, ipvsOperations, parseShape } from './rules.js';

const shape = parseShape(process.argv[2]);
const t0 = performance.now();
const ipvs = await openIpvsKernel();
const link = openNetlinkLinkKernel();
const { index } = await link.ensureDummyLink(LINK);
const a = await link.applyAddresses(index, addressOperations(shape));
const r = await ipvs.apply(ipvsOperations(shape));
ipvs.close();
link.close();
if (a.failures.length + r.failures.length > 0) throw new Error(`floor: ${a.failures.length + r.failures.length} operations failed`);
const usage = process.resourceUsage();
console.log(JSON.stringify({ innerMs: performance.now() - t0, minflt: usage.minorPageFault, maxRssMiB: Math.round(usage.maxRSS / 1024), userMs: Math.round(usage.userCPUTime / 1000), sysMs: Math.round(usage.systemCPUTime / 1000) }));
