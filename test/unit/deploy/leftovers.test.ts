// hack/deploy/remove-kube-proxy-leftovers.sh against the firewall kube-proxy's IPVS mode leaves behind
// (fixtures: iptables-save of those rules loaded into a real kernel), with iptables/ipset replaced by
// recorders so that no root and no kernel are needed: what would it remove, and what must it keep.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const fixtures = `${root}test/unit/deploy/fixtures`;

interface Run { status: number | null; stdout: string; stderr: string; log: string }

function runScript(args: string[]): Run {
  const bin = mkdtempSync(join(tmpdir(), 'kipvs-leftovers-'));
  const log = join(bin, 'log');
  writeFileSync(log, '');
  const tool = (name: string, body: string): void => {
    writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  // the legacy backend holds kube-proxy's rules; nft and IPv6 are empty
  tool('iptables-legacy-save',
    `if [ "$1" = -t ]; then cat "${fixtures}/kube-proxy-ipvs.$2.iptables-save" 2>/dev/null; else cat "${fixtures}"/kube-proxy-ipvs.*.iptables-save; fi`);
  for (const empty of ['iptables-nft-save', 'ip6tables-legacy-save', 'ip6tables-nft-save']) tool(empty, 'true');
  for (const restore of ['iptables-legacy-restore', 'iptables-nft-restore', 'ip6tables-legacy-restore', 'ip6tables-nft-restore'])
    tool(restore, `{ echo "== $(basename "$0") $*"; cat; } >> "${log}"`);
  tool('ipset', `case "$1" in list) printf 'KUBE-CLUSTER-IP\\nKUBE-IPVS-IPS\\nOTHER-SET\\n' ;; destroy) echo "== ipset destroy $2" >> "${log}" ;; esac`);
  try {
    const r = spawnSync('bash', ['hack/deploy/remove-kube-proxy-leftovers.sh', ...args], {
      cwd: root, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:/usr/bin:/bin` },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, log: readFileSync(log, 'utf8') };
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}

describe('hack/deploy/remove-kube-proxy-leftovers.sh', () => {
  it('changes nothing without --apply, and prints what it would remove', () => {
    const r = runScript([]);
    expect(r.status).to.equal(0);
    expect(r.log).to.equal('');
    expect(r.stdout).to.include('-X KUBE-IPVS-FILTER');
    expect(r.stdout).to.include('## ipset destroy KUBE-CLUSTER-IP');
  });

  it('removes kube-proxy\'s chains and the jumps into them, per table, then its ipsets', () => {
    const r = runScript(['--apply']);
    expect(r.status, r.stderr).to.equal(0);
    const sections = r.log.split(/^== /m).filter((s) => s !== '');
    const restores = sections.filter((s) => s.startsWith('iptables-legacy-restore -w --noflush'));
    expect(restores).to.have.length(2);
    const lines = restores.flatMap((s) => s.split('\n').slice(1)).filter((l) => l !== '');
    expect(lines.filter((l) => l.startsWith('*'))).to.deep.equal(['*nat', '*filter']);
    const deleted = (flag: string): string[] => lines.filter((l) => l.startsWith(flag + ' ')).map((l) => l.slice(3)).sort();
    expect(deleted('-X')).to.deep.equal([
      'KUBE-FORWARD', 'KUBE-IPVS-FILTER', 'KUBE-IPVS-OUT-FILTER', 'KUBE-LOAD-BALANCER', 'KUBE-NODE-PORT', 'KUBE-NODE-PORT',
      'KUBE-POSTROUTING', 'KUBE-PROXY-FIREWALL', 'KUBE-SERVICES', 'KUBE-SOURCE-RANGES-FIREWALL',
    ]);
    expect(deleted('-F')).to.deep.equal(deleted('-X'));
    expect(deleted('-D')).to.deep.equal([
      'FORWARD -j KUBE-PROXY-FIREWALL',
      'FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
      'INPUT -j KUBE-PROXY-FIREWALL',
      'INPUT -m comment --comment "kubernetes health check rules" -j KUBE-NODE-PORT',
      'INPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER',
      'OUTPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-OUT-FILTER',
      'OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      'POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
      'PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    ]);
    expect(sections.filter((s) => s.startsWith('ipset')).map((s) => s.trim())).to.deep.equal([
      'ipset destroy KUBE-CLUSTER-IP', 'ipset destroy KUBE-IPVS-IPS',
    ]);
  });

  it('keeps the kubelet\'s chains, other rules, and a chain something else still jumps to', () => {
    const r = runScript(['--apply']);
    expect(r.log).not.to.match(/KUBE-FIREWALL|KUBE-MARK-MASQ|MASQUERADE|OTHER-SET/);
    expect(r.stderr).to.include('keep nat KUBE-MARK-MASQ: chain CNI-HOSTPORT-SETMARK still jumps to it');
  });

  it('limits itself to the tables it is given (--tables=filter keeps kube-proxy\'s masquerading)', () => {
    const r = runScript(['--tables=filter', '--apply']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.log).to.include('*filter');
    expect(r.log).not.to.include('*nat');
    expect(r.log).not.to.include('KUBE-POSTROUTING');
  });

  it('refuses unknown arguments and tables', () => {
    expect(runScript(['--force']).status).to.equal(2);
    expect(runScript(['--tables=raw']).status).to.equal(2);
  });
});
