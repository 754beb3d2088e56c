// Kernel ports that open a new netlink socket after theirs failed, instead of failing forever.
import { expect } from 'chai';
import { constants } from 'node:os';
import { Reopener, reopeningIpvsKernel } from '../../../src/cli/reopening.js';
import { KernelError, type IpvsKernel } from '../../../src/kernel/index.js';
import { silentLogger } from '../../../src/observability/index.js';
import { FakeIpvsKernel } from '../../support/fake-ipvs-kernel.js';

/** A fake kernel whose next call fails as a dead socket would. */
class DyingKernel extends FakeIpvsKernel {
  dieNext = false;
  closedCount = 0;
  override info(): ReturnType<IpvsKernel['info']> {
    if (this.dieNext) return Promise.reject(new KernelError('KIPVS_KERNEL_SOCKET', constants.errno.ENOBUFS, 'ipvs.info', '', 'socket failed'));
    return super.info();
  }
  override close(): void {
    this.closedCount++;
    super.close();
  }
}

describe('reopening kernel ports', () => {
  it('opens a new socket for the next call after a socket failure, and closes the dead one', async () => {
    const opened: DyingKernel[] = [];
    const first = new DyingKernel();
    const open = (): Promise<IpvsKernel> => {
      const k = new DyingKernel();
      opened.push(k);
      return Promise.resolve(k);
    };
    const ipvs = reopeningIpvsKernel(new Reopener<IpvsKernel>('IPVS', open, silentLogger, first));
    await ipvs.info();
    first.dieNext = true;
    let error: unknown;
    await ipvs.info().catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(KernelError).with.property('code', 'KIPVS_KERNEL_SOCKET');
    expect(first.closedCount).to.equal(1);
    expect(opened).to.have.length(0); // lazily, at the next call
    expect((await ipvs.info()).version).to.be.a('string');
    expect(opened).to.have.length(1);
  });

  it('keeps the socket on any other error, and retries a failed open at the next call', async () => {
    const kernel = new DyingKernel();
    kernel.injectFailure({ call: 'listVirtualServers', errno: constants.errno.EPERM });
    let opens = 0;
    const ipvs = reopeningIpvsKernel(
      new Reopener<IpvsKernel>('IPVS', () => (++opens === 1 ? Promise.reject(new Error('no family')) : Promise.resolve(kernel)), silentLogger),
    );
    await ipvs.listVirtualServers().then(
      () => expect.fail('the first open fails'),
      (e: unknown) => expect(String(e)).to.include('no family'),
    );
    await ipvs.listVirtualServers().then(
      () => expect.fail('EPERM is injected'),
      (e: unknown) => expect(e).to.have.property('errno', constants.errno.EPERM),
    );
    expect(await ipvs.listVirtualServers()).to.deep.equal([]);
    expect(opens).to.equal(2);
    expect(kernel.closedCount).to.equal(0);
  });
});
