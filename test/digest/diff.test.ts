import { describe, expect, it } from 'vitest';
import { finding, type FindingCode } from '../../src/checker/findings.ts';
import { CHECK_IDS, type CheckId, type CheckResult, type Finding, type Grade, type Report } from '../../src/checker/types.ts';
import { diffReports, toCompactRun, type CompactRun } from '../../src/digest/diff.ts';

const fnd = (code: FindingCode): Finding => finding(code, `message for ${code}`, `fix for ${code}`);

function check(id: CheckId, findings: Finding[] = [], evidence: Record<string, unknown> = {}, status?: CheckResult['status']): CheckResult {
  const worst = findings.some((f) => f.severity === 'fail') ? 'fail'
    : findings.some((f) => f.severity === 'warn') ? 'warn'
    : findings.length ? 'info' : 'pass';
  return { id, status: status ?? worst, summary: id, evidence, findings };
}

function report(g: Grade, score: number, overrides: Partial<Record<CheckId, CheckResult>> = {}, checkedAt = '2026-11-30T09:00:00.000Z'): Report {
  return {
    schema: 'posture.report/v1', domain: 'example.net', input: 'example.net', checkedAt, durationMs: 5,
    grade: g, score, checks: CHECK_IDS.map((id) => overrides[id] ?? check(id)), plan: [],
  };
}

/** The dmarc check as src/checker/checks/dmarc/index.ts reports a record of its own. */
function dmarc(policy: 'none' | 'quarantine' | 'reject' | null): CheckResult {
  if (policy === null) {
    return check('dmarc', [fnd('dmarc.missing')], {
      location: null, record: null, inherited: false, policy: null, pct: null, testing: false, reportDestinations: [],
    });
  }
  return check('dmarc', policy === 'none' ? [fnd('dmarc.policy_none')] : [], {
    location: '_dmarc.example.net', record: `v=DMARC1; p=${policy}; rua=mailto:d@example.net`, inherited: false,
    policy, policySource: 'p', subdomainPolicy: null, nonexistentSubdomainPolicy: null, pct: 100, testing: false,
    reportDestinations: [],
  });
}

/** The mta_sts check with `evidence.effectiveMode` as src/checker/checks/mta-sts/index.ts sets it. */
function mtaSts(mode: 'enforce' | 'testing' | 'none' | null, findings: Finding[] = []): CheckResult {
  const extra = mode === 'testing' ? [fnd('mta_sts.mode_testing')] : [];
  return check('mta_sts', [...extra, ...findings], { effectiveMode: mode });
}

const LAST_WEEK = '2026-11-23T09:00:00.000Z';

