/**
 * The few facts about a report that outlive it: which policy senders apply. The compact history
 * keeps them (a year), so a week-over-week diff can say "DMARC moved from none to reject" or
 * "lost MTA-STS enforce" even when last week's full report is gone.
 */
import type { CheckResult, Report } from './types.ts';

export type DmarcPolicy = 'none' | 'quarantine' | 'reject';
export type MtaStsMode = 'enforce' | 'testing' | 'none';

export interface ReportFacts {
  /** checks that could not be completed (their codes say nothing about the domain) */
  untested: string[];
  /** DMARC policy applied to the domain's mail; null: none applies; absent: unknown (check untested) */
  dmarcPolicy?: DmarcPolicy | null;
  /** MTA-STS mode senders apply; null: none; absent: unknown (check untested) */
  mtaStsMode?: MtaStsMode | null;
}

export function asDmarcPolicy(v: unknown): DmarcPolicy | null {
  return v === 'none' || v === 'quarantine' || v === 'reject' ? v : null;
}
export function asStsMode(v: unknown): MtaStsMode | null {
  return v === 'enforce' || v === 'testing' || v === 'none' ? v : null;
}

function findCheck(report: Report, id: string): CheckResult | undefined {
  return report.checks.find((c) => c.id === id);
}

/** The DMARC policy a report shows (`evidence.policy`), null for none, undefined when unknown (check not completed, or no such evidence). */
export function dmarcPolicyOf(report: Report): DmarcPolicy | null | undefined {
  const c = findCheck(report, 'dmarc');
  if (!c || c.status === 'untested' || !Object.hasOwn(c.evidence, 'policy')) return undefined;
  return asDmarcPolicy(c.evidence.policy);
}

/** The MTA-STS mode senders apply (`evidence.effectiveMode`), null for none, undefined when unknown. */
export function mtaStsModeOf(report: Report): MtaStsMode | null | undefined {
  const c = findCheck(report, 'mta_sts');
  if (!c || c.status === 'untested' || !Object.hasOwn(c.evidence, 'effectiveMode')) return undefined;
  return asStsMode(c.evidence.effectiveMode);
}

export function reportFacts(report: Report): ReportFacts {
  const facts: ReportFacts = { untested: report.checks.filter((c) => c.status === 'untested').map((c) => c.id) };
  const dmarc = dmarcPolicyOf(report);
  if (dmarc !== undefined) facts.dmarcPolicy = dmarc;
  const sts = mtaStsModeOf(report);
  if (sts !== undefined) facts.mtaStsMode = sts;
  return facts;
}
