/** Builders for plan tests: checks with concrete findings (message and fix), in report order. */
import { sortFindings, statusOf } from '../../src/checker/check.ts';
import { FINDINGS, type FindingCode } from '../../src/checker/findings.ts';
import { grade } from '../../src/checker/grade.ts';
import { CHECK_IDS, type CheckId, type CheckResult, type Finding, type Report, type Severity } from '../../src/checker/types.ts';

export const DOMAIN = 'example.com';

export function f(code: FindingCode, fix = `fix for ${code}`, severity: Severity = FINDINGS[code].severity): Finding {
  return { code, severity, message: `message for ${code}.`, fix, ref: FINDINGS[code].ref };
}

/** A tested check whose status is its worst finding (pass when none). */
export function check(id: CheckId, findings: (FindingCode | Finding)[] = [], evidence: Record<string, unknown> = {}): CheckResult {
  const list = sortFindings(findings.map((x) => (typeof x === 'string' ? f(x) : x)));
  return { id, status: statusOf(list), summary: id, evidence, findings: list };
}

export function untested(id: CheckId): CheckResult {
  const code: FindingCode = id === 'starttls' ? 'starttls.unreachable' : 'dns.lookup_failed';
  return { id, status: 'untested', summary: id, evidence: {}, findings: [f(code)] };
}

/** Every check id, all passing, with overrides. */
export function report(overrides: Partial<Record<CheckId, CheckResult>> = {}): Pick<Report, 'domain' | 'checks' | 'checkedAt'> {
  return {
    domain: DOMAIN,
    checkedAt: '2026-11-29T10:00:00.000Z',
    checks: CHECK_IDS.map((id) => overrides[id] ?? check(id)),
  };
}

/**
 * The best a plan can reach: every tested check without its warn/fail findings, the points-costing
 * info findings (`mta_sts.mode_none`), and the neutral info findings of a check that had others.
 */
export function bestScore(checks: readonly CheckResult[]): { grade: string; score: number } {
  const neutral = new Set<FindingCode>(['dkim.not_found', 'dkim.domainkey_nxdomain']);
  const cleaned = checks.map((c) => {
    if (c.status === 'untested') return c;
    const hadWork = c.findings.some((x) => x.severity !== 'info');
    const findings = c.findings.filter(
      (x) => x.severity === 'info' && x.code !== 'mta_sts.mode_none' && !(hadWork && neutral.has(x.code)),
    );
    return { ...c, findings, status: statusOf(findings) };
  });
  const g = grade(cleaned);
  return { grade: g.grade, score: g.score };
}
