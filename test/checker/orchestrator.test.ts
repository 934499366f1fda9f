import { describe, expect, it } from 'vitest';
import { checkDomain, CHECKS } from '../../src/checker/index.ts';
import type { CheckContext } from '../../src/checker/check.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';
import { reportSchema } from '../../src/checker/report-schema.ts';

/** A check that only ever ends when its context is aborted. */
const hangs = (ctx: CheckContext) =>
  new Promise<never>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }));

describe('checkDomain', () => {
  it('stops every other check as soon as the domain turns out not to exist', async () => {
    const resolver = new MemoryResolver({ names: { 'other.test': { A: ['192.0.2.1'] } } });
    const report = await checkDomain('missing.test', 'missing.test', {
      resolver,
      options: { timeoutMs: 600_000, smtp: false },
      checks: { ...CHECKS, dkim: hangs, bimi: hangs },
    });
    expect(report.grade).toBe('F');
    expect(report.checks.find((c) => c.id === 'mx')?.findings.map((f) => f.code)).toEqual(['dns.nxdomain']);
    expect(report.checks.find((c) => c.id === 'dkim')?.summary).toMatch(/does not exist/);
    reportSchema.parse(report);
  });

  it('turns a check still running at the budget into untested with dns.lookup_failed', async () => {
    const resolver = new MemoryResolver({ names: { 'slow.test': { MX: [[10, 'mx.slow.test']] }, 'mx.slow.test': { A: ['192.0.2.1'] } } });
    const report = await checkDomain('slow.test', 'slow.test', {
      resolver,
      options: { timeoutMs: 300, smtp: false },
      checks: { ...CHECKS, dkim: hangs },
    });
    const dkim = report.checks.find((c) => c.id === 'dkim')!;
    expect(dkim.status).toBe('untested');
    expect(dkim.findings.map((f) => f.code)).toEqual(['dns.lookup_failed']);
    expect(dkim.summary).toMatch(/300 ms budget/);
  });
});
