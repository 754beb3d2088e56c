// The IpvsKernel contract against the stateful fake the unit tests of the proxier use.
import { FakeIpvsKernel } from '../../support/fake-ipvs-kernel.js';
import { ipvsKernelContract } from '../../contract/ipvs-kernel.contract.js';

let fake = new FakeIpvsKernel();

ipvsKernelContract({
  name: 'FakeIpvsKernel',
  open: () => Promise.resolve(fake),
  reset: () => {
    fake = new FakeIpvsKernel();
    return Promise.resolve();
  },
});
