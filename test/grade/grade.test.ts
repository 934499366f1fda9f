import { describe, expect, it } from 'vitest';
import { FINDINGS, type FindingCode } from '../../src/checker/findings.ts';
import {
  RUBRIC, bandFor, compareGrades, grade, gradeBelow, gradeReasons, rubricText, worseGrade,
} from '../../src/checker/grade.ts';
import { CHECK_IDS, type CheckId, type CheckResult } from '../../src/checker/types.ts';
import { check, f, report, untestedCheck } from './helpers.ts';

/** A well-run domain that skipped MTA-STS, TLS-RPT and DNSSEC (typical hosted mail). */
function typical(overrides: Partial<Record<CheckId, CheckResult>> = {}): CheckResult[] {
  return report({
    spf: check('spf', 'spf.softfail_all'),
    mx: check('mx', 'mx.no_ipv6'),
    mta_sts: check('mta_sts', 'mta_sts.missing'),
    tls_rpt: check('tls_rpt', 'tls_rpt.missing'),
    dnssec: check('dnssec', 'dnssec.unsigned'),
    dane: check('dane', 'dane.missing'),
    bimi: check('bimi', 'bimi.missing'),
    ...overrides,
  });
}

function parked(overrides: Partial<Record<CheckId, CheckResult>> = {}): CheckResult[] {
  return report({
    mx: check('mx', 'mx.null_mx'),
    spf: check('spf'), // v=spf1 -all
    dmarc: check('dmarc'), // p=reject
    dkim: check('dkim', 'dkim.not_found', 'dkim.domainkey_nxdomain'),
    mta_sts: check('mta_sts', 'mta_sts.missing'),
    tls_rpt: check('tls_rpt', 'tls_rpt.missing'),
    starttls: check('starttls', 'starttls.not_offered'),
    dnssec: check('dnssec', 'dnssec.mx_zone_unsigned'),
    dane: check('dane', 'dane.missing'),
    bimi: check('bimi', 'bimi.missing'),
    ...overrides,
  });
}

const permerrors: FindingCode[] = [
  'spf.syntax_error', 'spf.multiple_records', 'spf.too_many_lookups', 'spf.unknown_mechanism',
  'spf.invalid_ip_or_cidr', 'spf.loop', 'spf.include_target_no_spf', 'spf.redirect_target_no_spf',
  'spf.too_many_void_lookups',
];

