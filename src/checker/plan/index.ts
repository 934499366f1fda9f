/**
 * The fix plan: the ordered steps that raise a domain's grade fastest, each with the exact
 * record or file to publish and the grade the domain would reach after it.
 *
 * How it is computed:
 *  - Candidates: one step per check (its findings' own fixes, merged and de-duplicated), with
 *    the staged controls split where the RFCs ask for caution: DMARC `p=none` with reports →
 *    `p=quarantine` (RFC 7489 §6.3, §7.2), MTA-STS `mode: testing` → `enforce` once TLS-RPT
 *    shows no failures (RFC 8461 §5; RFC 8460). Findings of untested checks, `dns.lookup_failed`
 *    and `info` findings that cost no points are never a step.
 *  - Simulation: a step removes the findings it resolves from a copy of the checks (a staged
 *    step leaves the next stage's finding in their place: a fresh DMARC record has `p=none`),
 *    each check's status is recomputed from what remains, and `grade()` scores the result.
 *  - Order: greedy. At each point take the step that raises the score most — counting, for a
 *    stage, the stages it unlocks — breaking ties by the cap it lifts, then fail before warn.
 *    Anti-spoofing caps therefore come first. Prerequisites always come before their stages.
 */
import { sortFindings, statusOf } from '../check.ts';
import { finding, type FindingCode } from '../findings.ts';
import { grade, type GradeResult } from '../grade.ts';
import { SEVERITY_RANK, type CheckId, type CheckResult, type Grade, type Report } from '../types.ts';
import { planCandidates, type Candidate } from './candidates.ts';

export { renderPlanText } from './render.ts';
export { planStepSchema, planSchema } from './schema.ts';

export interface PlanStep {
  /** 1-based position in the plan */
  step: number;
  title: string;
  /** plain English: what is wrong now and what the step changes */
  why: string;
  /** the exact record line(s) or file to publish, pasteable */
  action: string;
  /** the findings it resolves */
  codes: FindingCode[];
  /** the check the step belongs to */
  check: CheckId;
  /** the grade and score once this step and every step before it are done */
  gradeAfter: Grade;
  scoreAfter: number;
  /** what to wait for before taking this step (staged controls) */
  waitFor?: string;
}

/** A plan longer than this stops being a plan. */
export const MAX_PLAN_STEPS = 8;

export interface PlanOptions {
  /** at most this many steps (default MAX_PLAN_STEPS) */
  maxSteps?: number;
  /** the clock for new MTA-STS ids (default: the report's checkedAt, else now) */
  now?: Date;
}

type PlanInput = Pick<Report, 'domain' | 'checks'> & Partial<Pick<Report, 'checkedAt'>>;

/** Apply a step to a copy of the checks: resolved findings go, the next stage's finding comes. */
function applyStep(checks: readonly CheckResult[], c: Candidate): CheckResult[] {
  return checks.map((check) => {
    if (check.status === 'untested') return check;
    const remove = new Set(c.resolves.filter((r) => r.check === check.id).map((r) => r.code));
    const add = c.introduces.filter((r) => r.check === check.id && !remove.has(r.code)).map((r) => r.code);
    if (remove.size === 0 && add.length === 0) return check;
    const findings = check.findings.filter((f) => !remove.has(f.code));
    for (const code of add) {
      if (!findings.some((f) => f.code === code)) findings.push(finding(code, `(after the previous step) ${code}`, ''));
    }
    const sorted = sortFindings(findings);
    return { ...check, findings: sorted, status: statusOf(sorted) };
  });
}

/** The findings of `c` present in `checks` (a stage whose starting point is not there yet resolves nothing). */
function presentFindings(checks: readonly CheckResult[], c: Candidate) {
  return c.resolves.flatMap((r) => checks.find((ch) => ch.id === r.check && ch.status !== 'untested')?.findings.filter((f) => f.code === r.code) ?? []);
}

interface Scored {
  candidate: Candidate;
  /** score gain of the step together with the stages it unlocks (and their other prerequisites) */
  reach: number;
  /** caps the step alone removes */
  capsLifted: number;
  /** worst severity it resolves (fail 3 … info 1) */
  worst: number;
  own: number;
  raw: number;
}

