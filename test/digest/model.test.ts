import { describe, expect, it } from 'vitest';
import { finding, type FindingCode } from '../../src/checker/findings.ts';
import { CHECK_IDS, type CheckId, type CheckResult, type Finding, type Grade, type Report } from '../../src/checker/types.ts';
import type { CompactRun } from '../../src/digest/diff.ts';
import { buildDigest, digestText, type DigestDomainInput } from '../../src/digest/model.ts';
import { SPARK_GAP, sparkline, sparklineText } from '../../src/digest/sparkline.ts';

const NOW = '2026-11-30T09:00:00.000Z';
const DAY = 24 * 60 * 60 * 1000;
const weeksAgo = (n: number, jitterMs = 0): string => new Date(Date.parse(NOW) - n * 7 * DAY + jitterMs).toISOString();

const fnd = (code: FindingCode): Finding => finding(code, `message for ${code}`, `fix for ${code}`);

function check(id: CheckId, findings: Finding[] = [], evidence: Record<string, unknown> = {}): CheckResult {
  const worst = findings.some((f) => f.severity === 'fail') ? 'fail'
    : findings.some((f) => f.severity === 'warn') ? 'warn'
    : findings.length ? 'info' : 'pass';
  return { id, status: worst, summary: id, evidence, findings };
}

function report(domain: string, g: Grade, score: number, overrides: Partial<Record<CheckId, CheckResult>> = {}): Report {
  return {
    schema: 'posture.report/v1', domain, input: domain, checkedAt: weeksAgo(0, -60_000), durationMs: 5,
    grade: g, score, checks: CHECK_IDS.map((id) => overrides[id] ?? check(id)), plan: [],
  };
}

const run = (g: Grade, score: number, weeks = 1, extra: Partial<CompactRun> = {}): CompactRun =>
  ({ checkedAt: weeksAgo(weeks), grade: g, score, codes: [], ...extra });

/** unchanged since last week */
function steady(domain: string, g: Grade, score: number): DigestDomainInput {
  return { domain, current: report(domain, g, score), previous: run(g, score), history: [run(g, score)] };
}

const digest = (domains: DigestDomainInput[], budget?: Parameters<typeof buildDigest>[0]['budget']) =>
  buildDigest({ channel: 'C123', periodKey: '2026-W49', generatedAt: NOW, domains, ...(budget ? { budget } : {}) });

describe('buildDigest: headline', () => {
  it('"2 of 7 domains regressed; example.org lost MTA-STS enforce"', () => {
    const d = digest([
      steady('a.example', 'A', 95),
      steady('b.example', 'B', 85),
      {
        domain: 'zeta.example', current: report('zeta.example', 'C', 70),
        previous: run('B', 82), history: [run('B', 82)],
      },
      steady('c.example', 'A', 92),
      {
        domain: 'example.org',
        current: report('example.org', 'C', 74, { mta_sts: check('mta_sts', [fnd('mta_sts.policy_host_unreachable')], { effectiveMode: null }) }),
        previous: run('A', 94, 1, { mtaStsMode: 'enforce' }), history: [],
      },
      steady('d.example', 'B', 80),
      steady('e.example', 'C', 71),
    ]);
    expect(d.headline).toBe('2 of 7 domains regressed; example.org lost MTA-STS enforce');
    expect(d.totals).toEqual({ domains: 7, regressed: 2, improved: 0, unchanged: 5, failed: 0, new: 0 });
    expect(d.alerts.map((e) => e.domain)).toEqual(['example.org', 'zeta.example']);
    expect(d.entries[0]?.line).toBe('example.org: grade C (A → C), score 74 (-20) — lost MTA-STS enforce');
    expect(d.entries[0]?.arrow).toBe('down');
    expect(d.entries[1]?.line).toBe('zeta.example: grade C (B → C), score 70 (-12)');
  });

  it('"All 5 domains unchanged"', () => {
    const d = digest(['a', 'b', 'c', 'd', 'e'].map((x) => steady(`${x}.example`, 'B', 84)));
    expect(d.headline).toBe('All 5 domains unchanged');
    expect(d.alerts).toEqual([]);
    expect(d.entries.every((e) => e.arrow === 'same' && e.line.includes('grade B'))).toBe(true);
  });

  it('"1 of 3 domains improved: example.net DMARC moved from none to reject"', () => {
    const d = digest([
      steady('a.example', 'A', 95),
      {
        domain: 'example.net',
        current: report('example.net', 'B', 86, { dmarc: check('dmarc', [], { policy: 'reject', pct: 100, testing: false, inherited: false }) }),
        previous: run('C', 74, 1, { dmarcPolicy: 'none', codes: ['dmarc.policy_none'] }),
        history: [run('C', 74, 2), run('C', 74, 1, { dmarcPolicy: 'none' })],
      },
      steady('b.example', 'B', 84),
    ]);
    expect(d.headline).toBe('1 of 3 domains improved: example.net DMARC moved from none to reject');
    const e = d.entries[0];
    expect(e?.domain).toBe('example.net');
    expect(e?.line).toContain('grade B (C → B)');
    expect(e?.arrow).toBe('up');
    expect(e?.resolvedFindings.shown.map((f) => f.code)).toEqual(['dmarc.policy_none']);
    expect(e?.resolvedFindings.shown[0]?.title).toBe('DMARC policy is none (monitoring only)');
  });

  it('describes digests with nothing regressed or improved', () => {
    expect(digest([]).headline).toBe('No domains to report');
    expect(digest([steady('only.example', 'A', 99)]).headline).toBe('only.example unchanged');
    const fresh = digest([
      { domain: 'new1.example', current: report('new1.example', 'B', 80), previous: null, history: [] },
      { domain: 'new2.example', current: report('new2.example', 'A', 95), previous: null, history: [] },
    ]);
    expect(fresh.headline).toBe('2 domains checked for the first time');
    expect(fresh.entries.map((e) => e.line)).toEqual([
      'new1.example: grade B, score 80 (first check)',
      'new2.example: grade A, score 95 (first check)',
    ]);
    const mixed = digest([
      steady('a.example', 'A', 95),
      { domain: 'b.example', current: null, previous: run('B', 80), history: [] },
      { domain: 'c.example', current: report('c.example', 'C', 70), previous: null, history: [] },
    ]);
    expect(mixed.headline).toBe('3 domains: 1 unchanged, 1 new, 1 could not be checked');
  });
});