describe('grade: examples', () => {
  it('a perfect domain gets A with 100', () => {
    const r = grade(report());
    expect(r).toMatchObject({ grade: 'A', score: 100 });
    expect(r.breakdown).toMatchObject({ graded: true, earned: 100, possible: 100, bonus: 7, rawScore: 100, caps: [] });
  });

  it('a typical hosted domain without MTA-STS, TLS-RPT, DNSSEC gets B (88)', () => {
    const r = grade(typical());
    expect(r.breakdown.earned).toBe(87.5);
    expect(r).toMatchObject({ grade: 'B', score: 88 });
  });

  it('no DMARC caps at F even when everything else is perfect', () => {
    const r = grade(report({ dmarc: check('dmarc', 'dmarc.missing') }));
    expect(r.breakdown.rawScore).toBe(75 + 7);
    expect(r.breakdown.band).toBe('B');
    expect(r).toMatchObject({ grade: 'F', score: 59 });
    expect(r.breakdown.caps).toEqual([expect.objectContaining({ code: 'dmarc.missing', check: 'dmarc', grade: 'F' })]);
  });

  it('several DMARC records count as none', () => {
    expect(grade(report({ dmarc: check('dmarc', 'dmarc.multiple_records') })).grade).toBe('F');
  });

  it('SPF +all caps at F', () => {
    const r = grade(report({ spf: check('spf', 'spf.pass_all') }));
    expect(r).toMatchObject({ grade: 'F', score: 59 });
  });

  it.each(permerrors)('SPF permerror %s caps at D', (code) => {
    const r = grade(report({ spf: check('spf', code) }));
    expect(r).toMatchObject({ grade: 'D', score: 69 });
  });

  it('a cap only lowers: a domain already below the cap keeps its own band', () => {
    const r = grade(report({
      spf: check('spf', 'spf.too_many_lookups'),
      dkim: check('dkim', 'dkim.key_too_short'),
      mta_sts: check('mta_sts', 'mta_sts.policy_invalid'),
      starttls: check('starttls', 'starttls.handshake_failed'),
      dane: check('dane', 'dane.missing'),
      bimi: check('bimi', 'bimi.missing'),
    }));
    // earned 25 + 10 + 10 + 5 = 50 of 100
    expect(r).toMatchObject({ grade: 'F', score: 50 });
  });

  it('DMARC p=none caps at C', () => {
    const r = grade(report({ dmarc: check('dmarc', 'dmarc.policy_none') }));
    expect(r.breakdown.rawScore).toBe(95); // 87.5 + 7 bonus, rounded
    expect(r).toMatchObject({ grade: 'C', score: 79 });
  });

  it('the tightest cap wins', () => {
    const r = grade(report({
      dmarc: check('dmarc', 'dmarc.policy_none'),
      spf: check('spf', 'spf.too_many_lookups'),
    }));
    expect(r.grade).toBe('D');
    expect(r.breakdown.caps.map((c) => c.grade)).toEqual(['D', 'C']);
  });

  it('a domain that does not exist gets F with 0', () => {
    const checks = CHECK_IDS.map((id) => (id === 'mx' ? check('mx', 'dns.nxdomain') : untestedCheck(id)));
    expect(grade(checks)).toMatchObject({ grade: 'F', score: 0 });
    expect(grade(report({ mx: check('mx', 'dns.nxdomain') }))).toMatchObject({ grade: 'F', score: 0 });
  });

  it('everything untested is not graded: F with 0', () => {
    const r = grade(CHECK_IDS.map(untestedCheck));
    expect(r).toMatchObject({ grade: 'F', score: 0 });
    expect(r.breakdown.graded).toBe(false);
    expect(r.breakdown.controls.every((c) => c.outcome === 'untested')).toBe(true);
  });

  it('an empty check list is not graded', () => {
    expect(grade([])).toMatchObject({ grade: 'F', score: 0, breakdown: { graded: false } });
  });

  it('untested checks neither earn nor lose points', () => {
    // --no-smtp: STARTTLS and DANE untested
    const r = grade(typical({ starttls: untestedCheck('starttls'), dane: untestedCheck('dane') }));
    expect(r.breakdown.possible).toBe(90);
    expect(r.breakdown.earned).toBe(77.5);
    expect(r.score).toBe(86);
    // a check missing from the list is the same as untested
    const missing = typical().filter((c) => c.id !== 'starttls' && c.id !== 'dane');
    expect(grade(missing).score).toBe(86);
  });

  it('findings of an untested check do not trigger caps', () => {
    const dmarc: CheckResult = { ...untestedCheck('dmarc'), findings: [f('dns.lookup_failed'), f('dmarc.missing')] };
    expect(grade(report({ dmarc })).grade).toBe('A');
  });

  it('the null-MX parked domain gets A', () => {
    const r = grade(parked());
    expect(r).toMatchObject({ grade: 'A', score: 100 });
    expect(r.breakdown.nullMx).toBe(true);
    const outcome = Object.fromEntries(r.breakdown.controls.map((c) => [c.id, c.outcome]));
    expect(outcome).toMatchObject({
      mta_sts: 'not_applicable', tls_rpt: 'not_applicable', starttls: 'not_applicable', dane: 'not_applicable',
      dkim: 'neutral', bimi: 'neutral', mx: 'scored', spf: 'scored', dmarc: 'scored', dnssec: 'scored',
    });
    expect(r.breakdown.controls.find((c) => c.id === 'dnssec')?.ignoredFindings).toEqual(['dnssec.mx_zone_unsigned']);
  });

  it('a parked domain with an unsigned zone still gets A', () => {
    const r = grade(parked({ dnssec: check('dnssec', 'dnssec.unsigned', 'dnssec.mx_zone_unsigned') }));
    expect(r).toMatchObject({ grade: 'A', score: 92 }); // 60 of 65
  });

  it('a parked domain with starttls untested (nothing to probe) gets A', () => {
    expect(grade(parked({ starttls: untestedCheck('starttls') })).grade).toBe('A');
  });

  it('without a null MX the transport controls count', () => {
    const r = grade(parked({ mx: check('mx') }));
    expect(r.breakdown.nullMx).toBe(false);
    expect(r.grade).not.toBe('A');
  });

  it('a null MX escalated to fail does not switch off the transport controls', () => {
    const r = grade(parked({ mx: check('mx', f('mx.null_mx', 'fail')) }));
    expect(r.breakdown.nullMx).toBe(false);
  });

  it('a parked domain still needs anti-spoofing: no DMARC caps it', () => {
    expect(grade(parked({ dmarc: check('dmarc', 'dmarc.missing') })).grade).toBe('F');
  });

  it('missing DANE and BIMI cost nothing', () => {
    const base = typical({ dane: untestedCheck('dane'), bimi: untestedCheck('bimi') });
    const withMissing = typical();
    expect(grade(withMissing).score).toBe(grade(base).score);
    expect(grade(report({ dane: check('dane', 'dane.missing'), bimi: check('bimi', 'bimi.missing') })))
      .toMatchObject({ grade: 'A', score: 100 });
  });

  it('DANE and BIMI add bonus points', () => {
    expect(grade(typical({ dane: check('dane') })).score).toBe(93); // 87.5 + 5
    expect(grade(typical({ dane: check('dane'), bimi: check('bimi') })).score).toBe(95); // 87.5 + 7
    expect(grade(typical({ dane: check('dane', 'dane.pkix_usage') })).score).toBe(90); // 87.5 + 2.5
  });

  it('a broken DANE record costs points', () => {
    expect(grade(typical({ dane: check('dane', 'dane.mismatch') })).score).toBe(78); // 87.5 - 10
    // a broken BIMI only earns nothing
    expect(grade(typical({ bimi: check('bimi', 'bimi.svg_invalid') })).score).toBe(88);
  });

  it('DKIM not found is neutral, a weak DKIM key is not', () => {
    const neutral = grade(typical({ dkim: check('dkim', 'dkim.not_found') }));
    expect(neutral.breakdown.possible).toBe(90);
    expect(neutral.score).toBe(86);
    expect(neutral.breakdown.controls.find((c) => c.id === 'dkim')?.outcome).toBe('neutral');
    expect(grade(typical({ dkim: check('dkim', 'dkim.key_1024') })).breakdown.earned).toBe(82.5);
    expect(grade(typical({ dkim: check('dkim', 'dkim.not_found', 'dkim.sha1_only') })).breakdown.earned).toBe(77.5);
  });

  it('MTA-STS mode none counts like no MTA-STS', () => {
    const none = grade(typical({ mta_sts: check('mta_sts', 'mta_sts.mode_none') }));
    expect(none.score).toBe(grade(typical()).score);
  });

  it('the score and the letter always agree', () => {
    for (const r of [report(), typical(), parked()].map(grade)) expect(bandFor(r.score)).toBe(r.grade);
  });

  it('is pure: the input is not modified', () => {
    const input = typical();
    const copy = structuredClone(input);
    grade(input);
    expect(input).toEqual(copy);
  });
});