describe('diffReports: named transitions', () => {
  it('a domain whose DMARC moved from none to reject says so', () => {
    const before = report('C', 72, { dmarc: dmarc('none') }, LAST_WEEK);
    const after = report('B', 85, { dmarc: dmarc('reject') });
    const d = diffReports(before, after);
    expect(d.direction).toBe('improved');
    expect(d.notable).toBe('DMARC moved from none to reject');
    expect(d.notableKind).toBe('dmarc');
    expect(d).toMatchObject({ gradeBefore: 'C', gradeAfter: 'B', scoreBefore: 72, scoreAfter: 85 });
    expect(d.resolvedFindings).toEqual([{ code: 'dmarc.policy_none', severity: 'warn' }]);
    expect(d.newFindings).toEqual([]);
  });

  it('says the same from the compact run the store keeps', () => {
    const before = toCompactRun(report('C', 72, { dmarc: dmarc('none') }, LAST_WEEK));
    expect(before).toMatchObject({ checkedAt: LAST_WEEK, grade: 'C', score: 72, dmarcPolicy: 'none', codes: ['dmarc.policy_none'] });
    const d = diffReports(before, report('B', 85, { dmarc: dmarc('reject') }));
    expect(d.notable).toBe('DMARC moved from none to reject');
    expect(d.resolvedFindings).toEqual([{ code: 'dmarc.policy_none', severity: 'warn' }]);
  });

  it('does not guess a policy a compact run does not record', () => {
    const before: CompactRun = { checkedAt: LAST_WEEK, grade: 'C', score: 72, codes: ['dmarc.policy_none'] };
    const d = diffReports(before, report('B', 85, { dmarc: dmarc('reject') }));
    expect(d.notable).toBe('grade rose from C to B');
    expect(d.notableKind).toBe('grade');
  });

  it('names a lost DMARC policy and a new one', () => {
    const lost = diffReports(report('A', 95, { dmarc: dmarc('reject') }, LAST_WEEK), report('F', 55, { dmarc: dmarc(null) }));
    expect(lost.direction).toBe('regressed');
    expect(lost.notable).toBe('DMARC policy removed (was reject)');
    expect(lost.newFindings.map((f) => f.code)).toEqual(['dmarc.missing']);
    const gained = diffReports(report('F', 55, { dmarc: dmarc(null) }, LAST_WEEK), report('B', 85, { dmarc: dmarc('quarantine') }));
    expect(gained.notable).toBe('DMARC policy set to quarantine');
  });

  it('a domain whose MTA-STS policy stopped applying lost MTA-STS enforce', () => {
    const before = report('A', 95, { mta_sts: mtaSts('enforce') }, LAST_WEEK);
    const after = report('B', 85, { mta_sts: mtaSts(null, [fnd('mta_sts.policy_host_unreachable')]) });
    const d = diffReports(before, after);
    expect(d.direction).toBe('regressed');
    expect(d.notable).toBe('lost MTA-STS enforce');
    expect(d.newFindings).toEqual([
      { code: 'mta_sts.policy_host_unreachable', severity: 'fail', message: 'message for mta_sts.policy_host_unreachable' },
    ]);
    expect(diffReports(toCompactRun(before), after).notable).toBe('lost MTA-STS enforce');
  });

  it('does not read a mode or policy into a report that carries no such evidence', () => {
    const before = report('A', 95, { mta_sts: mtaSts('enforce'), dmarc: dmarc('reject') }, LAST_WEEK);
    const after = report('A', 95, { mta_sts: check('mta_sts'), dmarc: check('dmarc') });
    const d = diffReports(before, after);
    expect(d.notable).toBe('');
    expect(toCompactRun(after)).not.toHaveProperty('mtaStsMode');
    expect(toCompactRun(after)).not.toHaveProperty('dmarcPolicy');
  });

  it('names MTA-STS mode moves both ways', () => {
    const up = diffReports(report('B', 85, { mta_sts: mtaSts('testing') }, LAST_WEEK), report('A', 92, { mta_sts: mtaSts('enforce') }));
    expect(up.notable).toBe('MTA-STS moved from testing to enforce');
    const down = diffReports(report('A', 92, { mta_sts: mtaSts('enforce') }, LAST_WEEK), report('B', 85, { mta_sts: mtaSts('testing') }));
    expect(down.notable).toBe('lost MTA-STS enforce (now testing)');
  });

  it('names nothing about a check that could not be run this time', () => {
    const before = report('A', 95, { mta_sts: mtaSts('enforce') }, LAST_WEEK);
    const after = report('A', 95, { mta_sts: check('mta_sts', [fnd('dns.lookup_failed')], { effectiveMode: null }, 'untested') });
    const d = diffReports(before, after);
    expect(d.direction).toBe('unchanged');
    expect(d.notable).toBe('');
    expect(d.newFindings).toEqual([]);
  });
});

