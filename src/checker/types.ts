/** The report model (CONTRACTS §2, `posture.report/v1`). */
import type { FindingCode } from './findings.ts';
import type { PlanStep } from './plan/index.ts';

export const CHECK_IDS = [
  'mx', 'spf', 'dkim', 'dmarc', 'mta_sts', 'tls_rpt', 'dnssec', 'dane', 'bimi', 'starttls',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

export type Severity = 'fail' | 'warn' | 'info';
export type CheckStatus = 'pass' | 'info' | 'warn' | 'fail' | 'untested';
export type Grade = 'A' | 'B' | 'C' | 'D' | 'F';

export interface Finding {
  code: FindingCode;
  severity: Severity;
  /** plain English: what is wrong and why it matters */
  message: string;
  /** what to publish or change; pasteable where possible */
  fix: string;
  /** the spec section the rule comes from */
  ref: string;
}

export interface CheckResult {
  id: CheckId;
  status: CheckStatus;
  summary: string;
  evidence: Record<string, unknown>;
  findings: Finding[];
}

export interface Report {
  schema: 'posture.report/v1';
  domain: string;
  input: string;
  checkedAt: string;
  durationMs: number;
  grade: Grade;
  score: number;
  checks: CheckResult[];
  /** the ordered steps that raise the grade fastest (empty when there is nothing to do) */
  plan: PlanStep[];
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 1, warn: 2, fail: 3 };
