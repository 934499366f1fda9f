/**
 * The published grade rubric (CONTRACTS §2, `posture explain grade`).
 *
 * `grade()` is a pure function of the checks' ids, statuses and findings (codes and
 * severities). Everything it uses is in `RUBRIC`, which is also what `rubricText()` (the
 * CLI/bot explanation) and `rubricMarkdown()` (the generated part of docs/grading.md) render,
 * so the code, the explanation and the document cannot drift apart.
 *
 * Monotone by construction: adding a finding of severity `fail` to a check never raises the
 * score or the grade, removing one never lowers them, because
 *  - a control's points are the *minimum* over its findings' points, and a `fail` finding is
 *    worth 0;
 *  - a control leaves the score only when it is untested, not applicable (null MX, decided by a
 *    non-`fail` `mx.null_mx` finding) or neutral (all its findings are non-`fail` neutral
 *    codes) — none of which a `fail` finding can bring about; a control that enters the score
 *    because of a `fail` finding enters with 0 points, which cannot raise earned/possible;
 *  - bonus points fall with the bonus control's points, and a failing bonus control is worth
 *    less than an absent one;
 *  - caps are triggered by the presence of finding codes, so more findings only tighten them.
 */
import type { FindingCode } from './findings.ts';
import type { CheckId, CheckResult, CheckStatus, Finding, Grade, Severity } from './types.ts';

// ---------------------------------------------------------------------------------------------
// Rubric data
// ---------------------------------------------------------------------------------------------

export const RUBRIC_VERSION = 1;

/** Best first. */
export const GRADES = ['A', 'B', 'C', 'D', 'F'] as const satisfies readonly Grade[];

export type ControlRole = 'required' | 'bonus';

export interface RubricControl {
  id: CheckId;
  /** the name a domain owner knows it by */
  name: string;
  /** `required` controls make up the 100 possible points; `bonus` controls only add (or, when they fail, take away) points */
  role: ControlRole;
  /** required: the points it is worth; bonus: the points it adds at full marks */
  weight: number;
  /** bonus only: points taken away when the control fails (0: a failure merely earns no bonus) */
  failPenalty: number;
  /**
   * Findings that mean "not deployed, or we could not tell" rather than "wrong". A tested check
   * whose findings are all among these (none of them escalated to `fail`) is neutral: it
   * neither earns nor loses points.
   */
  neutralCodes: readonly FindingCode[];
  /** one line: what the control protects */
  why: string;
}

export interface RubricCap {
  /** the best grade a domain with one of `codes` can get */
  grade: Grade;
  /** the score is lowered to this, so that score and letter agree */
  maxScore: number;
  codes: readonly FindingCode[];
  /** short name of the problem */
  title: string;
  /** why it caps the grade, in plain English */
  reason: string;
  ref: string;
}

export interface RubricBand {
  grade: Grade;
  /** lowest score (0..100, after rounding) that earns this letter */
  minScore: number;
}

export interface Rubric {
  version: number;
  controls: readonly RubricControl[];
  /** fraction of a control's weight earned per worst-finding severity */
  statusPoints: Readonly<Record<'pass' | Severity, number>>;
  /** findings worth less than their severity suggests (never more: a control's points are the minimum over its findings) */
  findingPoints: Readonly<Partial<Record<FindingCode, number>>>;
  /** a parked domain: a null MX switches off the inbound-transport controls */
  nullMx: {
    /** the finding (on the mx check, not escalated to `fail`) that says the domain accepts no mail */
    trigger: FindingCode;
    notApplicable: readonly CheckId[];
    ignoredFindings: readonly FindingCode[];
  };
  caps: readonly RubricCap[];
  /** best first */
  bands: readonly RubricBand[];
  /** when no required control could be tested there is nothing to grade */
  ungraded: { grade: Grade; score: number };
}