describe('diffReports: new and resolved findings', () => {
  it('lists codes that appeared and disappeared, worst first', () => {
    const before = report('B', 80, { spf: check('spf', [fnd('spf.ptr_used')]), dnssec: check('dnssec', [fnd('dnssec.unsigned')]) }, LAST_WEEK);
    const after = report('B', 80, {
      spf: check('spf', [fnd('spf.ptr_used'), fnd('spf.lookups_near_limit')]),
      tls_rpt: check('tls_rpt', [fnd('tls_rpt.missing')]),
      starttls: check('starttls', [fnd('starttls.no_tls13')]),
    });
    const d = diffReports(before, after);
    expect(d.newFindings.map((f) => f.code)).toEqual(['spf.lookups_near_limit', 'tls_rpt.missing', 'starttls.no_tls13']);
    expect(d.newFindings[0]).toEqual({ code: 'spf.lookups_near_limit', severity: 'warn', message: 'message for spf.lookups_near_limit' });
    expect(d.resolvedFindings).toEqual([{ code: 'dnssec.unsigned', severity: 'warn' }]);
    expect(d.direction).toBe('unchanged');
  });

  it('does not call a finding resolved because its check could not be run', () => {
    const before = toCompactRun(report('B', 80, { dnssec: check('dnssec', [fnd('dnssec.unsigned')]) }, LAST_WEEK));
    const after = report('B', 80, { dnssec: check('dnssec', [fnd('dns.lookup_failed')], {}, 'untested') });
    const d = diffReports(before, after);
    expect(d.resolvedFindings).toEqual([]);
    expect(d.newFindings).toEqual([]);
  });

  it('does not call a finding new because its check could not be run last time', () => {
    const base = report('B', 80, { starttls: check('starttls', [fnd('starttls.unreachable')], {}, 'untested') }, LAST_WEEK);
    const after = report('B', 80, { starttls: check('starttls', [fnd('starttls.no_tls13')]) });
    expect(diffReports(base, after).newFindings).toEqual([]);
    const compact = toCompactRun(base);
    expect(compact.untested).toEqual(['starttls']);
    expect(diffReports(compact, after).newFindings).toEqual([]);
  });

  it('takes a resolved code\'s severity from the catalog when only the code is known', () => {
    const before: CompactRun = { checkedAt: LAST_WEEK, grade: 'C', score: 70, codes: ['spf.too_many_lookups', 'dns.lookup_failed'] };
    const d = diffReports(before, report('C', 72));
    expect(d.resolvedFindings).toEqual([{ code: 'spf.too_many_lookups', severity: 'fail' }]);
    expect(d.notable).toBe('');
  });
});

describe('diffReports: regression rules', () => {
  const prev = (g: Grade, score: number, codes: string[] = []): CompactRun => ({ checkedAt: LAST_WEEK, grade: g, score, codes });

  it('a first check is new', () => {
    const d = diffReports(null, report('B', 80));
    expect(d).toMatchObject({ direction: 'new', gradeBefore: null, scoreBefore: null, notable: '', newFindings: [] });
  });

  it('a worse grade is a regression, a better one an improvement', () => {
    expect(diffReports(prev('A', 91), report('B', 89)).direction).toBe('regressed');
    expect(diffReports(prev('A', 91), report('B', 89)).notable).toBe('grade fell from A to B');
    expect(diffReports(prev('C', 79), report('B', 80)).direction).toBe('improved');
  });

  it('within a grade, a score drop of at least the threshold is a regression', () => {
    expect(diffReports(prev('B', 88), report('B', 83)).direction).toBe('regressed');
    expect(diffReports(prev('B', 88), report('B', 83)).notable).toBe('score fell from 88 to 83');
    expect(diffReports(prev('B', 88), report('B', 84)).direction).toBe('unchanged');
    expect(diffReports(prev('B', 88), report('B', 84), { scoreThreshold: 3 }).direction).toBe('regressed');
    expect(diffReports(prev('B', 80), report('B', 85)).direction).toBe('improved');
  });

  it('a new fail finding is a regression even when grade and score hold', () => {
    const d = diffReports(prev('B', 80), report('B', 80, { starttls: check('starttls', [fnd('starttls.handshake_failed')]) }));
    expect(d.direction).toBe('regressed');
    expect(d.notable).toBe('new problem: STARTTLS handshake failed');
    expect(d.notableKind).toBe('finding');
  });

  it('a new warning alone is not a regression', () => {
    const d = diffReports(prev('B', 80), report('B', 80, { tls_rpt: check('tls_rpt', [fnd('tls_rpt.missing')]) }));
    expect(d.direction).toBe('unchanged');
  });

  it('a better grade stays an improvement even with a new fail finding', () => {
    const d = diffReports(prev('F', 50, ['dmarc.missing']), report('B', 82, {
      dmarc: check('dmarc', [fnd('dmarc.invalid_report_uri')], { policy: 'reject' }),
    }));
    expect(d.direction).toBe('improved');
    expect(d.notable).toBe('fixed: no DMARC record');
  });
});
