// The LinkKernel contract run against the core's stateful fake, so the fake stays as strict as the
// kernel the netlink client meets (the same suite runs in test/kernel/link).
import { linkKernelContract } from '../../contract/link-kernel.contract.js';
import { FakeLinkKernel } from '../../support/fake-link-kernel.js';

let fake = new FakeLinkKernel();
linkKernelContract({
  name: 'FakeLinkKernel (test/support)',
  open: () => Promise.resolve(fake),
  reset: () => {
    fake = new FakeLinkKernel();
    return Promise.resolve();
  },
});
