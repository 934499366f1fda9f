/**
 * Monotonicity of the rubric (CONTRACTS §2: adding a `fail` finding never raises the grade).
 * Random reports with every check id; findings with random codes and severities (the rubric
 * may escalate severities, so any code may carry any severity); status = worst finding, pass
 * when none, or untested. Then one `fail` finding is added or removed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { statusOf } from '../../src/checker/check.ts';
import { FINDING_CODES, FINDINGS, type FindingCode } from '../../src/checker/findings.ts';
import { RUBRIC, bandFor, compareGrades, grade } from '../../src/checker/grade.ts';
import { CHECK_IDS, type CheckId, type CheckResult, type Finding, type Severity } from '../../src/checker/types.ts';

const RUNS = 2000;

function codesFor(id: CheckId): FindingCode[] {
  return FINDING_CODES.filter((c) => c.startsWith(`${id}.`) || c.startsWith('dns.'));
}

const severity = fc.constantFrom<Severity>('info', 'warn', 'fail');

function mkFinding(code: FindingCode, sev: Severity): Finding {
  return { code, severity: sev, message: code, fix: '', ref: FINDINGS[code].ref };
}

/** A code: usually one of the check's own (so caps, neutral codes and null MX come up often), sometimes any. */
function codeArb(id: CheckId): fc.Arbitrary<FindingCode> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...codesFor(id)) },
    { weight: 1, arbitrary: fc.constantFrom(...FINDING_CODES) },
  );
}

function findingArb(id: CheckId): fc.Arbitrary<Finding> {
  return fc.oneof(
    // the catalog severity, most of the time
    { weight: 3, arbitrary: codeArb(id).map((code) => mkFinding(code, FINDINGS[code].severity)) },
    { weight: 1, arbitrary: fc.tuple(codeArb(id), severity).map(([code, sev]) => mkFinding(code, sev)) },
  );
}

function checkArb(id: CheckId, untestedWeight: number): fc.Arbitrary<CheckResult> {
  return fc
    .record({
      untested: fc.oneof(
        { weight: untestedWeight, arbitrary: fc.constant(true) },
        { weight: 4, arbitrary: fc.constant(false) },
      ),
      findings: fc.array(findingArb(id), { maxLength: 4 }),
    })
    .map(({ untested, findings }) => ({
      id,
      status: untested ? ('untested' as const) : statusOf(findings),
      summary: id,
      evidence: {},
      findings,
    }));
}

/** The states the rubric treats specially: untested, clean, neutral-only, null MX; or random findings. */
function edgeCheckArb(id: CheckId): fc.Arbitrary<CheckResult> {
  const neutral = RUBRIC.controls.find((c) => c.id === id)?.neutralCodes ?? [];
  const special: FindingCode[][] = [[]];
  if (neutral.length > 0) special.push([...neutral], [neutral[0]!]);
  if (id === 'mx') special.push(['mx.null_mx']);
  return fc.oneof(
    checkArb(id, 1000),
    fc.constantFrom(...special).map((codes) => {
      const findings = codes.map((code) => mkFinding(code, FINDINGS[code].severity));
      return { id, status: statusOf(findings), summary: id, evidence: {}, findings };
    }),
    checkArb(id, 1),
  );
}

const edgeReportArb = fc.tuple(...CHECK_IDS.map(edgeCheckArb));
const BONUS = new Set(RUBRIC.controls.filter((c) => c.role === 'bonus').map((c) => c.id));

/** Nearly nothing graded: at most two required controls are tested, the bonus controls anyhow. */
const sparseReportArb = fc
  .tuple(fc.subarray([...CHECK_IDS], { maxLength: 2 }), edgeReportArb)
  .map(([live, checks]) =>
    checks.map((c) =>
      BONUS.has(c.id) || live.includes(c.id)
        ? c
        : { ...c, status: 'untested' as const, findings: [mkFinding('dns.lookup_failed', 'info')] },
    ),
  );

/** Mostly tested reports; some mostly untested; some built from the rubric's special states. */
const reportArb: fc.Arbitrary<CheckResult[]> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(...CHECK_IDS.map((id) => checkArb(id, 1))) },
  { weight: 1, arbitrary: fc.tuple(...CHECK_IDS.map((id) => checkArb(id, 16))) },
  { weight: 2, arbitrary: edgeReportArb },
  { weight: 2, arbitrary: sparseReportArb },
);

/** Add a finding with severity fail: an untested check stays untested; otherwise it becomes fail. */
function addFail(checks: CheckResult[], index: number, code: FindingCode): CheckResult[] {
  return checks.map((c, i) => {
    if (i !== index) return c;
    const findings = [...c.findings, mkFinding(code, 'fail')];
    return { ...c, findings, status: c.status === 'untested' ? 'untested' : statusOf(findings) };
  });
}

/** Remove the n-th fail finding (over the whole report), if any. */
function removeFail(checks: CheckResult[], n: number): CheckResult[] | undefined {
  const spots: [number, number][] = [];
  checks.forEach((c, i) => c.findings.forEach((f, j) => { if (f.severity === 'fail') spots.push([i, j]); }));
  if (spots.length === 0) return undefined;
  const [ci, fj] = spots[n % spots.length]!;
  return checks.map((c, i) => {
    if (i !== ci) return c;
    const findings = c.findings.filter((_, j) => j !== fj);
    return { ...c, findings, status: c.status === 'untested' ? 'untested' : statusOf(findings) };
  });
}