export const RUBRIC: Rubric = {
  version: RUBRIC_VERSION,
  controls: [
    {
      id: 'dmarc', name: 'DMARC', role: 'required', weight: 25, failPenalty: 0, neutralCodes: [],
      why: 'Tells receivers what to do with mail that forges your domain in the From: line.',
    },
    {
      id: 'spf', name: 'SPF', role: 'required', weight: 20, failPenalty: 0, neutralCodes: [],
      why: 'Lists the servers allowed to send mail for your domain.',
    },
    {
      id: 'dkim', name: 'DKIM', role: 'required', weight: 10, failPenalty: 0,
      neutralCodes: ['dkim.not_found', 'dkim.domainkey_nxdomain'],
      why: 'Signs your mail so receivers can tell it was not altered or forged; keys can only be found by guessing selectors, so "not found" is neutral.',
    },
    {
      id: 'mx', name: 'MX', role: 'required', weight: 10, failPenalty: 0, neutralCodes: [],
      why: 'Names the servers that receive your mail (or, with a null MX, says the domain receives none).',
    },
    {
      id: 'mta_sts', name: 'MTA-STS', role: 'required', weight: 10, failPenalty: 0, neutralCodes: [],
      why: 'Makes senders insist on authenticated TLS when they deliver to you.',
    },
    {
      id: 'starttls', name: 'STARTTLS', role: 'required', weight: 10, failPenalty: 0, neutralCodes: [],
      why: 'Encrypts mail in transit to your MX hosts.',
    },
    {
      id: 'dnssec', name: 'DNSSEC', role: 'required', weight: 10, failPenalty: 0, neutralCodes: [],
      why: 'Protects your DNS records (and so every other control) from forgery.',
    },
    {
      id: 'tls_rpt', name: 'TLS-RPT', role: 'required', weight: 5, failPenalty: 0, neutralCodes: [],
      why: 'Has senders report TLS delivery failures to you.',
    },
    {
      id: 'dane', name: 'DANE', role: 'bonus', weight: 5, failPenalty: 10, neutralCodes: ['dane.missing'],
      why: 'Pins your MX certificates in DNSSEC-signed DNS; a broken DANE record makes validating senders refuse to deliver.',
    },
    {
      id: 'bimi', name: 'BIMI', role: 'bonus', weight: 2, failPenalty: 0, neutralCodes: ['bimi.missing'],
      why: 'Shows your logo next to authenticated mail; branding, not security.',
    },
  ],
  statusPoints: { pass: 1, info: 1, warn: 0.5, fail: 0 },
  findingPoints: {
    // mode none withdraws the policy: no better than having none (mta_sts.missing, a warning)
    'mta_sts.mode_none': 0.5,
  },
  nullMx: {
    trigger: 'mx.null_mx',
    notApplicable: ['mta_sts', 'tls_rpt', 'starttls', 'dane'],
    ignoredFindings: ['dnssec.mx_zone_unsigned'],
  },
  caps: [
    {
      grade: 'F', maxScore: 0, codes: ['dns.nxdomain'], title: 'the domain does not exist',
      reason: 'There is nothing to protect and nothing to check: the name does not exist in DNS.',
      ref: 'RFC 8020 §2',
    },
    {
      grade: 'F', maxScore: 59, codes: ['dmarc.missing', 'dmarc.multiple_records'], title: 'no usable DMARC policy',
      reason: 'Without exactly one DMARC record receivers apply no policy, so anyone can put your domain in the From: line. Several records count as none.',
      ref: 'RFC 7489 §6.6.3',
    },
    {
      grade: 'F', maxScore: 59, codes: ['spf.pass_all'], title: 'SPF authorises the whole internet (+all)',
      reason: 'Every server on the internet passes SPF for your domain, and that pass is aligned for DMARC, so a forger passes DMARC too.',
      ref: 'RFC 7208 §5.1; RFC 7489 §3.1.2',
    },
    {
      grade: 'D', maxScore: 69,
      codes: [
        'spf.missing', 'spf.syntax_error', 'spf.multiple_records', 'spf.too_many_lookups',
        'spf.unknown_mechanism', 'spf.invalid_ip_or_cidr', 'spf.loop', 'spf.include_target_no_spf',
        'spf.redirect_target_no_spf', 'spf.too_many_void_lookups', 'spf.mx_too_many_hosts',
      ],
      title: 'SPF gives no usable result (missing or permerror)',
      reason: 'Receivers get "none" or "permerror" from SPF: SPF can never pass, DMARC must rely on DKIM alone, and some receivers reject the mail outright.',
      ref: 'RFC 7208 §2.6.7; §4.6.4; RFC 7489 §6.6.2',
    },
    {
      grade: 'D', maxScore: 69,
      codes: ['dmarc.syntax_error', 'dmarc.invalid_tag_value', 'dmarc.duplicate_tag'],
      title: 'DMARC record is malformed',
      reason: 'Receivers may discard a malformed DMARC record, or act on only part of it, so the policy you meant is not reliably applied.',
      ref: 'RFC 7489 §6.3; §6.6.3',
    },
    {
      grade: 'C', maxScore: 79, codes: ['dmarc.policy_none'], title: 'DMARC policy is none (monitoring only)',
      reason: 'p=none asks receivers to deliver forged mail as usual. It is the right first step (you get reports), but it does not yet protect anyone.',
      ref: 'RFC 7489 §6.3',
    },
  ],
  bands: [
    { grade: 'A', minScore: 90 },
    { grade: 'B', minScore: 80 },
    { grade: 'C', minScore: 70 },
    { grade: 'D', minScore: 60 },
    { grade: 'F', minScore: 0 },
  ],
  ungraded: { grade: 'F', score: 0 },
};

