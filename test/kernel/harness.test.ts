// Self-test of the real-kernel harness: the kernel we run in has IPVS and dummy links, checked
// with the system tools alone (the project's own netlink code is tested elsewhere).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ipAddresses, ipvsadmSave, run, sh } from '../support/run.js';

describe('real-kernel harness', () => {
  after(() => {
    sh('ipvsadm -D -t 10.96.200.1:80 2>/dev/null; ip link del kipvs-selftest 2>/dev/null; true');
  });

  it('runs in a kernel with IPVS, and says which', () => {
    const release = run('uname', ['-r']).trim();
    const path = process.env.KIPVS_KERNEL_PATH ?? 'unknown';
    console.log(`      kernel ${release} via ${path}`);
    expect(readFileSync('/proc/net/ip_vs', 'utf8')).to.match(/IP Virtual Server version \d+\.\d+\.\d+/);
    expect(path).to.be.oneOf(['uml', 'native']);
  });

  it('starts from an empty IPVS table in its own network namespace', () => {
    expect(ipvsadmSave().filter((l) => !l.includes('10.96.200.1'))).to.deep.equal([]);
  });

  it('creates a dummy link with an address, read back by ip', () => {
    run('ip', ['link', 'add', 'kipvs-selftest', 'type', 'dummy']);
    run('ip', ['addr', 'add', '10.96.200.1/32', 'dev', 'kipvs-selftest']);
    const link = JSON.parse(run('ip', ['-j', '-d', 'link', 'show', 'dev', 'kipvs-selftest'])) as Array<{
      linkinfo?: { info_kind?: string };
    }>;
    expect(link[0]?.linkinfo?.info_kind).to.equal('dummy');
    expect(ipAddresses('kipvs-selftest')).to.deep.equal(['10.96.200.1/32']);
  });

  it('creates an IPVS virtual server with a real server, read back by ipvsadm', () => {
    run('ipvsadm', ['-A', '-t', '10.96.200.1:80', '-s', 'rr']);
    run('ipvsadm', ['-a', '-t', '10.96.200.1:80', '-r', '10.244.0.2:8080', '-m', '-w', '3']);
    expect(ipvsadmSave()).to.deep.equal([
      '-A -t 10.96.200.1:80 -s rr',
      '-a -t 10.96.200.1:80 -r 10.244.0.2:8080 -m -w 3',
    ]);
  });
});
