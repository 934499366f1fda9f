/** A hand-built report for contextual answers. */
import { FINDINGS, type FindingCode } from '../../src/checker/findings.ts';
import { CHECK_IDS, type CheckId, type CheckResult, type Finding, type Report } from '../../src/checker/types.ts';

export function finding(code: FindingCode, message: string, fix: string): Finding {
  return { code, severity: FINDINGS[code].severity, message, fix, ref: FINDINGS[code].ref };
}

export function sampleReport(overrides: Partial<Record<CheckId, CheckResult>> = {}): Report {
  const checks: CheckResult[] = CHECK_IDS.map(
    (id) => overrides[id] ?? { id, status: 'pass', summary: `${id} is fine`, evidence: {}, findings: [] },
  );
  return {
    schema: 'posture.report/v1',
    domain: 'example.com',
    input: 'Example.COM.',
    checkedAt: '2026-11-29T10:00:00.000Z',
    durationMs: 812,
    grade: 'C',
    score: 74,
    checks,
    plan: [],
  };
}

export const MTA_STS_TESTING: CheckResult = {
  id: 'mta_sts',
  status: 'warn',
  summary: 'MTA-STS policy in testing mode',
  evidence: {},
  findings: [
    finding(
      'mta_sts.mode_testing',
      'example.com publishes its MTA-STS policy in mode testing.',
      'Change "mode: testing" to "mode: enforce" in https://mta-sts.example.com/.well-known/mta-sts.txt and publish _mta-sts.example.com TXT "v=STSv1; id=20261129".',
    ),
  ],
};

export const DMARC_NONE: CheckResult = {
  id: 'dmarc',
  status: 'warn',
  summary: 'DMARC policy is none',
  evidence: {},
  findings: [finding('dmarc.policy_none', 'example.com has p=none.', '_dmarc.example.com TXT "v=DMARC1; p=quarantine; rua=mailto:d@example.com"')],
};

export const STARTTLS_UNTESTED: CheckResult = {
  id: 'starttls',
  status: 'untested',
  summary: 'port 25 unreachable from here',
  evidence: {},
  findings: [finding('starttls.unreachable', 'Could not connect to mx.example.com:25.', 'Run from a network that allows port 25.')],
};
