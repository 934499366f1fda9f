import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { main } from '../../src/cli.ts';
import type { CliIo } from '../../src/cli/io.ts';
import { reportSchema } from '../../src/checker/report-schema.ts';
import { startWorld, type World } from '../world/index.ts';
import { demoWorldOptions } from '../world/demo.ts';

function io(stdin = '', env: NodeJS.ProcessEnv = {}, tty = false) {
  const out: string[] = [];
  const err: string[] = [];
  const fake: CliIo = {
    stdout: { write: (s: string) => out.push(s), isTTY: tty },
    stderr: { write: (s: string) => err.push(s), isTTY: tty },
    readStdin: async () => stdin,
    env,
  };
  return { fake, out: () => out.join(''), err: () => err.join('') };
}

let world: World;
/** where the world's DNS is, and routes for every address it publishes (nothing leaves loopback) */
const worldArgs = () => ['--resolver', world.resolver, ...world.connectTo.flatMap((r) => ['--connect-to', r])];
beforeAll(async () => {
  world = await startWorld(demoWorldOptions());
});
afterAll(async () => {
  await world.stop();
});

describe('posture check: input validation', () => {
  it.each([
    ['https://www.example.com/x', /URL.*www\.example\.com/],
    ['bad..domain', /empty label/],
    ['192.0.2.1', /IP address/],
  ])('refuses %s with exit 2, one line on stderr and nothing on stdout', async (input, message) => {
    const t = io();
    const code = await main(['check', input, ...worldArgs()], t.fake);
    expect(code).toBe(2);
    expect(t.out()).toBe('');
    expect(t.err()).toMatch(message);
    expect(t.err().trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [['--timeout-ms', 'soon']],
    [['--concurrency', '0']],
    [['--fail-under', 'Z']],
    [['--connect-to', 'nonsense']],
    [['--bogus-flag']],
  ])('refuses bad options %j with exit 2', async (extra) => {
    const t = io();
    expect(await main(['check', 'acme.test', ...extra], t.fake)).toBe(2);
    expect(t.out()).toBe('');
  });

  it('needs at least one domain', async () => {
    const t = io('');
    expect(await main(['check', '-'], t.fake)).toBe(2);
    expect(t.err()).toMatch(/at least one domain/);
  });
});

describe('posture check: output', () => {
  it('prints one JSON report that matches the contract, for any input spelling', async () => {
    const t = io();
    const code = await main(['check', 'ACME.test.', '--json', ...worldArgs(), '--no-smtp'], t.fake);
    expect(code).toBe(0);
    const report = reportSchema.parse(JSON.parse(t.out()));
    expect(report.domain).toBe('acme.test');
    expect(report.input).toBe('ACME.test.');
    expect(report.checks.find((c) => c.id === 'mx')?.status).toBe('pass');
  });

  it('prints an array for several domains read from stdin, and stays in order', async () => {
    const t = io('acme.test\n# a comment\n\npostmaster@parked.test\n');
    const code = await main(['check', '-', '--json', ...worldArgs(), '--concurrency', '2'], t.fake);
    expect(code).toBe(0);
    const reports = JSON.parse(t.out()) as unknown[];
    expect(reports.map((r) => reportSchema.parse(r).domain)).toEqual(['acme.test', 'parked.test']);
  });

  it('exits 3 when a domain grades below --fail-under, 0 otherwise', async () => {
    const bad = io();
    expect(await main(['check', 'broken.test', '--fail-under', 'C', ...worldArgs()], bad.fake)).toBe(3);
    expect(bad.out()).toMatch(/broken\.test/);
    const good = io();
    expect(await main(['check', 'acme.test', '--fail-under', 'f', ...worldArgs()], good.fake)).toBe(0);
  });

  it('reports a domain that does not exist with dns.nxdomain and grade F', async () => {
    const t = io();
    await main(['check', 'typo-nonexistent.test', '--json', ...worldArgs()], t.fake);
    const report = reportSchema.parse(JSON.parse(t.out()));
    expect(report.grade).toBe('F');
    expect(report.checks.flatMap((c) => c.findings.map((f) => f.code))).toContain('dns.nxdomain');
  });

  it('human output names the grade and uses no colour off a TTY or with NO_COLOR', async () => {
    const plain = io();
    await main(['check', 'broken.test', ...worldArgs()], plain.fake);
    expect(plain.out()).toMatch(/broken\.test\s+grade [A-F]/);
    expect(plain.out()).toMatch(/spf\.pass_all/);
    expect(plain.out()).not.toMatch(/\x1b\[/);
    const tty = io('', {}, true);
    await main(['check', 'broken.test', ...worldArgs()], tty.fake);
    expect(tty.out()).toMatch(/\x1b\[/);
    const noColor = io('', { NO_COLOR: '1' }, true);
    await main(['check', 'broken.test', ...worldArgs()], noColor.fake);
    expect(noColor.out()).not.toMatch(/\x1b\[/);
  });
});

describe('posture spf', () => {
  it('evaluates check_host() for one IP and prints the result and the deciding term as JSON', async () => {
    const t = io();
    expect(await main(['spf', 'acme.test', '--ip', '192.0.2.10', '--json', ...worldArgs().slice(0, 2)], t.fake)).toBe(0);
    expect(JSON.parse(t.out())).toMatchObject({ result: 'pass', mechanism: 'include:_spf.mailhost.test' });
    const fail = io();
    await main(['spf', '--sender', 'someone@acme.test', '--ip', '203.0.113.9', '--json', ...worldArgs().slice(0, 2)], fail.fake);
    expect(JSON.parse(fail.out())).toMatchObject({ result: 'fail', mechanism: '-all' });
  });

  it('ends with temperror when the answer does not come within --timeout-ms', async () => {
    const silent = await startWorld({ dns: { names: { 'slow.test': { fault: 'timeout' } } } });
    try {
      const t = io();
      expect(await main(['spf', 'slow.test', '--ip', '192.0.2.1', '--json', '--timeout-ms', '300', '--resolver', silent.resolver], t.fake)).toBe(0);
      expect(JSON.parse(t.out()).result).toBe('temperror');
    } finally {
      await silent.stop();
    }
  });

  it('refuses a missing or malformed --ip with exit 2', async () => {
    const t = io();
    expect(await main(['spf', 'acme.test'], t.fake)).toBe(2);
    expect(t.err()).toMatch(/--ip is required/);
    expect(await main(['spf', 'acme.test', '--ip', 'not-an-ip'], io().fake)).toBe(2);
  });

  it('reads --timeout-ms as a budget: a bad value is a usage error, not silently ignored', async () => {
    const t = io();
    expect(await main(['spf', 'acme.test', '--ip', '192.0.2.1', '--timeout-ms', 'soon'], t.fake)).toBe(2);
    expect(t.err()).toMatch(/--timeout-ms needs a whole number/);
    expect(t.out()).toBe('');
  });
});

describe('posture explain', () => {
  it('explains a topic, and with "for DOMAIN" adds that domain\'s findings and fixes', async () => {
    const plain = io();
    expect(await main(['explain', 'what is mta sts?'], plain.fake)).toBe(0);
    expect(plain.out()).toMatch(/MTA-STS/);
    const t = io('', { POSTURE_RESOLVER: world.resolver, POSTURE_NO_SMTP: '1' });
    expect(await main(['explain', 'spf', 'for', 'broken.test'], t.fake)).toBe(0);
    expect(t.out()).toMatch(/broken\.test/);
    expect(t.out()).toMatch(/\+all/);
  });

  it('suggests a topic for a typo and exits 2', async () => {
    const t = io();
    expect(await main(['explain', 'dmrac'], t.fake)).toBe(2);
    expect(t.out()).toBe('');
    expect(t.err()).toMatch(/did you mean.*dmarc/i);
  });
});

describe('posture as a process', () => {
  it('runs from src/cli.ts and exits 2 on an invalid domain', () => {
    const r = spawnSync(process.execPath, ['src/cli.ts', 'check', 'not a domain'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^posture: /);
  });
});
