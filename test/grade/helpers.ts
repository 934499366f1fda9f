/** Builders for grade tests: checks from finding codes, with catalog severities. */
import { statusOf, sortFindings } from '../../src/checker/check.ts';
import { FINDINGS, type FindingCode } from '../../src/checker/findings.ts';
import { CHECK_IDS, type CheckId, type CheckResult, type Finding, type Severity } from '../../src/checker/types.ts';

export function f(code: FindingCode, severity: Severity = FINDINGS[code].severity): Finding {
  return { code, severity, message: code, fix: '', ref: FINDINGS[code].ref };
}

/** A tested check whose status is its worst finding (pass when none). */
export function check(id: CheckId, ...codes: (FindingCode | Finding)[]): CheckResult {
  const findings = sortFindings(codes.map((c) => (typeof c === 'string' ? f(c) : c)));
  return { id, status: statusOf(findings), summary: id, evidence: {}, findings };
}

export function untestedCheck(id: CheckId): CheckResult {
  const code: FindingCode = id === 'starttls' ? 'starttls.unreachable' : 'dns.lookup_failed';
  return { id, status: 'untested', summary: id, evidence: {}, findings: [f(code)] };
}

/** Every check id, all passing, with overrides. */
export function report(overrides: Partial<Record<CheckId, CheckResult>> = {}): CheckResult[] {
  return CHECK_IDS.map((id) => overrides[id] ?? check(id));
}