// ---------------------------------------------------------------------------------------------
// Grading
// ---------------------------------------------------------------------------------------------

export type ControlOutcome =
  /** earned points (required) or bonus points (bonus) */
  | 'scored'
  /** untested or absent from the report: neither earns nor loses */
  | 'untested'
  /** the domain has a null MX and this inbound-transport control does not apply */
  | 'not_applicable'
  /** only neutral findings (e.g. DKIM selectors not found, no DANE, no BIMI) */
  | 'neutral';

export interface ControlScore {
  id: CheckId;
  role: ControlRole;
  weight: number;
  /** the check's reported status (`untested` when the report lacks the check) */
  status: CheckStatus;
  outcome: ControlOutcome;
  /** fraction of the weight earned, 0..1 (scored controls; 0 otherwise) */
  fraction: number;
  /** required: points earned; bonus: points added (negative when a failure costs points) */
  earned: number;
  /** required and scored: the weight; otherwise 0 */
  possible: number;
  /** findings the rubric set aside (null MX) */
  ignoredFindings: FindingCode[];
}

export interface CapHit {
  grade: Grade;
  maxScore: number;
  code: FindingCode;
  check: CheckId;
  title: string;
  ref: string;
}

export interface GradeBreakdown {
  rubricVersion: number;
  /** false when no required control could be tested: the grade is `RUBRIC.ungraded` */
  graded: boolean;
  /** the mx check carries a null MX: inbound-transport controls do not apply */
  nullMx: boolean;
  controls: ControlScore[];
  /** sum over required scored controls */
  earned: number;
  possible: number;
  /** sum over bonus controls */
  bonus: number;
  /** round(100 × earned / possible + bonus), clamped to 0..100, before caps (0 when nothing earned) */
  rawScore: number;
  /** the letter the raw score alone would get */
  band: Grade;
  /** every cap triggered, tightest first */
  caps: CapHit[];
}

export interface GradeResult {
  grade: Grade;
  score: number;
  breakdown: GradeBreakdown;
}

const GRADE_RANK: Record<Grade, number> = { A: 0, B: 1, C: 2, D: 3, F: 4 };

/** The worse of two grades. */
export function worseGrade(a: Grade, b: Grade): Grade {
  return GRADE_RANK[a] >= GRADE_RANK[b] ? a : b;
}

/** Negative when `a` is better than `b`, 0 when equal, positive when worse (sorts best first). */
export function compareGrades(a: Grade, b: Grade): number {
  return GRADE_RANK[a] - GRADE_RANK[b];
}

/** `--fail-under`: true when `g` is strictly worse than `threshold`. */
export function gradeBelow(g: Grade, threshold: Grade): boolean {
  return GRADE_RANK[g] > GRADE_RANK[threshold];
}

export function isGrade(s: string): s is Grade {
  return Object.hasOwn(GRADE_RANK, s);
}

/** The letter for a score (0..100) by the rubric's bands. */
export function bandFor(score: number, rubric: Rubric = RUBRIC): Grade {
  for (const b of rubric.bands) if (score >= b.minScore) return b.grade;
  return 'F';
}

function findingFraction(f: Finding, rubric: Rubric): number {
  if (f.severity === 'fail') return rubric.statusPoints.fail;
  const bySeverity = rubric.statusPoints[f.severity];
  const byCode = rubric.findingPoints[f.code];
  return byCode === undefined ? bySeverity : Math.min(byCode, bySeverity);
}

function statusFraction(status: CheckStatus, rubric: Rubric): number {
  return status === 'untested' ? 1 : rubric.statusPoints[status];
}

function isNullMx(mx: CheckResult | undefined, rubric: Rubric): boolean {
  return (
    mx !== undefined &&
    mx.status !== 'untested' &&
    mx.findings.some((f) => f.code === rubric.nullMx.trigger && f.severity !== 'fail')
  );
}

