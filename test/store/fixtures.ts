/** Builders for store tests: valid reports, channels, a controllable clock. */
import { FINDINGS, type FindingCode } from '../../src/checker/findings.ts';
import { CHECK_IDS, SEVERITY_RANK, type CheckId, type CheckResult, type Finding, type Grade, type Report } from '../../src/checker/types.ts';
import type { ChannelRef, Platform } from '../../src/store/types.ts';

export interface ReportSpec {
  grade?: Grade;
  score?: number;
  codes?: FindingCode[];
}

/** A schema-valid report; each finding code goes to the check its prefix names. */
export function makeReport(domain: string, checkedAt: Date | string, spec: ReportSpec = {}): Report {
  const byCheck = new Map<CheckId, Finding[]>();
  for (const code of spec.codes ?? []) {
    const id = code.slice(0, code.indexOf('.')) as CheckId;
    if (!CHECK_IDS.includes(id)) throw new Error(`fixture: ${code} belongs to no check`);
    const info = FINDINGS[code];
    const list = byCheck.get(id) ?? [];
    list.push({ code, severity: info.severity, message: info.title, fix: '', ref: info.ref });
    byCheck.set(id, list);
  }
  const checks: CheckResult[] = CHECK_IDS.map((id) => {
    const findings = byCheck.get(id) ?? [];
    const worst = findings.reduce<Finding['severity'] | undefined>(
      (w, f) => (w === undefined || SEVERITY_RANK[f.severity] > SEVERITY_RANK[w] ? f.severity : w),
      undefined,
    );
    return { id, status: worst ?? 'pass', summary: `${id} summary`, evidence: { seen: [id] }, findings };
  });
  return {
    schema: 'posture.report/v1',
    domain,
    input: domain.toUpperCase(),
    checkedAt: typeof checkedAt === 'string' ? checkedAt : checkedAt.toISOString(),
    durationMs: 812,
    grade: spec.grade ?? 'B',
    score: spec.score ?? 80,
    checks,
    plan: [],
  };
}

export function channel(channelId: string, workspaceId = 'T1', platform: Platform = 'slack'): ChannelRef {
  return { platform, workspaceId, channelId };
}

/** A clock the test moves by hand; starts on Monday 2026-11-30 08:00 UTC. */
export class TestClock {
  t: number;
  constructor(start = '2026-11-30T08:00:00.000Z') {
    this.t = Date.parse(start);
  }
  readonly now = (): Date => new Date(this.t);
  advance(ms: number): Date {
    this.t += ms;
    return this.now();
  }
  set(iso: string): Date {
    this.t = Date.parse(iso);
    return this.now();
  }
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const WEEK = 7 * DAY;

/** `n` distinct valid domains: d00.example … */
export function domains(n: number, prefix = 'd'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(2, '0')}.example`);
}