function better(a: Scored, b: Scored): boolean {
  if (a.reach !== b.reach) return a.reach > b.reach;
  if (a.capsLifted !== b.capsLifted) return a.capsLifted > b.capsLifted;
  if (a.worst !== b.worst) return a.worst > b.worst;
  if (a.own !== b.own) return a.own > b.own;
  if (a.raw !== b.raw) return a.raw > b.raw;
  return a.candidate.order < b.candidate.order;
}

/** `c`, the candidates that (transitively) wait for it, and their other prerequisites, in a valid order. */
function chainOf(c: Candidate, candidates: readonly Candidate[], done: ReadonlySet<string>): Candidate[] {
  const byKey = new Map(candidates.map((x) => [x.key, x]));
  const members = new Set<string>([c.key]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const x of candidates) {
      if (done.has(x.key) || members.has(x.key)) continue;
      const dependent = x.after.some((k) => members.has(k));
      const prerequisite = [...members].some((m) => byKey.get(m)?.after.includes(x.key));
      if (dependent || prerequisite) {
        members.add(x.key);
        grew = true;
      }
    }
  }
  const ordered: Candidate[] = [];
  const placed = new Set(done);
  while (ordered.length < members.size) {
    const next = candidates.find((x) => members.has(x.key) && !placed.has(x.key) && x.after.every((k) => placed.has(k)));
    if (!next) break;
    ordered.push(next);
    placed.add(next.key);
  }
  return ordered;
}

/** The ordered steps that raise this domain's grade fastest (empty when nothing would). */
export function buildPlan(report: PlanInput, options: PlanOptions = {}): PlanStep[] {
  const maxSteps = Math.max(0, options.maxSteps ?? MAX_PLAN_STEPS);
  const now = options.now ?? (report.checkedAt && !Number.isNaN(Date.parse(report.checkedAt)) ? new Date(report.checkedAt) : new Date());
  let state: CheckResult[] = report.checks.map((c) => ({ ...c, findings: [...c.findings] }));
  let current: GradeResult = grade(state);
  const candidates = planCandidates({ domain: report.domain, checks: state, initial: current, now });

  const done = new Set<string>();
  const chosen: Array<{ candidate: Candidate; result: GradeResult; codes: FindingCode[] }> = [];
  while (chosen.length < maxSteps) {
    let best: Scored | null = null;
    for (const c of candidates) {
      if (done.has(c.key) || !c.after.every((k) => done.has(k))) continue;
      const present = presentFindings(state, c);
      if (present.length === 0) continue;
      const after = grade(applyStep(state, c));
      const chain = chainOf(c, candidates, done);
      let chainedScore = after.score;
      // a step that unlocks nothing is its own chain: its score is `after`'s, no second simulation
      if (chain.length !== 1 || chain[0] !== c) {
        let chained = state;
        for (const x of chain) chained = applyStep(chained, x);
        chainedScore = grade(chained).score;
      }
      const reach = Math.max(after.score, chainedScore) - current.score;
      const scored: Scored = {
        candidate: c,
        reach,
        capsLifted: current.breakdown.caps.length - after.breakdown.caps.length,
        worst: Math.max(...present.map((f) => SEVERITY_RANK[f.severity])),
        own: after.score - current.score,
        raw: after.breakdown.rawScore - current.breakdown.rawScore,
      };
      if (best === null || better(scored, best)) best = scored;
    }
    if (best === null) break;
    const c = best.candidate;
    const codes = [...new Set(presentFindings(state, c).map((f) => f.code))];
    state = applyStep(state, c);
    current = grade(state);
    done.add(c.key);
    chosen.push({ candidate: c, result: current, codes });
  }

  // actions are rendered in plan order: a record edited by several steps shows its state after each
  return chosen.map(({ candidate, result, codes }, i) => {
    const rendered = candidate.render();
    const step: PlanStep = {
      step: i + 1,
      title: candidate.title,
      why: candidate.why,
      action: rendered.action,
      codes,
      check: candidate.check,
      gradeAfter: result.grade,
      scoreAfter: result.score,
    };
    if (rendered.waitFor) step.waitFor = rendered.waitFor;
    return step;
  });
}