/** Grade a report's checks by the published rubric. Pure; the first check of each id counts. */
export function grade(checks: readonly CheckResult[]): GradeResult {
  return gradeBy(RUBRIC, checks);
}

/** Grade by a given rubric (tests, what-ifs). */
export function gradeBy(rubric: Rubric, checks: readonly CheckResult[]): GradeResult {
  const byId = new Map<CheckId, CheckResult>();
  for (const c of checks) if (!byId.has(c.id)) byId.set(c.id, c);

  const nullMx = isNullMx(byId.get('mx'), rubric);
  const controls: ControlScore[] = [];
  let earned = 0;
  let possible = 0;
  let bonus = 0;

  for (const control of rubric.controls) {
    const check = byId.get(control.id);
    const base: ControlScore = {
      id: control.id,
      role: control.role,
      weight: control.weight,
      status: check?.status ?? 'untested',
      outcome: 'untested',
      fraction: 0,
      earned: 0,
      possible: 0,
      ignoredFindings: [],
    };
    if (check === undefined || check.status === 'untested') {
      controls.push(base);
      continue;
    }
    if (nullMx && rubric.nullMx.notApplicable.includes(control.id)) {
      controls.push({ ...base, outcome: 'not_applicable' });
      continue;
    }
    const considered: Finding[] = [];
    for (const f of check.findings) {
      if (nullMx && rubric.nullMx.ignoredFindings.includes(f.code)) base.ignoredFindings.push(f.code);
      else considered.push(f);
    }
    if (
      considered.length > 0 &&
      considered.every((f) => f.severity !== 'fail' && control.neutralCodes.includes(f.code))
    ) {
      controls.push({ ...base, outcome: 'neutral' });
      continue;
    }
    // A control's points are the minimum over its findings; a check reported without findings
    // is taken at its status (which by contract is then `pass`).
    let fraction = check.findings.length === 0 ? statusFraction(check.status, rubric) : 1;
    for (const f of considered) fraction = Math.min(fraction, findingFraction(f, rubric));

    if (control.role === 'required') {
      const e = control.weight * fraction;
      earned += e;
      possible += control.weight;
      controls.push({ ...base, outcome: 'scored', fraction, earned: e, possible: control.weight });
    } else {
      const b = fraction > 0 ? control.weight * fraction : -control.failPenalty;
      bonus += b;
      controls.push({ ...base, outcome: 'scored', fraction, earned: b });
    }
  }

  const caps: CapHit[] = [];
  for (const c of checks) {
    if (byId.get(c.id) !== c || c.status === 'untested') continue;
    for (const f of c.findings) {
      for (const cap of rubric.caps) {
        if (!cap.codes.includes(f.code)) continue;
        if (caps.some((h) => h.code === f.code && h.check === c.id)) continue;
        caps.push({ grade: cap.grade, maxScore: cap.maxScore, code: f.code, check: c.id, title: cap.title, ref: cap.ref });
      }
    }
  }
  caps.sort((a, b) => a.maxScore - b.maxScore || compareGrades(b.grade, a.grade));

  const graded = possible > 0;
  // Bonus points are added to a non-zero base only, so they cannot lift a domain that earned
  // nothing (and so a control entering the score with 0 points never raises it).
  const rawScore =
    graded && earned > 0 ? Math.min(100, Math.max(0, Math.round((100 * earned) / possible + bonus))) : 0;
  const band = bandFor(rawScore, rubric);

  let score: number;
  let letter: Grade;
  if (!graded) {
    score = rubric.ungraded.score;
    letter = rubric.ungraded.grade;
  } else {
    score = rawScore;
    letter = band;
    for (const cap of caps) {
      score = Math.min(score, cap.maxScore);
      letter = worseGrade(letter, cap.grade);
    }
  }

  return {
    grade: letter,
    score,
    breakdown: { rubricVersion: rubric.version, graded, nullMx, controls, earned, possible, bonus, rawScore, band, caps },
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering (plain text for `posture explain grade`, Markdown for docs/grading.md)
// ---------------------------------------------------------------------------------------------

const pct = (x: number): string => `${Math.round(x * 100)}%`;
const num = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(1));

function bandRanges(rubric: Rubric): { grade: Grade; range: string }[] {
  return rubric.bands.map((b, i) => {
    const above = rubric.bands[i - 1];
    const top = above === undefined ? 100 : above.minScore - 1;
    return { grade: b.grade, range: `${b.minScore}–${top}` };
  });
}

function controlName(id: CheckId, rubric: Rubric): string {
  return rubric.controls.find((c) => c.id === id)?.name ?? id;
}

function bonusText(c: RubricControl, rubric: Rubric): string {
  const warn = c.weight * rubric.statusPoints.warn;
  const parts = [`+${num(c.weight)} when it passes`, `+${num(warn)} with warnings`];
  parts.push(c.failPenalty > 0 ? `−${num(c.failPenalty)} when it fails` : 'nothing when it fails');
  return parts.join(', ');
}

/** The rubric as plain text (what `posture explain grade` prints). */
export function rubricText(rubric: Rubric = RUBRIC): string {
  const required = rubric.controls.filter((c) => c.role === 'required');
  const bonuses = rubric.controls.filter((c) => c.role === 'bonus');
  const total = required.reduce((s, c) => s + c.weight, 0);
  const w = Math.max(...rubric.controls.map((c) => c.name.length));
  const sp = rubric.statusPoints;
  const lines: string[] = [];

  lines.push(`How Posture grades a domain (rubric v${rubric.version})`, '');
  lines.push(`1. Points. Each control is worth points (${total} in all):`);
  for (const c of required) lines.push(`   ${c.name.padEnd(w)}  ${String(c.weight).padStart(3)}  ${c.why}`);
  lines.push('   Bonus controls are never required; not having them costs nothing:');
  for (const c of bonuses) lines.push(`   ${c.name.padEnd(w)}  ${bonusText(c, rubric)}. ${c.why}`);
  lines.push('');
  lines.push(
    `2. Status. A control earns its points by its worst finding: pass ${pct(sp.pass)}, info ${pct(sp.info)}, warn ${pct(sp.warn)}, fail ${pct(sp.fail)}.`,
  );
  for (const [code, f] of Object.entries(rubric.findingPoints)) {
    lines.push(`   Exception: ${code} earns ${pct(f ?? 0)}.`);
  }
  for (const c of rubric.controls) {
    if (c.neutralCodes.length > 0) {
      lines.push(`   Neutral: ${c.name} with only ${c.neutralCodes.join(' / ')} neither earns nor loses points.`);
    }
  }
  lines.push(
    '   Untested: a check that could not be completed (timeout, SERVFAIL, port 25 blocked) is left out',
    '   of both the points earned and the points possible.',
  );
  lines.push(
    `   Null MX: when the mx check finds ${rubric.nullMx.trigger} (the domain accepts no mail),`,
    `   ${rubric.nullMx.notApplicable.map((id) => controlName(id, rubric)).join(', ')} do not apply and ${rubric.nullMx.ignoredFindings.join(', ')} is ignored.`,
  );
  lines.push('');
  lines.push(
    '3. Score = 100 × points earned / points possible, plus bonus points, rounded and kept within 0–100.',
    '   Bonus points only add to a score above zero.',
  );
  lines.push('');
  lines.push(
    `4. Letter: ${bandRanges(rubric).map((b) => `${b.grade} ${b.range}`).join(', ')}.`,
  );
  lines.push('');
  lines.push('5. Caps. Some problems limit the grade however many points the rest earns (the score is lowered to match):');
  for (const cap of rubric.caps) {
    lines.push(`   at most ${cap.grade} (score ≤ ${cap.maxScore}): ${cap.title} — ${cap.codes.join(', ')}`);
    lines.push(`      ${cap.reason} (${cap.ref})`);
  }
  lines.push('');
  lines.push(
    `6. Not graded. If no required control could be tested there is nothing to grade: the report shows`,
    `   grade ${rubric.ungraded.grade} with score ${rubric.ungraded.score} (so --fail-under fails closed) and says it is not graded.`,
  );
  lines.push('', 'Adding a failing finding never raises the grade or the score.');
  return lines.join('\n');
}

const esc = (s: string): string => s.replaceAll('|', '\\|');

/** The rubric's tables as Markdown: the generated block of docs/grading.md. */
export function rubricMarkdown(rubric: Rubric = RUBRIC): string {
  const required = rubric.controls.filter((c) => c.role === 'required');
  const bonuses = rubric.controls.filter((c) => c.role === 'bonus');
  const total = required.reduce((s, c) => s + c.weight, 0);
  const sp = rubric.statusPoints;
  const out: string[] = [];

  out.push(`### Weights (rubric v${rubric.version})`, '');
  out.push('| control | points | what it protects |', '|---|---:|---|');
  for (const c of required) out.push(`| ${c.name} (\`${c.id}\`) | ${c.weight} | ${esc(c.why)} |`);
  out.push(`| **total** | **${total}** | |`, '');

  out.push('### Bonus controls', '');
  out.push('| control | bonus | what it does |', '|---|---|---|');
  for (const c of bonuses) out.push(`| ${c.name} (\`${c.id}\`) | ${bonusText(c, rubric)} | ${esc(c.why)} |`);
  out.push('');

  out.push('### Points per status', '');
  out.push('| worst finding | share of the control\'s points |', '|---|---:|');
  out.push(`| none (pass) | ${pct(sp.pass)} |`, `| info | ${pct(sp.info)} |`, `| warn | ${pct(sp.warn)} |`, `| fail | ${pct(sp.fail)} |`);
  out.push('');
  const exceptions = Object.entries(rubric.findingPoints);
  if (exceptions.length > 0) {
    out.push('Exceptions (a finding worth less than its severity):', '');
    for (const [code, f] of exceptions) out.push(`- \`${code}\` earns ${pct(f ?? 0)}.`);
    out.push('');
  }
  out.push('Neutral findings (a control with only these neither earns nor loses points):', '');
  for (const c of rubric.controls) {
    if (c.neutralCodes.length > 0) out.push(`- ${c.name}: ${c.neutralCodes.map((x) => `\`${x}\``).join(', ')}`);
  }
  out.push('');
  out.push(
    `Null MX: when the mx check reports \`${rubric.nullMx.trigger}\`, these controls do not apply: ` +
      `${rubric.nullMx.notApplicable.map((id) => `${controlName(id, rubric)} (\`${id}\`)`).join(', ')}; ` +
      `and these findings are ignored: ${rubric.nullMx.ignoredFindings.map((x) => `\`${x}\``).join(', ')}.`,
  );
  out.push('');

  out.push('### Letter bands', '');
  out.push('| grade | score |', '|---|---|');
  for (const b of bandRanges(rubric)) out.push(`| ${b.grade} | ${b.range} |`);
  out.push('');

  out.push('### Caps', '');
  out.push('| at most | score at most | findings | why | reference |', '|---|---:|---|---|---|');
  for (const cap of rubric.caps) {
    out.push(
      `| ${cap.grade} | ${cap.maxScore} | ${cap.codes.map((x) => `\`${x}\``).join(', ')} | **${esc(cap.title)}.** ${esc(cap.reason)} | ${esc(cap.ref)} |`,
    );
  }
  out.push('');
  out.push(
    `Not graded: when no required control could be tested, the grade is ${rubric.ungraded.grade} and the score ${rubric.ungraded.score}.`,
  );
  return out.join('\n');
}

/**
 * Why a report got its grade, in plain English, one line each (for `explain grade for DOMAIN`
 * and the card's footer): the points, the bonus, the caps, what was left out.
 */
export function gradeReasons(result: GradeResult): string[] {
  const b = result.breakdown;
  const name = (id: CheckId): string => controlName(id, RUBRIC);
  const lines: string[] = [];
  if (!b.graded) {
    lines.push(
      `Not graded: no required control could be tested, so the report shows grade ${result.grade} with score ${result.score}.`,
    );
  } else {
    lines.push(`Points: ${num(b.earned)} of ${num(b.possible)} (${b.band} on points alone, score ${b.rawScore}).`);
    if (b.bonus !== 0) lines.push(`Bonus: ${b.bonus > 0 ? '+' : '−'}${num(Math.abs(b.bonus))} (DANE, BIMI).`);
    for (const cap of b.caps) {
      lines.push(`Capped at ${cap.grade}: ${cap.title} (${cap.code}, ${cap.ref}).`);
    }
  }
  const by = (o: ControlOutcome) => b.controls.filter((c) => c.outcome === o).map((c) => name(c.id));
  const untestedNames = by('untested');
  const na = by('not_applicable');
  const neutral = by('neutral');
  if (untestedNames.length > 0) lines.push(`Not counted, could not be tested: ${untestedNames.join(', ')}.`);
  if (na.length > 0) lines.push(`Not applicable (null MX: the domain receives no mail): ${na.join(', ')}.`);
  if (neutral.length > 0) lines.push(`Neutral (not deployed or not found; costs nothing): ${neutral.join(', ')}.`);
  return lines;
}