describe('buildDigest: order', () => {
  const inputs: DigestDomainInput[] = [
    steady('unchanged-b.example', 'B', 84),
    steady('unchanged-a.example', 'B', 84),
    steady('unchanged-d.example', 'D', 45),
    { domain: 'improved.example', current: report('improved.example', 'A', 92), previous: run('B', 84), history: [] },
    { domain: 'new.example', current: report('new.example', 'C', 70), previous: null, history: [] },
    { domain: 'regressed-b.example', current: report('regressed-b.example', 'B', 80), previous: run('A', 92), history: [] },
    { domain: 'regressed-f.example', current: report('regressed-f.example', 'F', 40), previous: run('C', 75), history: [] },
    { domain: 'failed.example', current: null, previous: run('A', 95), history: [] },
  ];
  const expected = [
    'regressed-f.example', 'regressed-b.example', 'failed.example', 'new.example', 'improved.example',
    'unchanged-d.example', 'unchanged-a.example', 'unchanged-b.example',
  ];

  it('puts regressions first, then failed checks, new, improved, unchanged; worst grade first, then name', () => {
    expect(digest(inputs).entries.map((e) => e.domain)).toEqual(expected);
    expect(digest(inputs).entries.map((e) => e.status)).toEqual(
      ['regressed', 'regressed', 'failed', 'new', 'improved', 'unchanged', 'unchanged', 'unchanged']);
  });

  it('is the same whatever order the domains come in', () => {
    const reversed = [...inputs].reverse();
    const rotated = [...inputs.slice(3), ...inputs.slice(0, 3)];
    expect(digest(reversed).entries.map((e) => e.domain)).toEqual(expected);
    expect(digest(rotated).entries.map((e) => e.domain)).toEqual(expected);
    expect(digest(rotated).headline).toBe(digest(inputs).headline);
  });
});

describe('buildDigest: failed checks', () => {
  it('shows a failed check as "could not be checked", never as a regression', () => {
    const d = digest([
      steady('ok.example', 'A', 95),
      { domain: 'down.example', current: null, previous: run('A', 95), history: [run('A', 95, 2), run('A', 95, 1)] },
    ]);
    const e = d.entries.find((x) => x.domain === 'down.example');
    expect(e?.status).toBe('failed');
    expect(e?.line).toBe('down.example: could not be checked (last grade A, score 95)');
    expect(e?.grade).toBeNull();
    expect(e?.arrow).toBe('unknown');
    expect(e?.sparkline.endsWith(SPARK_GAP)).toBe(true);
    expect(d.totals.regressed).toBe(0);
    expect(d.totals.failed).toBe(1);
    expect(d.alerts).toEqual([]);
    expect(d.headline).toBe('2 domains: 1 unchanged, 1 could not be checked');
    const first = digest([{ domain: 'never.example', current: null, previous: null, history: [] }]);
    expect(first.entries[0]?.line).toBe('never.example: could not be checked');
    expect(first.headline).toBe('never.example could not be checked');
  });

  it('adds failures to a regression headline without counting them as regressions', () => {
    const d = digest([
      { domain: 'x.example', current: report('x.example', 'C', 70), previous: run('B', 82), history: [] },
      { domain: 'down.example', current: null, previous: run('F', 20), history: [] },
    ]);
    expect(d.headline).toBe('1 of 2 domains regressed; x.example grade fell from B to C; 1 could not be checked');
  });
});

