/**
 * Week-over-week diff of one domain (DESIGN `src/digest/`): grade and score before/after,
 * new and resolved findings, whether it regressed, and one notable phrase derived from a
 * transition we can name reliably ("lost MTA-STS enforce", "DMARC moved from none to reject").
 *
 * The previous run is either a full Report or the `CompactRun` the store keeps for history.
 * A compact run names its codes only; the optional `untested`, `dmarcPolicy` and `mtaStsMode`
 * fields (filled by `toCompactRun`) let the diff say as much from it as from a report. Where a
 * fact is absent nothing is guessed.
 */
import { FINDINGS, isFindingCode } from '../checker/findings.ts';
import { compareGrades } from '../checker/grade.ts';
import type { CheckResult, Grade, Report, Severity } from '../checker/types.ts';
import { CHECK_IDS, SEVERITY_RANK } from '../checker/types.ts';

import { reportFacts, type DmarcPolicy, type MtaStsMode } from '../checker/facts.ts';
// the policy facts live with the checker (the store keeps them too); re-exported for callers here
export { dmarcPolicyOf, mtaStsModeOf, type DmarcPolicy, type MtaStsMode } from '../checker/facts.ts';
import { asDmarcPolicy, asStsMode, dmarcPolicyOf, mtaStsModeOf } from '../checker/facts.ts';

/** What the store keeps of a run for history. */
export interface CompactRun {
  checkedAt: string;
  grade: Grade;
  score: number;
  /** the finding codes of the run */
  codes: string[];
  /** checks that could not be completed (their codes say nothing about the domain) */
  untested?: string[];
  /** DMARC policy applied to the domain's mail; null: none applies; absent: unknown (check untested) */
  dmarcPolicy?: DmarcPolicy | null;
  /** MTA-STS mode senders apply; null: none; absent: unknown (check untested) */
  mtaStsMode?: MtaStsMode | null;
}

export type Direction = 'improved' | 'regressed' | 'unchanged' | 'new';

/** where the notable phrase comes from */
export type NotableKind = 'dmarc' | 'mta_sts' | 'finding' | 'grade' | 'score';

export interface NewFinding {
  code: string;
  severity: Severity;
  message: string;
}

export interface ResolvedFinding {
  code: string;
  severity: Severity;
}

export interface ReportDiff {
  gradeBefore: Grade | null;
  gradeAfter: Grade;
  scoreBefore: number | null;
  scoreAfter: number;
  direction: Direction;
  /** worst first, then by code */
  newFindings: NewFinding[];
  /** worst first, then by code */
  resolvedFindings: ResolvedFinding[];
  /** one phrase, "" when nothing worth naming */
  notable: string;
  notableKind: NotableKind | null;
}

export interface DiffOptions {
  /** a same-grade score drop of at least this many points is a regression (and a rise an improvement) */
  scoreThreshold?: number;
}

export const DEFAULT_SCORE_THRESHOLD = 5;

/**
 * Codes that say what we could not see, not what the domain has: never "new" nor "resolved".
 */
const NOT_POSTURE = new Set<string>(['dns.lookup_failed', 'starttls.unreachable']);

const DMARC_RANK: Record<DmarcPolicy, number> = { none: 1, quarantine: 2, reject: 3 };
const STS_RANK: Record<MtaStsMode, number> = { none: 0, testing: 1, enforce: 2 };

function findCheck(report: Report, id: string): CheckResult | undefined {
  return report.checks.find((c) => c.id === id);
}

/** What the store should keep of a report for history and next week's diff. */
export function toCompactRun(report: Report): CompactRun {
  const codes: string[] = [];
  for (const c of report.checks) for (const f of c.findings) if (!codes.includes(f.code)) codes.push(f.code);
  return { checkedAt: report.checkedAt, grade: report.grade, score: report.score, codes, ...reportFacts(report) };
}

function isReport(x: CompactRun | Report): x is Report {
  return Array.isArray((x as Report).checks);
}

/** the check a code belongs to by its prefix (`mta_sts.missing` → `mta_sts`); null for dns.* */
function checkOfCode(code: string): string | null {
  const prefix = code.slice(0, code.indexOf('.'));
  return (CHECK_IDS as readonly string[]).includes(prefix) ? prefix : null;
}