describe('rubric data', () => {
  it('has each check id exactly once', () => {
    expect(RUBRIC.controls.map((c) => c.id).sort()).toEqual([...CHECK_IDS].sort());
  });

  it('required weights add up to 100; DANE and BIMI are the bonuses', () => {
    const required = RUBRIC.controls.filter((c) => c.role === 'required');
    expect(required.reduce((s, c) => s + c.weight, 0)).toBe(100);
    expect(RUBRIC.controls.filter((c) => c.role === 'bonus').map((c) => c.id).sort()).toEqual(['bimi', 'dane']);
  });

  it('status points fall with severity', () => {
    const p = RUBRIC.statusPoints;
    expect(p.pass).toBeGreaterThanOrEqual(p.info);
    expect(p.info).toBeGreaterThanOrEqual(p.warn);
    expect(p.warn).toBeGreaterThanOrEqual(p.fail);
    expect(p.fail).toBe(0);
  });

  it('bands run best first and start at 0', () => {
    expect(RUBRIC.bands.map((b) => b.grade)).toEqual(['A', 'B', 'C', 'D', 'F']);
    const mins = RUBRIC.bands.map((b) => b.minScore);
    expect(mins).toEqual([...mins].sort((a, b) => b - a));
    expect(mins.at(-1)).toBe(0);
  });

  it("each cap's score limit lies in its grade's band", () => {
    for (const cap of RUBRIC.caps) expect(bandFor(cap.maxScore)).toBe(cap.grade);
  });

  it('cap and neutral codes are catalog codes; neutral codes are never fail by default', () => {
    for (const cap of RUBRIC.caps) for (const code of cap.codes) expect(Object.hasOwn(FINDINGS, code)).toBe(true);
    for (const c of RUBRIC.controls) {
      for (const code of c.neutralCodes) {
        expect(code.startsWith(`${c.id}.`)).toBe(true);
        expect(FINDINGS[code].severity).not.toBe('fail');
      }
    }
  });

  it('has the caps the contract asks for', () => {
    const capOf = (code: FindingCode) => RUBRIC.caps.filter((c) => c.codes.includes(code)).map((c) => c.grade);
    expect(capOf('dns.nxdomain')).toEqual(['F']);
    expect(capOf('dmarc.missing')).toEqual(['F']);
    expect(capOf('spf.pass_all')).toEqual(['F']);
    expect(capOf('dmarc.policy_none')).toEqual(['C']);
    for (const code of permerrors) expect(capOf(code)).toEqual(['D']);
  });
});

