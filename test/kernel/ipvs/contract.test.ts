// The IpvsKernel contract against the real kernel through our netlink client.
import { openIpvsKernel } from '../../../src/ipvs/index.js';
import { ipvsKernelContract } from '../../contract/ipvs-kernel.contract.js';
import { run } from '../../support/run.js';

ipvsKernelContract({
  name: 'NetlinkIpvsKernel (real kernel)',
  open: () => openIpvsKernel(),
  reset: () => {
    // the witness tool resets, so a bug in our flush cannot hide behind itself
    run('ipvsadm', ['-C']);
    run('ipvsadm', ['--set', '900', '120', '300']);
    return Promise.resolve();
  },
});