interface CodeFact {
  severity: Severity;
  message: string;
  check: string | null;
}

interface Snapshot {
  grade: Grade;
  score: number;
  /** posture codes of completed checks */
  codes: Map<string, CodeFact>;
  untested: Set<string>;
  dmarc: DmarcPolicy | null | undefined;
  sts: MtaStsMode | null | undefined;
}

function catalogSeverity(code: string): Severity {
  return isFindingCode(code) ? FINDINGS[code].severity : 'info';
}

function snapshotOfReport(r: Report): Snapshot {
  const codes = new Map<string, CodeFact>();
  const untested = new Set<string>();
  for (const c of r.checks) {
    if (c.status === 'untested') {
      untested.add(c.id);
      continue;
    }
    for (const f of c.findings) {
      if (NOT_POSTURE.has(f.code)) continue;
      const seen = codes.get(f.code);
      if (!seen || SEVERITY_RANK[f.severity] > SEVERITY_RANK[seen.severity]) {
        codes.set(f.code, { severity: f.severity, message: f.message, check: c.id });
      }
    }
  }
  return { grade: r.grade, score: r.score, codes, untested, dmarc: dmarcPolicyOf(r), sts: mtaStsModeOf(r) };
}

function snapshotOfRun(r: CompactRun): Snapshot {
  const untested = new Set(r.untested ?? []);
  const codes = new Map<string, CodeFact>();
  for (const code of r.codes) {
    if (NOT_POSTURE.has(code)) continue;
    const check = checkOfCode(code);
    if (check !== null && untested.has(check)) continue;
    if (!codes.has(code)) codes.set(code, { severity: catalogSeverity(code), message: '', check });
  }
  return {
    grade: r.grade,
    score: r.score,
    codes,
    untested,
    dmarc: r.dmarcPolicy === undefined ? undefined : asDmarcPolicy(r.dmarcPolicy),
    sts: r.mtaStsMode === undefined ? undefined : asStsMode(r.mtaStsMode),
  };
}

const bySeverityThenCode = (a: { severity: Severity; code: string }, b: { severity: Severity; code: string }): number =>
  SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

/** A catalog title as a phrase: "No DMARC record" → "no DMARC record", "SPF needs…" stays. */
function phraseOf(code: string): string {
  const title: string = isFindingCode(code) ? FINDINGS[code].title : code;
  const first = title.split(/\s/)[0] ?? '';
  const acronym = first.length > 1 && first === first.toUpperCase() && /[A-Z]/.test(first);
  return acronym ? title : title.charAt(0).toLowerCase() + title.slice(1);
}

interface Candidate {
  kind: NotableKind;
  text: string;
  /** +1 better, -1 worse */
  polarity: 1 | -1;
}

function dmarcCandidate(before: Snapshot, after: Snapshot): Candidate | null {
  const a = before.dmarc;
  const b = after.dmarc;
  if (a === undefined || b === undefined || a === b) return null;
  const rank = (p: DmarcPolicy | null): number => (p === null ? 0 : DMARC_RANK[p]);
  const polarity = rank(b) > rank(a) ? 1 : -1;
  if (a !== null && b !== null) return { kind: 'dmarc', text: `DMARC moved from ${a} to ${b}`, polarity };
  if (a !== null) return { kind: 'dmarc', text: `DMARC policy removed (was ${a})`, polarity };
  return { kind: 'dmarc', text: `DMARC policy set to ${b}`, polarity };
}

function stsCandidate(before: Snapshot, after: Snapshot): Candidate | null {
  const a = before.sts;
  const b = after.sts;
  if (a === undefined || b === undefined || a === b) return null;
  const rank = (m: MtaStsMode | null): number => (m === null ? 0 : STS_RANK[m]);
  const polarity = rank(b) > rank(a) ? 1 : -1;
  if (a === 'enforce') {
    return { kind: 'mta_sts', text: b === null ? 'lost MTA-STS enforce' : `lost MTA-STS enforce (now ${b})`, polarity: -1 };
  }
  if (a !== null && b !== null) return { kind: 'mta_sts', text: `MTA-STS moved from ${a} to ${b}`, polarity };
  if (a !== null) return { kind: 'mta_sts', text: `lost MTA-STS ${a}`, polarity };
  return { kind: 'mta_sts', text: `MTA-STS now ${b}`, polarity };
}

