// NetlinkLinkKernel in a real kernel: the contract suite, then what `ip` reports after it.
import { expect } from 'chai';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressOperation, InterfaceAddress } from '../../../src/kernel/ports.js';
import { LinkKindConflictError, openNetlinkLinkKernel, type NetlinkLinkKernel } from '../../../src/link/index.js';
import { CONTRACT_LINK, linkKernelContract, nthVip } from '../../contract/link-kernel.contract.js';
import { ipAddresses, run, sh } from '../../support/run.js';

const E = osConstants.errno;
const openKernel = (): NetlinkLinkKernel => openNetlinkLinkKernel();
const dropLinks = (...names: string[]): void => {
  sh(names.map((n) => `ip link del ${n} 2>/dev/null`).join('; ') + '; true');
};

linkKernelContract({
  name: 'NetlinkLinkKernel in the kernel',
  open: () => Promise.resolve(openKernel()),
  reset: () => Promise.resolve(dropLinks(CONTRACT_LINK)),
});

interface IpLinkJson {
  ifindex: number;
  ifname: string;
  flags: string[];
  operstate: string;
  linkinfo?: { info_kind?: string };
}
interface IpAddrJson {
  addr_info?: Array<{ family: string; local: string; prefixlen: number; tentative?: boolean; nodad?: boolean; dadfailed?: boolean }>;
}

const ipLink = (name: string): IpLinkJson | undefined => (JSON.parse(run('ip', ['-j', '-d', 'link', 'show', 'dev', name])) as IpLinkJson[])[0];
const ipAddrInfo = (name: string): NonNullable<IpAddrJson['addr_info']> =>
  (JSON.parse(run('ip', ['-j', 'addr', 'show', 'dev', name])) as IpAddrJson[])[0]?.addr_info ?? [];
