// The logger as operators read it: JSON lines or text, -v gating, errors as data.
import { expect } from 'chai';
import { KernelError } from '../../../src/kernel/index.js';
import { createLogger, formatTextLine, type Logger } from '../../../src/observability/index.js';

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

function capture(verbosity: number, format: 'json' | 'text' = 'json'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = createLogger({ verbosity, format, now: () => T0, destination: { write: (l: string) => lines.push(l) } });
  return { log, lines };
}

function records(lines: string[]): Array<Record<string, unknown>> {
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('observability/log', () => {
  it('writes one JSON object per line with time, level, msg and fields', () => {
    const { log, lines } = capture(0);
    log.info('synced', { virtualServers: 3, node: 'n1' });
    log.warn('slow sync', { seconds: 2.5 });
    log.error('netlink failed');
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).to.equal(true);
    expect(records(lines)).to.deep.equal([
      { level: 'info', time: '2026-01-02T03:04:05.678Z', msg: 'synced', virtualServers: 3, node: 'n1' },
      { level: 'warn', time: '2026-01-02T03:04:05.678Z', msg: 'slow sync', seconds: 2.5 },
      { level: 'error', time: '2026-01-02T03:04:05.678Z', msg: 'netlink failed' },
    ]);
  });

  it('gates verbose messages by -v without evaluating their arguments', () => {
    const { log, lines } = capture(2);
    let built = 0;
    const expensive = (): Record<string, unknown> => {
      built++;
      return { ops: 100 };
    };
    log.v(2)?.info('sync summary', expensive());
    log.v(3)?.info('detail', expensive());
    log.v(4)?.info('kernel change', expensive());
    log.debug('debug detail');
    expect(built).to.equal(1);
    expect(records(lines)).to.deep.equal([{ level: 'info', time: '2026-01-02T03:04:05.678Z', msg: 'sync summary', v: 2, ops: 100 }]);
    expect(log.v(2)).not.to.equal(undefined);
    expect(log.v(3)).to.equal(undefined);
  });

  it('logs V(5)+ and debug() at pino debug level only from -v=5', () => {
    const quiet = capture(4);
    quiet.log.debug('x');
    quiet.log.v(5)?.info('y');
    expect(quiet.lines).to.deep.equal([]);
    const loud = capture(5);
    loud.log.debug('x', { a: 1 });
    loud.log.v(5)?.info('y');
    loud.log.v(4)?.info('z');
    expect(records(loud.lines).map((r) => [r['level'], r['v'], r['msg']])).to.deep.equal([
      ['debug', 5, 'x'],
      ['debug', 5, 'y'],
      ['info', 4, 'z'],
    ]);
  });

  it('turns errors in fields into their name, message and errno', () => {
    const { log, lines } = capture(0);
    log.error('add virtual server failed', { err: KernelError.errno(17, 'ipvs.newService', 'TCP/10.96.0.1:80') });
    expect(records(lines)[0]?.['err']).to.deep.equal({
      name: 'KernelError',
      message: 'ipvs.newService TCP/10.96.0.1:80: EEXIST',
      code: 'KIPVS_KERNEL_ERRNO',
      errno: 17,
      operation: 'ipvs.newService',
      key: 'TCP/10.96.0.1:80',
    });
  });

  it('adds a child logger’s fields to each of its lines', () => {
    const { log, lines } = capture(4);
    const child = log.child({ component: 'reconciler' });
    child.info('started');
    child.v(4)?.info('deleted real server', { rs: '10.0.0.1:80' });
    expect(child.verbosity).to.equal(4);
    expect(records(lines).map((r) => r['component'])).to.deep.equal(['reconciler', 'reconciler']);
  });

  it('writes readable text when asked', () => {
    const { log, lines } = capture(2, 'text');
    log.info('synced', { node: 'n1', count: 3, reason: 'endpoints changed', ok: true });
    log.warn('slow');
    expect(lines).to.deep.equal([
      '2026-01-02T03:04:05.678Z INFO  synced node=n1 count=3 reason="endpoints changed" ok=true\n',
      '2026-01-02T03:04:05.678Z WARN  slow\n',
    ]);
  });

  it('passes non-JSON input through the text formatter unchanged', () => {
    expect(formatTextLine('not json\n')).to.equal('not json\n');
    expect(formatTextLine('{"time":"t","level":"error","msg":"m","o":{"a":[1]}}')).to.equal('t ERROR m o={"a":[1]}\n');
  });
});