/** Compare a domain's current report with its previous run. */
export function diffReports(
  previous: CompactRun | Report | null,
  current: Report,
  options: DiffOptions = {},
): ReportDiff {
  const threshold = options.scoreThreshold ?? DEFAULT_SCORE_THRESHOLD;
  const after = snapshotOfReport(current);

  if (previous === null) {
    return {
      gradeBefore: null, gradeAfter: current.grade, scoreBefore: null, scoreAfter: current.score,
      direction: 'new', newFindings: [], resolvedFindings: [], notable: '', notableKind: null,
    };
  }
  const before = isReport(previous) ? snapshotOfReport(previous) : snapshotOfRun(previous);

  // a code is new when last week's run saw its check and did not have it; resolved when this
  // week's run saw its check and no longer has it
  const newFindings: NewFinding[] = [];
  for (const [code, fact] of after.codes) {
    if (before.codes.has(code)) continue;
    if (fact.check !== null && before.untested.has(fact.check)) continue;
    newFindings.push({ code, severity: fact.severity, message: fact.message });
  }
  const resolvedFindings: ResolvedFinding[] = [];
  for (const [code, fact] of before.codes) {
    if (after.codes.has(code)) continue;
    const check = fact.check ?? checkOfCode(code);
    if (check !== null && after.untested.has(check)) continue;
    resolvedFindings.push({ code, severity: fact.severity });
  }
  newFindings.sort(bySeverityThenCode);
  resolvedFindings.sort(bySeverityThenCode);

  const cmp = compareGrades(after.grade, before.grade);
  const delta = after.score - before.score;
  const newFail = newFindings.some((f) => f.severity === 'fail');
  // A new `fail` finding is a regression unless the grade rose (a domain that went from no DMARC
  // to a DMARC record with a bad report URI improved, whatever the new finding says).
  const regressed = cmp > 0 || (cmp === 0 && (delta <= -threshold || newFail));
  const improved = !regressed && (cmp < 0 || (cmp === 0 && delta >= threshold));
  const direction: Direction = regressed ? 'regressed' : improved ? 'improved' : 'unchanged';

  const candidates: Candidate[] = [];
  const dmarc = dmarcCandidate(before, after);
  if (dmarc) candidates.push(dmarc);
  const sts = stsCandidate(before, after);
  if (sts) candidates.push(sts);
  const firstNewFail = newFindings.find((f) => f.severity === 'fail');
  if (firstNewFail) candidates.push({ kind: 'finding', text: `new problem: ${phraseOf(firstNewFail.code)}`, polarity: -1 });
  const firstFixed = resolvedFindings.find((f) => f.severity === 'fail');
  if (firstFixed) candidates.push({ kind: 'finding', text: `fixed: ${phraseOf(firstFixed.code)}`, polarity: 1 });
  if (cmp !== 0) {
    candidates.push({
      kind: 'grade',
      text: cmp > 0 ? `grade fell from ${before.grade} to ${after.grade}` : `grade rose from ${before.grade} to ${after.grade}`,
      polarity: cmp > 0 ? -1 : 1,
    });
  } else if (Math.abs(delta) >= threshold) {
    candidates.push({
      kind: 'score',
      text: delta < 0 ? `score fell from ${before.score} to ${after.score}` : `score rose from ${before.score} to ${after.score}`,
      polarity: delta < 0 ? -1 : 1,
    });
  }

  let pick: Candidate | undefined;
  if (direction === 'regressed') pick = candidates.find((c) => c.polarity === -1);
  else if (direction === 'improved') pick = candidates.find((c) => c.polarity === 1);
  // an unchanged grade can still hide a named change of policy
  else pick = candidates.find((c) => c.kind === 'dmarc' || c.kind === 'mta_sts');

  return {
    gradeBefore: before.grade,
    gradeAfter: after.grade,
    scoreBefore: before.score,
    scoreAfter: after.score,
    direction,
    newFindings,
    resolvedFindings,
    notable: pick?.text ?? '',
    notableKind: pick?.kind ?? null,
  };
}