/** `ip -j addr` through a file: 10,000 addresses exceed execFileSync's output buffer */
function ipAddressesLarge(name: string): string[] {
  const file = join(tmpdir(), `kipvs-ipaddr-${process.pid}.json`);
  sh(`ip -j addr show dev ${name} > ${file}`);
  const out = JSON.parse(readFileSync(file, 'utf8')) as IpAddrJson[];
  rmSync(file, { force: true });
  return (out[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`).sort();
}
/** Listens on address:port, connects to it, and returns what the server echoed back. */
async function echoThrough(address: string, port: number): Promise<string> {
  const server = createServer((s) => s.pipe(s));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, resolve);
  });
  try {
    return await new Promise<string>((resolve, reject) => {
      const c = createConnection({ host: address, port }, () => c.end('hello'));
      let got = '';
      c.on('data', (d: Buffer) => (got += d.toString()));
      c.on('end', () => resolve(got));
      c.on('error', reject);
      c.setTimeout(5000, () => c.destroy(new Error(`timeout talking to ${address}`)));
    });
  } finally {
    server.close();
  }
}
const add = (address: InterfaceAddress): AddressOperation => ({ kind: 'addAddress', address });
const del = (address: InterfaceAddress): AddressOperation => ({ kind: 'deleteAddress', address });

describe('NetlinkLinkKernel read back with ip', function () {
  this.timeout(300_000);
  const LINK = 'kipvs-k0';
  let kernel: NetlinkLinkKernel;
  beforeEach(() => {
    dropLinks(LINK, 'kipvs-kbr', 'kipvs-kb');
    kernel = openKernel();
  });
  afterEach(() => {
    kernel.close();
    dropLinks(LINK, 'kipvs-kbr', 'kipvs-kb');
  });

  it('creates a DOWN dummy link that ip -d link reports, with the same index', async () => {
    const link = await kernel.ensureDummyLink(LINK);
    const seen = ipLink(LINK);
    expect(seen?.linkinfo?.info_kind).to.equal('dummy');
    expect(seen?.ifindex).to.equal(link.index);
    expect(seen?.flags).to.not.include('UP');
    expect(seen?.operstate).to.equal('DOWN');
  });

  it('adopts a dummy link made by ip, without recreating it', async () => {
    run('ip', ['link', 'add', LINK, 'type', 'dummy']);
    run('ip', ['addr', 'add', '10.96.9.9/32', 'dev', LINK]);
    const index = ipLink(LINK)?.ifindex;
    const link = await kernel.ensureDummyLink(LINK);
    expect(link.index).to.equal(index);
    expect(ipAddresses(LINK)).to.deep.equal(['10.96.9.9/32']);
  });

  it('refuses a same-named bridge with a typed error and leaves it as it was', async () => {
    run('ip', ['link', 'add', 'kipvs-kbr', 'type', 'bridge']);
    run('ip', ['addr', 'add', '10.96.8.8/32', 'dev', 'kipvs-kbr']);
    const err = await kernel.ensureDummyLink('kipvs-kbr').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(LinkKindConflictError).and.include({ errno: E.EEXIST, existingKind: 'bridge' });
    expect(ipLink('kipvs-kbr')?.linkinfo?.info_kind).to.equal('bridge');
    expect(ipAddresses('kipvs-kbr')).to.deep.equal(['10.96.8.8/32']);
  });

  it('binds IPv4 /32 and IPv6 /128 VIPs: not tentative, local routes installed while the link is DOWN', async () => {
    const link = await kernel.ensureDummyLink(LINK);
    const result = await kernel.applyAddresses(link.index, [
      add({ family: 4, address: '10.96.0.1', prefixLength: 32 }),
      add({ family: 6, address: 'fd00:10:96::1', prefixLength: 128 }),
    ]);
    expect(result.failures).to.deep.equal([]);
    const info = ipAddrInfo(LINK);
    expect(info.map((a) => `${a.local}/${a.prefixlen}`).sort()).to.deep.equal(['10.96.0.1/32', 'fd00:10:96::1/128']);
    const v6 = info.find((a) => a.family === 'inet6');
    expect(v6?.tentative ?? false, 'IPv6 VIP tentative').to.equal(false);
    expect(v6?.dadfailed ?? false).to.equal(false);
    expect(v6?.nodad).to.equal(true);
    expect(ipLink(LINK)?.flags).to.not.include('UP');
    expect(run('ip', ['route', 'show', 'table', 'local', 'dev', LINK])).to.match(/^local 10\.96\.0\.1 .*scope host/m);
    expect(run('ip', ['-6', 'route', 'show', 'table', 'local', 'dev', LINK])).to.match(/^local fd00:10:96::1 /m);
    expect(run('ip', ['route', 'get', '10.96.0.1'])).to.match(/^local 10\.96\.0\.1 dev lo/m);
    expect(run('ip', ['-6', 'route', 'get', 'fd00:10:96::1'])).to.match(/^local fd00:10:96::1 /m);
    // and traffic to them is delivered locally (binding a tentative IPv6 address would fail)
    expect(await echoThrough('10.96.0.1', 18080)).to.equal('hello');
    expect(await echoThrough('fd00:10:96::1', 18080)).to.equal('hello');
  });

  it('applies 10,000 addresses in one batch, read back identical by ip, then deletes them all', async () => {
    const link = await kernel.ensureDummyLink(LINK);
    const wanted = Array.from({ length: 10_000 }, (_, i) => nthVip(i));
    const t0 = process.hrtime.bigint();
    const added = await kernel.applyAddresses(link.index, wanted.map(add));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    expect(added).to.deep.equal({ applied: 10_000, failures: [] });
    expect(ipAddressesLarge(LINK)).to.deep.equal(wanted.map((a) => `${a.address}/32`).sort());
    expect((await kernel.listAddresses(link.index)).length).to.equal(10_000);

    // the same 10,000 adds through `ip -batch`, on another link in this same kernel, for scale
    run('ip', ['link', 'add', 'kipvs-kb', 'type', 'dummy']);
    const batchFile = join(tmpdir(), `kipvs-ipbatch-${process.pid}`);
    writeFileSync(batchFile, wanted.map((a) => `addr add ${a.address.replace('10.97.', '10.98.')}/32 dev kipvs-kb\n`).join(''));
    const t1 = process.hrtime.bigint();
    run('ip', ['-batch', batchFile], { timeoutMs: 240_000 });
    const ipMs = Number(process.hrtime.bigint() - t1) / 1e6;
    rmSync(batchFile, { force: true });
    expect(ipAddressesLarge('kipvs-kb')).to.have.length(10_000);
    console.log(`      10,000 addresses: applyAddresses ${ms.toFixed(0)} ms; ip -batch ${ipMs.toFixed(0)} ms (same kernel)`);

    const t2 = process.hrtime.bigint();
    const deleted = await kernel.applyAddresses(link.index, wanted.map(del));
    console.log(`      10,000 deletes: applyAddresses ${(Number(process.hrtime.bigint() - t2) / 1e6).toFixed(0)} ms`);
    expect(deleted).to.deep.equal({ applied: 10_000, failures: [] });
    expect(ipAddressesLarge(LINK)).to.deep.equal([]);
  });
});
