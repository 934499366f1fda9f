/**
 * The plan for a real check of a fixture domain: no DMARC, SPF "+all", no MTA-STS, no TLS-RPT,
 * unsigned, STARTTLS not probed (--no-smtp).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { checkDomain } from '../../src/checker/index.ts';
import { compareGrades } from '../../src/checker/grade.ts';
import { buildPlan, planSchema, renderPlanText, type PlanStep } from '../../src/checker/plan/index.ts';
import type { Report } from '../../src/checker/types.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';
import { bestScore } from './helpers.ts';

const DOMAIN = 'spoofy.example';

function resolver(): MemoryResolver {
  return new MemoryResolver({
    names: {
      [DOMAIN]: { MX: [[10, `mx1.${DOMAIN}`], [20, `mx2.${DOMAIN}`]], TXT: ['v=spf1 mx +all'] },
      [`mx1.${DOMAIN}`]: { A: ['192.0.2.10'] },
      [`mx2.${DOMAIN}`]: { A: ['192.0.2.11'] },
      '10.2.0.192.in-addr.arpa': { PTR: [`mx1.${DOMAIN}`] },
      '11.2.0.192.in-addr.arpa': { PTR: [`mx2.${DOMAIN}`] },
    },
  });
}

describe('plan for a checked domain without DMARC and with SPF +all', () => {
  let report: Report;
  let plan: PlanStep[];
  beforeAll(async () => {
    report = await checkDomain(DOMAIN, DOMAIN, { resolver: resolver(), options: { smtp: false } });
    plan = buildPlan(report);
  });

  it('starts from a failing grade and has a bounded, well-formed plan', () => {
    expect(report.grade).toBe('F');
    expect(plan.length).toBeGreaterThan(0);
    expect(plan.length).toBeLessThanOrEqual(8);
    expect(planSchema.safeParse(plan).success).toBe(true);
    expect(plan.map((s) => s.step)).toEqual(plan.map((_, i) => i + 1));
  });

  it('starts with the anti-spoofing fixes, using the check\'s own records', () => {
    const first = plan.slice(0, 2);
    expect(first.map((s) => s.check).sort()).toEqual(['dmarc', 'spf']);
    const spf = first.find((s) => s.check === 'spf')!;
    expect(spf.codes).toContain('spf.pass_all');
    expect(spf.action).toContain('v=spf1 mx -all');
    const dmarc = first.find((s) => s.check === 'dmarc')!;
    expect(dmarc.codes).toEqual(['dmarc.missing']);
    expect(dmarc.action).toBe(`_dmarc.${DOMAIN} TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@${DOMAIN}"`);
    // both caps lifted: the grade is out of F after the second step
    expect(compareGrades(first[1]!.gradeAfter, 'F')).toBeLessThan(0);
  });

  it('never lowers the grade from one step to the next', () => {
    let prev = report.score;
    let prevGrade = report.grade;
    for (const s of plan) {
      expect(s.scoreAfter).toBeGreaterThanOrEqual(prev);
      expect(compareGrades(s.gradeAfter, prevGrade)).toBeLessThanOrEqual(0);
      prev = s.scoreAfter;
      prevGrade = s.gradeAfter;
    }
  });

  it('reaches the best grade the tested controls allow', () => {
    const best = bestScore(report.checks);
    const last = plan.at(-1)!;
    expect(last.gradeAfter).toBe(best.grade);
    expect(last.scoreAfter).toBe(best.score);
  });

  it('stages DMARC: monitoring first, quarantine after the reports', () => {
    const none = plan.findIndex((s) => s.codes.includes('dmarc.missing'));
    const quarantine = plan.findIndex((s) => s.codes.includes('dmarc.policy_none'));
    expect(none).toBeGreaterThanOrEqual(0);
    expect(quarantine).toBeGreaterThan(none);
    const q = plan[quarantine]!;
    expect(q.action).toBe(`_dmarc.${DOMAIN} TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@${DOMAIN}"`);
    expect(q.waitFor).toMatch(/DMARC aggregate reports/);
    expect(q.waitFor).toContain(`dmarc-reports@${DOMAIN}`);
  });

  it('stages MTA-STS: testing from the real MX set, enforce after TLS-RPT is in place', () => {
    const tlsRpt = plan.findIndex((s) => s.codes.includes('tls_rpt.missing'));
    const testing = plan.findIndex((s) => s.codes.includes('mta_sts.missing'));
    const enforce = plan.findIndex((s) => s.codes.includes('mta_sts.mode_testing'));
    expect(tlsRpt).toBeGreaterThanOrEqual(0);
    expect(testing).toBeGreaterThanOrEqual(0);
    expect(enforce).toBeGreaterThan(testing);
    expect(enforce).toBeGreaterThan(tlsRpt);
    expect(plan[testing]!.action).toContain('mode: testing');
    expect(plan[testing]!.action).toContain(`mx: *.${DOMAIN}`);
    expect(plan[testing]!.action).toContain(`_mta-sts.${DOMAIN}. TXT "v=STSv1; id=`);
    const e = plan[enforce]!;
    expect(e.action).toContain('mode: enforce');
    expect(e.action).toContain(`mx: *.${DOMAIN}`);
    expect(e.waitFor).toMatch(/^TLS-RPT reports .*show no failures/);
    expect(e.waitFor).toContain(`tls-reports@${DOMAIN}`);
  });

  it('never refers to a check that could not be tested, nor to lookup failures', () => {
    const untestedIds = report.checks.filter((c) => c.status === 'untested').map((c) => c.id);
    expect(untestedIds).toContain('starttls');
    for (const s of plan) {
      expect(untestedIds).not.toContain(s.check);
      expect(s.codes).not.toContain('dns.lookup_failed');
      for (const code of s.codes) expect(untestedIds).not.toContain(code.split('.')[0]);
    }
  });

  it('is the same plan for the same report', () => {
    expect(buildPlan(report)).toEqual(plan);
  });

  it('renders as numbered text with the grade after each step', () => {
    const text = renderPlanText(plan);
    expect(text).toMatch(/^1\. .* → grade [A-F] \(score \d+\)$/m);
    expect(text).toContain(`       _dmarc.${DOMAIN} TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@${DOMAIN}"`);
    expect(text).toMatch(/First wait for two weeks of DMARC aggregate reports/);
    expect(text.split('\n').filter((l) => /^\d+\. /.test(l))).toHaveLength(plan.length);
  });
});
