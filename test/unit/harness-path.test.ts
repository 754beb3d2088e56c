// The harness's choice between the native kernel and User-Mode Linux, with the probes forced.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';

function which(env: Record<string, string>): string {
  return execFileSync('bash', ['hack/kernel-run.sh', '--which'], {
    encoding: 'utf8',
    env: { ...process.env, KIPVS_KERNEL: '', ...env },
  }).trim();
}

describe('hack/kernel-run.sh path choice', () => {
  it('runs natively where the host kernel has IPVS', () => {
    expect(which({ KIPVS_PROBE_NATIVE: 'yes', KIPVS_PROBE_UML: 'yes' })).to.match(/^native: /);
  });
  it('falls back to User-Mode Linux where it does not', () => {
    expect(which({ KIPVS_PROBE_NATIVE: 'no', KIPVS_PROBE_UML: 'yes' })).to.match(/^uml: /);
  });
  it('fails at once, saying why, where neither can work', () => {
    expect(which({ KIPVS_PROBE_NATIVE: 'no', KIPVS_PROBE_UML: 'no' })).to.match(/^fail: .*no IPVS.*UML/);
  });
  it('honours an explicit choice, and refuses one that cannot work', () => {
    expect(which({ KIPVS_KERNEL: 'native', KIPVS_PROBE_NATIVE: 'yes' })).to.match(/^native: forced/);
    expect(which({ KIPVS_KERNEL: 'native', KIPVS_PROBE_NATIVE: 'no' })).to.match(/^fail: /);
    expect(which({ KIPVS_KERNEL: 'bogus' })).to.match(/^fail: KIPVS_KERNEL must be/);
  });
  it('exits non-zero with the reason when asked to run without a kernel path', () => {
    let message = '';
    try {
      execFileSync('bash', ['hack/kernel-run.sh', '--', 'true'], {
        encoding: 'utf8',
        stdio: 'pipe',
        env: { ...process.env, KIPVS_KERNEL: '', KIPVS_PROBE_NATIVE: 'no', KIPVS_PROBE_UML: 'no' },
      });
    } catch (e) {
      message = String((e as { stderr?: string }).stderr);
    }
    expect(message).to.match(/kernel-run: the host kernel has no IPVS/);
  });
});
