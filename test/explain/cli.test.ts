import { describe, expect, it, vi } from 'vitest';
import { runExplain } from '../../src/cli/explain.ts';
import { UsageError, type CliIo } from '../../src/cli/io.ts';
import { listTopics } from '../../src/explain/index.ts';
import { MTA_STS_TESTING, sampleReport } from './fixtures.ts';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const fake: CliIo = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    readStdin: async () => '',
    env: {},
  };
  return { fake, out: () => out.join(''), err: () => err.join('') };
}

describe('posture explain', () => {
  it('prints a topic and exits 0', async () => {
    const t = io();
    expect(await runExplain(['MTA-STS'], t.fake, {})).toBe(0);
    expect(t.out()).toMatch(/^MTA-STS \(SMTP MTA Strict Transport Security\)\n/);
    expect(t.out()).toMatch(/References: RFC 8461/);
    expect(t.err()).toBe('');
  });

  it('joins several words into one query', async () => {
    const t = io();
    expect(await runExplain(['spf', 'too', 'many', 'lookups'], t.fake, {})).toBe(0);
    expect(t.out()).toMatch(/^spf\.too_many_lookups: /);
  });

  it('an unknown topic exits 2 with "did you mean" on stderr and nothing on stdout', async () => {
    const t = io();
    expect(await runExplain(['mta-stss'], t.fake, {})).toBe(2);
    expect(t.out()).toBe('');
    expect(t.err()).toBe('posture: no explanation for "mta-stss"; did you mean mta-sts?\n');
  });

  it('an unknown topic never checks the domain', async () => {
    const t = io();
    const checkDomain = vi.fn(async () => sampleReport());
    expect(await runExplain(['dmrac', 'for', 'example.com'], t.fake, { checkDomain })).toBe(2);
    expect(checkDomain).not.toHaveBeenCalled();
    expect(t.err()).toMatch(/did you mean dmarc\?/);
  });

  it('with "for DOMAIN" checks the (normalised) domain and prints the contextual answer', async () => {
    const t = io();
    const checkDomain = vi.fn(async (_domain: string) => sampleReport({ mta_sts: MTA_STS_TESTING }));
    expect(await runExplain(['mta-sts', 'for', 'Example.COM.'], t.fake, { checkDomain })).toBe(0);
    expect(checkDomain).toHaveBeenCalledWith('example.com');
    expect(t.out()).toMatch(/example\.com: grade C, score 74/);
    expect(t.out()).toMatch(/\[warn\] mta_sts\.mode_testing: example\.com publishes its MTA-STS policy in mode testing\./);
    expect(t.out()).toMatch(/Fix: Change "mode: testing" to "mode: enforce"/);
  });

  it('also accepts the request as one quoted argument', async () => {
    const t = io();
    const checkDomain = vi.fn(async () => sampleReport());
    expect(await runExplain(['what is dmarc for example.com?'], t.fake, { checkDomain })).toBe(0);
    expect(checkDomain).toHaveBeenCalledWith('example.com');
    expect(t.out()).toMatch(/^DMARC\n/);
  });

  it('--json prints the model', async () => {
    const t = io();
    const checkDomain = async () => sampleReport({ mta_sts: MTA_STS_TESTING });
    expect(await runExplain(['--json', 'mta-sts', 'for', 'example.com'], t.fake, { checkDomain })).toBe(0);
    const model = JSON.parse(t.out());
    expect(model.kind).toBe('explanation');
    expect(model.topic.id).toBe('mta-sts');
    expect(model.context.findings[0].code).toBe('mta_sts.mode_testing');
  });

  it('"topics" lists every topic', async () => {
    const t = io();
    expect(await runExplain(['topics'], t.fake, {})).toBe(0);
    expect(t.out().trim().split('\n')).toHaveLength(listTopics().length);
    expect(t.out()).toMatch(/^mta-sts +MTA-STS/m);
  });

  it('--help prints usage and exits 0', async () => {
    const t = io();
    expect(await runExplain(['--help'], t.fake, {})).toBe(0);
    expect(t.out()).toMatch(/^usage: posture explain TOPIC \[for DOMAIN\]/);
  });

  it.each([
    [[] as string[], /needs a topic/],
    [['--bogus', 'spf'], /unknown option "--bogus"/],
    [['spf', 'for', 'https://example.com/x'], /URL/],
    [['spf', 'for', '192.0.2.1'], /IP address/],
    [['for', 'example.com'], /needs a topic/],
  ])('usage problems %j throw UsageError', async (argv, message) => {
    const t = io();
    const checkDomain = vi.fn(async () => sampleReport());
    await expect(runExplain(argv, t.fake, { checkDomain })).rejects.toThrow(UsageError);
    await expect(runExplain(argv, t.fake, { checkDomain })).rejects.toThrow(message);
    expect(checkDomain).not.toHaveBeenCalled();
    expect(t.out()).toBe('');
  });

  it('fails (not a usage error) when no checker is wired in', async () => {
    const t = io();
    const p = runExplain(['spf', 'for', 'example.com'], t.fake, {});
    await expect(p).rejects.toThrow(/no checker/);
    await expect(p).rejects.not.toBeInstanceOf(UsageError);
  });
});