describe('grade helpers', () => {
  it('orders grades', () => {
    expect(worseGrade('A', 'C')).toBe('C');
    expect(worseGrade('F', 'B')).toBe('F');
    expect(compareGrades('A', 'B')).toBeLessThan(0);
    expect(gradeBelow('C', 'B')).toBe(true);
    expect(gradeBelow('B', 'B')).toBe(false);
    expect(bandFor(90)).toBe('A');
    expect(bandFor(89)).toBe('B');
    expect(bandFor(59)).toBe('F');
  });
});

describe('rubricText', () => {
  const text = rubricText();
  it('names every control with its weight', () => {
    for (const c of RUBRIC.controls) {
      expect(text).toContain(c.name);
      if (c.role === 'required') expect(text).toMatch(new RegExp(`${c.name}\\s+${c.weight}\\s`));
      else expect(text).toContain(`+${c.weight} when it passes`);
    }
  });
  it('lists every cap code and reference, and the bands', () => {
    for (const cap of RUBRIC.caps) {
      expect(text).toContain(`at most ${cap.grade} (score ≤ ${cap.maxScore})`);
      for (const code of cap.codes) expect(text).toContain(code);
      expect(text).toContain(cap.ref);
    }
    expect(text).toContain('A 90–100, B 80–89, C 70–79, D 60–69, F 0–59');
  });
  it('is plain text', () => {
    expect(text).not.toMatch(/[*`|#]/);
  });
});

describe('gradeReasons', () => {
  it('explains points, caps and what was left out', () => {
    const r = grade(report({
      dmarc: check('dmarc', 'dmarc.missing'),
      starttls: untestedCheck('starttls'),
      dkim: check('dkim', 'dkim.not_found'),
    }));
    const lines = gradeReasons(r);
    expect(lines[0]).toBe('Points: 55 of 80 (C on points alone, score 76).');
    expect(lines).toContain('Bonus: +7 (DANE, BIMI).');
    expect(lines).toContain('Capped at F: no usable DMARC policy (dmarc.missing, RFC 7489 §6.6.3).');
    expect(lines).toContain('Not counted, could not be tested: STARTTLS.');
    expect(lines).toContain('Neutral (not deployed or not found; costs nothing): DKIM.');
  });
  it('says when nothing was graded', () => {
    expect(gradeReasons(grade(CHECK_IDS.map(untestedCheck)))[0]).toMatch(/^Not graded/);
  });
  it('names the null-MX exemptions', () => {
    const r = grade(report({ mx: check('mx', 'mx.null_mx') }));
    expect(gradeReasons(r)).toContain('Not applicable (null MX: the domain receives no mail): MTA-STS, STARTTLS, TLS-RPT, DANE.');
  });
});