describe('buildDigest: findings and lines', () => {
  it('every line names its domain with "grade X", and "B → A" when the grade changed', () => {
    const d = digest([
      steady('a.example', 'A', 95),
      { domain: 'b.example', current: report('b.example', 'A', 91), previous: run('B', 85), history: [] },
      { domain: 'c.example', current: null, previous: run('D', 45), history: [] },
    ]);
    for (const e of d.entries) expect(e.line).toMatch(new RegExp(`^${e.domain.replace('.', '\\.')}: .*grade [A-F]`));
    expect(d.entries.find((e) => e.domain === 'b.example')?.line).toBe('b.example: grade A (B → A), score 91 (+6)');
    expect(digestText(d)).toContain('b.example: grade A (B → A)');
  });

  it('folds new findings per domain into "+N more", worst first', () => {
    const current = report('busy.example', 'D', 50, {
      spf: check('spf', [fnd('spf.too_many_lookups'), fnd('spf.ptr_used')]),
      tls_rpt: check('tls_rpt', [fnd('tls_rpt.missing')]),
      dnssec: check('dnssec', [fnd('dnssec.unsigned')]),
      starttls: check('starttls', [fnd('starttls.not_offered')]),
    });
    const d = digest([{ domain: 'busy.example', current, previous: run('D', 50), history: [] }], { maxFindingsPerDomain: 2 });
    const e = d.entries[0];
    expect(e?.status).toBe('regressed');
    expect(e?.newFindings.shown.map((f) => f.code)).toEqual(['spf.too_many_lookups', 'starttls.not_offered']);
    expect(e?.newFindings.shown[0]).toMatchObject({ severity: 'fail', token: 'problem', message: 'message for spf.too_many_lookups' });
    expect(e?.newFindings.more).toBe(3);
    expect(digestText(d)).toContain('+3 more new');
  });
});

describe('buildDigest: budget', () => {
  const fifty = Array.from({ length: 50 }, (_, i) => {
    const domain = `d${String(i).padStart(2, '0')}.example`;
    const current = report(domain, i % 5 === 0 ? 'C' : 'B', i % 5 === 0 ? 70 : 84, {
      tls_rpt: check('tls_rpt', [fnd('tls_rpt.missing')]),
      dnssec: check('dnssec', [fnd('dnssec.unsigned')]),
    });
    return { domain, current, previous: run('B', 84), history: [run('B', 84, 3), run('B', 84, 2), run('B', 84, 1)] };
  });

  it('shows at most maxDomains entries and reports the rest as more', () => {
    const d = digest(fifty, { maxDomains: 10, maxChars: 100_000 });
    expect(d.entries).toHaveLength(10);
    expect(d.more).toBe(40);
    expect(d.moreText).toBe('+40 more');
    expect(d.totals.domains).toBe(50);
    expect(d.totals.regressed).toBe(10);
    expect(d.entries.slice(0, 10).every((e) => e.status === 'regressed')).toBe(true);
    expect(d.headline).toMatch(/^10 of 50 domains regressed; d00\.example /);
    expect(digestText(d).split('\n').at(-1)).toBe('+40 more');
  });

  it('keeps the whole text within the character budget', () => {
    const d = digest(fifty, { maxChars: 2000 });
    expect(d.entries.length).toBeGreaterThan(0);
    expect(d.entries.length + d.more).toBe(50);
    expect(digestText(d).length).toBeLessThanOrEqual(2000);
    const fit = digest(fifty);
    expect(fit.entries.length).toBeLessThanOrEqual(20);
    expect(digestText(fit).length).toBeLessThanOrEqual(5500);
    expect(fit.alerts.length + fit.alertsMore).toBe(10);
  });
});

describe('sparkline', () => {
  it('uses a fixed 0–100 scale, so equal scores look equal across domains', () => {
    expect(sparkline([0, 12, 13, 25, 50, 75, 88, 100])).toBe('▁▁▂▃▅▇██');
    expect(sparkline([100])).toBe(`${SPARK_GAP.repeat(7)}█`);
    expect(sparkline([60, 60])).toBe(sparkline([60, 60]));
    expect(sparkline([90, 90, 90], 3)).toBe('███');
    expect(sparkline([55, 60, 65], 3)).toBe('▅▅▆');
  });

  it('shows gaps for missing weeks and keeps the newest week rightmost', () => {
    expect(sparkline([72, null, 84], 3)).toBe(`▆${SPARK_GAP}▇`);
    expect(sparkline([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])).toHaveLength(8);
    expect(sparkline([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]).at(-1)).toBe('█');
    expect(sparklineText([72, 75, null, 91])).toBe('scores 72, 75, no data, 91');
    expect(sparklineText([null, null])).toBe('no scores yet');
  });

  it('puts each run in its week in the digest, with gaps for weeks without one', () => {
    const d = digest([{
      domain: 'trend.example',
      current: report('trend.example', 'A', 100),
      previous: run('B', 84, 1),
      // week 3 has no run; a run taken a few minutes late still counts for its week
      history: [run('D', 40, 5), run('C', 70, 4), { ...run('C', 72, 2), checkedAt: weeksAgo(2, 5 * 60_000) }, run('B', 84, 1)],
    }]);
    const e = d.entries[0];
    expect(e?.sparkline).toBe(`${SPARK_GAP}${SPARK_GAP}▄▆${SPARK_GAP}▆▇█`);
    expect(e?.sparklineText).toBe('scores 40, 70, no data, 72, 84, 100');
    expect(digestText(d)).toContain(e?.sparkline ?? '?');
  });
});
