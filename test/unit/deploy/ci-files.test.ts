// The GitHub workflow and the image: pinned third-party code, the jobs' order, and an entry point that
// is the package's bin.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const read = (path: string): string => readFileSync(root + path, 'utf8');

interface Workflow {
  jobs: Record<string, { needs?: string | string[]; steps: { uses?: string }[] }>;
}

describe('.github/workflows/ci.yml', () => {
  const text = read('.github/workflows/ci.yml');
  const workflow = load(text) as Workflow;

  it('pins every action by a full commit SHA and names its tag', () => {
    const uses = Object.values(workflow.jobs).flatMap((j) => j.steps.map((s) => s.uses)).filter((u) => u !== undefined);
    expect(uses.length).to.be.greaterThan(0);
    for (const u of uses) {
      if (u.startsWith('./')) continue;
      expect(u, u).to.match(/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/);
    }
    for (const line of text.split('\n').filter((l) => /^\s*(- )?uses: [^.]/.test(l))) {
      expect(line, line).to.match(/@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    }
  });

  it('runs lint and unit tests, kernel tests, then e2e, then the upstream specs', () => {
    expect(Object.keys(workflow.jobs)).to.include.members(['lint-unit', 'kernel', 'e2e', 'conformance']);
    expect(workflow.jobs.e2e?.needs).to.equal('lint-unit');
    expect(workflow.jobs.conformance?.needs).to.equal('e2e');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string> };

  it('starts the package\'s bin', () => {
    const bin = pkg.bin['kube-ipvs-proxy'];
    expect(bin).to.be.a('string');
    expect(dockerfile).to.match(new RegExp(`^ENTRYPOINT \\["node", "/app/${String(bin).replace(/\./g, '\\.')}"\\]$`, 'm'));
  });

  it('builds and runs on a pinned Node 24 image, never :latest', () => {
    const arg = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1] ?? '';
    expect(arg).to.match(/^node:24\.\d+\.\d+-[a-z]+-slim$/);
    for (const from of dockerfile.split('\n').filter((l) => l.startsWith('FROM '))) {
      expect(from).to.match(/^FROM \$\{NODE_IMAGE\}( AS \w+)?$/);
    }
  });

  it('leaves host artefacts out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    expect(ignored).to.include.members(['node_modules', 'dist', '.cache', '.git']);
  });
});
