/**
 * Malicious zones and servers through `checkDomain` (timeoutMs 3000): 1,000 MX records, SPF
 * include bombs (wide and deep), CNAME chains and loops, a TXT record of 255 strings and huge
 * answers that only fit over TCP, a policy that trickles one byte a second, SMTP servers that
 * never greet or greet forever. Every check id is present, each check ends with findings or
 * `untested`, and the number of upstream queries stays bounded (the caching resolver's stats).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachingResolver } from '../../src/checker/dns/cache.ts';
import { createResolver } from '../../src/checker/dns/index.ts';
import { checkDomain } from '../../src/checker/index.ts';
import { reportSchema } from '../../src/checker/report-schema.ts';
import { CHECK_IDS, type Report } from '../../src/checker/types.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';
import type { NameSpec } from '../world/dns/zone.ts';
import { startHostileDns } from '../world/hostile/dns.ts';
import { startEndlessBannerSmtp, type CountingServer } from '../world/hostile/servers.ts';
import { startWorld, type World } from '../world/index.ts';

const OPTIONS = { timeoutMs: 3000, smtp: false, heloName: 'posture.test' };

function wellFormed(report: Report): void {
  expect(reportSchema.safeParse(report).success).toBe(true);
  expect(report.checks.map((c) => c.id).sort()).toEqual([...CHECK_IDS].sort());
  for (const c of report.checks) expect(c.summary.length).toBeGreaterThan(0);
}

async function inMemory(domain: string, names: Record<string, NameSpec>): Promise<{ report: Report; queries: number }> {
  const resolver = new CachingResolver(new MemoryResolver({ names }));
  const report = await checkDomain(domain, domain, { resolver, options: OPTIONS });
  return { report, queries: resolver.stats.queries };
}

const check = (r: Report, id: string) => r.checks.find((c) => c.id === id)!;

describe('malicious zones', () => {
  it('1,000 MX records: bounded queries, the MX check says only the first hosts were examined', async () => {
    const D = 'manymx.test';
    const names: Record<string, NameSpec> = { [D]: { MX: Array.from({ length: 1000 }, (_, i) => [i, `mx${i}.${D}`] as [number, string]) } };
    for (let i = 0; i < 1000; i++) names[`mx${i}.${D}`] = { A: [`192.0.2.${i % 250}`] };
    const { report, queries } = await inMemory(D, names);
    wellFormed(report);
    expect(queries).toBeLessThan(400);
    expect(check(report, 'mx').summary).toMatch(/first \d+ examined/);
  });

  it('SPF include bomb, wide: 300 includes of 300 includes each; bounded queries, too many lookups', async () => {
    const D = 'wide.test';
    const names: Record<string, NameSpec> = { [D]: { TXT: [`v=spf1 ${Array.from({ length: 300 }, (_, i) => `include:i${i}.${D}`).join(' ')} -all`] } };
    for (let i = 0; i < 300; i++) names[`i${i}.${D}`] = { TXT: [`v=spf1 ${Array.from({ length: 300 }, (_, j) => `include:j${j}.i${i}.${D}`).join(' ')} -all`] };
    const { report, queries } = await inMemory(D, names);
    wellFormed(report);
    expect(queries).toBeLessThan(500);
    expect(check(report, 'spf').findings.map((f) => f.code)).toContain('spf.too_many_lookups');
  });

  it('SPF include bomb, deep: a chain of 1,000 includes; bounded queries, too many lookups', async () => {
    const D = 'deep.test';
    const names: Record<string, NameSpec> = { [D]: { TXT: [`v=spf1 include:d0.${D} -all`] } };
    for (let i = 0; i < 1000; i++) names[`d${i}.${D}`] = { TXT: [`v=spf1 include:d${i + 1}.${D} -all`] };
    const { report, queries } = await inMemory(D, names);
    wellFormed(report);
    expect(queries).toBeLessThan(200);
    expect(check(report, 'spf').findings.map((f) => f.code)).toContain('spf.too_many_lookups');
  });

  it('SPF include loop: reported as a loop, not walked forever', async () => {
    const D = 'loop.test';
    const { report } = await inMemory(D, { [D]: { TXT: [`v=spf1 include:a.${D} -all`] }, [`a.${D}`]: { TXT: [`v=spf1 include:${D} -all`] } });
    wellFormed(report);
    expect(check(report, 'spf').findings.map((f) => f.code)).toContain('spf.loop');
  });

  it('CNAME chains and loops on every name the checks ask: reports end, nothing absent is claimed for a loop', async () => {
    const D = 'cname.test';
    const names: Record<string, NameSpec> = {
      [D]: { MX: [[10, `mx.${D}`]], TXT: ['v=spf1 mx -all'] },
      [`mx.${D}`]: { CNAME: `c0.${D}` },
      [`_dmarc.${D}`]: { CNAME: `loop1.${D}` },
      [`loop1.${D}`]: { CNAME: `loop2.${D}` },
      [`loop2.${D}`]: { CNAME: `loop1.${D}` },
      [`_mta-sts.${D}`]: { CNAME: `_mta-sts.${D}` },
    };
    for (let i = 0; i < 40; i++) names[`c${i}.${D}`] = { CNAME: `c${i + 1}.${D}` };
    names[`c40.${D}`] = { A: ['192.0.2.1'] };
    const { report } = await inMemory(D, names);
    wellFormed(report);
    const codes = report.checks.flatMap((c) => c.findings.map((f) => f.code));
    expect(codes).not.toContain('dmarc.missing');
    expect(codes).not.toContain('mta_sts.missing');
    expect(check(report, 'dmarc').status).toBe('untested');
  });

  it('a TXT record of 255 strings of 255 bytes and an MX set of 1,000 hosts over the wire: TCP carries them', async () => {
    const D = 'huge.test';
    const strings = ['v=spf1', ...Array.from({ length: 254 }, (_, i) => ` ip4:192.0.2.${i % 250}`.padEnd(255, ' ').slice(0, 255))];
    const names: Record<string, NameSpec> = {
      [D]: { TXT: [strings], MX: Array.from({ length: 1000 }, (_, i) => [i, `m${i}.${D}`] as [number, string]) },
    };
    const dns = await startHostileDns({ fixture: { names } });
    const r = createResolver({ servers: [dns.address], timeoutMs: 1000, tries: 1 });
    try {
      const report = await checkDomain(D, D, { resolver: r.resolver, options: OPTIONS });
      wellFormed(report);
      expect(dns.stats.tcp).toBeGreaterThan(0);
      const spf = check(report, 'spf');
      expect(spf.status).not.toBe('untested');
      expect(spf.findings.map((f) => f.code)).toContain('spf.record_too_large');
    } finally {
      await r.close();
      await dns.stop();
    }
  });
});

describe('hostile servers', () => {
  let world: World;
  let endless: CountingServer;
  const T = 'trickle.test';
  const N = 'nobanner.test';
  const E = 'endless.test';

  beforeAll(async () => {
    endless = await startEndlessBannerSmtp();
    world = await startWorld({
      dns: {
        names: {
          [T]: { MX: [[10, `mx.${T}`]] },
          [`mx.${T}`]: { A: ['192.0.2.91'] },
          [`_mta-sts.${T}`]: { TXT: ['v=STSv1; id=1'] },
          [`mta-sts.${T}`]: { A: ['192.0.2.90'] },
          [N]: { MX: [[10, `mx.${N}`]] },
          [`mx.${N}`]: { A: ['192.0.2.92'] },
          [E]: { MX: [[10, `mx.${E}`]] },
          [`mx.${E}`]: { A: ['192.0.2.93'] },
        },
      },
      https: { [`mta-sts.${T}`]: { address: '192.0.2.90', routes: { '/.well-known/mta-sts.txt': { kind: 'trickle', chunk: 'v', intervalMs: 1000 } } } },
      smtp: {
        [`mx.${T}`]: { address: '192.0.2.91' },
        [`mx.${N}`]: { address: '192.0.2.92', server: { banner: 'never' } },
      },
    });
  });
  afterAll(async () => {
    await world?.stop();
    await endless?.close();
  });

  async function run(domain: string, extra: string[] = []): Promise<Report> {
    const r = createResolver({ servers: [world.resolver], timeoutMs: 1000, tries: 1 });
    try {
      return await checkDomain(domain, domain, {
        resolver: r.resolver,
        options: { ...OPTIONS, smtp: true, connectTo: [...world.connectTo, ...extra], extraCa: [world.ca.certPem] },
      });
    } finally {
      await r.close();
    }
  }

  it('a policy trickling one byte a second: the fetch is cut off inside the budget, nothing is assumed', async () => {
    const report = await run(T);
    wellFormed(report);
    const m = check(report, 'mta_sts');
    expect(m.findings.map((f) => f.code)).not.toContain('mta_sts.policy_invalid');
    expect(JSON.stringify(m)).toMatch(/time|budget/i);
  });

  it('an SMTP server that never sends a banner: STARTTLS untested (unreachable), inside the budget', async () => {
    const report = await run(N);
    wellFormed(report);
    const s = check(report, 'starttls');
    expect(s.status).toBe('untested');
    expect(s.findings.map((f) => f.code).some((c) => c === 'starttls.unreachable' || c === 'dns.lookup_failed')).toBe(true);
    expect(s.findings.map((f) => f.code)).not.toContain('starttls.not_offered');
  });

  it('an SMTP server whose banner never ends: the reply is capped, STARTTLS untested, never "no TLS"', async () => {
    const report = await run(E, [`192.0.2.93:25:127.0.0.1:${endless.port}`]);
    wellFormed(report);
    const s = check(report, 'starttls');
    expect(s.status).toBe('untested');
    expect(s.findings.map((f) => f.code)).not.toContain('starttls.not_offered');
    expect(endless.accepted).toBeGreaterThan(0);
  });
});