/** `after` is no better than `before`. */
function noBetter(before: CheckResult[], after: CheckResult[]): void {
  const a = grade(before);
  const b = grade(after);
  expect(b.score).toBeLessThanOrEqual(a.score);
  expect(compareGrades(b.grade, a.grade)).toBeGreaterThanOrEqual(0);
}

describe('grade: properties', () => {
  it('adding a fail finding to any check never raises the grade or the score', () => {
    const codes = fc.array(fc.constantFrom(...FINDING_CODES), { minLength: CHECK_IDS.length, maxLength: CHECK_IDS.length });
    fc.assert(
      fc.property(reportArb, codes, (checks, picked) => {
        // every check in turn, each with its own random code
        for (let i = 0; i < checks.length; i++) noBetter(checks, addFail(checks, i, picked[i]!));
      }),
      { numRuns: RUNS },
    );
  });

  it("adding a fail finding from the check's own family never raises the grade or the score", () => {
    fc.assert(
      fc.property(reportArb, fc.nat(), (checks, k) => {
        for (let i = 0; i < checks.length; i++) {
          const codes = codesFor(checks[i]!.id);
          noBetter(checks, addFail(checks, i, codes[(k + i) % codes.length]!));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('removing a fail finding never lowers the grade or the score', () => {
    fc.assert(
      fc.property(reportArb, (checks) => {
        const fails = checks.reduce((n, c) => n + c.findings.filter((x) => x.severity === 'fail').length, 0);
        fc.pre(fails > 0);
        // every fail finding in turn
        for (let n = 0; n < fails; n++) noBetter(removeFail(checks, n)!, checks);
      }),
      { numRuns: RUNS },
    );
  });

  it('adding several fail findings, one at a time, never raises anything along the way', () => {
    const step = fc.tuple(fc.nat(CHECK_IDS.length - 1), fc.constantFrom(...FINDING_CODES));
    fc.assert(
      fc.property(reportArb, fc.array(step, { minLength: 1, maxLength: 6 }), (checks, steps) => {
        let cur = checks;
        for (const [i, code] of steps) {
          const next = addFail(cur, i, code);
          noBetter(cur, next);
          cur = next;
        }
      }),
      { numRuns: RUNS / 4 },
    );
  });

  it('score is an integer in 0..100; score and letter agree; caps hold', () => {
    fc.assert(
      fc.property(reportArb, (checks) => {
        const r = grade(checks);
        expect(Number.isInteger(r.score)).toBe(true);
        expect(r.score).toBeGreaterThanOrEqual(0);
        expect(r.score).toBeLessThanOrEqual(100);
        expect(bandFor(r.score)).toBe(r.grade);
        for (const cap of r.breakdown.caps) {
          expect(r.score).toBeLessThanOrEqual(cap.maxScore);
          expect(compareGrades(r.grade, cap.grade)).toBeGreaterThanOrEqual(0);
        }
        if (!r.breakdown.graded) expect(r).toMatchObject({ grade: RUBRIC.ungraded.grade, score: RUBRIC.ungraded.score });
      }),
      { numRuns: RUNS },
    );
  });

  it('untested checks neither earn nor lose: their findings do not matter', () => {
    fc.assert(
      fc.property(reportArb, fc.nat(CHECK_IDS.length - 1), fc.array(findingArb('mx'), { maxLength: 3 }), (checks, i, extra) => {
        fc.pre(checks[i]!.status === 'untested');
        const changed = checks.map((c, j) => (j === i ? { ...c, findings: [...c.findings, ...extra] } : c));
        const a = grade(checks);
        const b = grade(changed);
        expect(b.score).toBe(a.score);
        expect(b.grade).toBe(a.grade);
      }),
      { numRuns: RUNS / 2 },
    );
  });

  it('DANE and BIMI absence never costs: dane.missing / bimi.missing score like untested', () => {
    fc.assert(
      fc.property(reportArb, fc.constantFrom<CheckId>('dane', 'bimi'), (checks, id) => {
        const code: FindingCode = id === 'dane' ? 'dane.missing' : 'bimi.missing';
        const missing = checks.map((c) =>
          c.id === id ? { ...c, status: 'info' as const, findings: [mkFinding(code, 'info')] } : c);
        const untested = checks.map((c) =>
          c.id === id ? { ...c, status: 'untested' as const, findings: [mkFinding('dns.lookup_failed', 'info')] } : c);
        const a = grade(missing);
        const b = grade(untested);
        expect(a.score).toBe(b.score);
        expect(a.grade).toBe(b.grade);
      }),
      { numRuns: RUNS / 2 },
    );
  });

  it('grade does not depend on the order of the checks', () => {
    fc.assert(
      fc.property(reportArb, fc.nat(), (checks, seed) => {
        const shuffled = [...checks].sort((a, b) => ((a.id.length * 31 + seed) % 7) - ((b.id.length * 31 + seed) % 7));
        const a = grade(checks);
        const b = grade(shuffled);
        expect(b.score).toBe(a.score);
        expect(b.grade).toBe(a.grade);
      }),
      { numRuns: RUNS / 4 },
    );
  });
});
