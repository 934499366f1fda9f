import { describe, expect, it } from 'vitest';
import {
  actionId, buildCard, foldList, parseActionId, truncate,
} from '../../src/bot/card.ts';
import { finding, type FindingCode } from '../../src/checker/findings.ts';
import { grade } from '../../src/checker/grade.ts';
import { CHECK_IDS, type CheckId, type CheckResult, type Finding, type Report } from '../../src/checker/types.ts';

function check(id: CheckId, findings: Finding[] = [], status?: CheckResult['status']): CheckResult {
  const worst = findings.some((f) => f.severity === 'fail') ? 'fail'
    : findings.some((f) => f.severity === 'warn') ? 'warn'
    : findings.length ? 'info' : 'pass';
  return { id, status: status ?? worst, summary: `${id} summary`, evidence: {}, findings };
}

const fnd = (code: FindingCode, message = `message for ${code}`, fix = `fix for ${code}`): Finding => finding(code, message, fix);

/** A report with every check, passing unless overridden; grade and score from the rubric unless given. */
function report(overrides: Partial<Record<CheckId, CheckResult>> = {}, domain = 'example.com', fixed?: { grade: Report['grade']; score: number }): Report {
  const checks = CHECK_IDS.map((id) => overrides[id] ?? check(id));
  const g = fixed ?? grade(checks);
  return {
    schema: 'posture.report/v1', domain, input: domain, checkedAt: '2026-11-29T10:00:00.000Z', durationMs: 10,
    grade: g.grade, score: g.score, checks, plan: [],
  };
}

function allStrings(x: unknown, out: string[] = []): string[] {
  if (typeof x === 'string') out.push(x);
  else if (Array.isArray(x)) for (const v of x) allStrings(v, out);
  else if (x && typeof x === 'object') for (const v of Object.values(x)) allStrings(v, out);
  return out;
}

describe('buildCard', () => {
  it('names the domain and its grade as "grade X" in the headline and the text fallback', () => {
    const card = buildCard(report({}, 'example.com', { grade: 'B', score: 82 }));
    expect(card.headline).toBe('example.com: grade B (82/100)');
    expect(card.headline).toContain('grade B');
    expect(card.text.split('\n')[0]).toBe(card.headline);
    expect(card.title).toBe(card.headline);
    expect(card.grade).toBe('B');
    expect(card.score).toBe(82);
  });

  it('keeps "grade X" in a title shortened for a very long domain', () => {
    const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.example.com`;
    const card = buildCard(report({}, long, { grade: 'A', score: 97 }));
    expect(card.headline).toBe(`${long}: grade A (97/100)`);
    expect(card.title.length).toBeLessThanOrEqual(150);
    expect(card.title).toContain('grade A (97/100)');
    expect(card.title).toContain('…');
  });

  it('shows one line per check in the canonical order with display names and status tokens', () => {
    const r = report({ mta_sts: check('mta_sts', [fnd('mta_sts.mode_testing')]), starttls: check('starttls', [fnd('starttls.unreachable')], 'untested') });
    r.checks.reverse();
    const card = buildCard(r);
    expect(card.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    const sts = card.checks.find((c) => c.id === 'mta_sts');
    expect(sts).toMatchObject({ name: 'MTA-STS', status: 'warn', token: 'warning', summary: 'mta_sts summary' });
    expect(card.checks.find((c) => c.id === 'tls_rpt')?.name).toBe('TLS-RPT');
    expect(card.checks.find((c) => c.id === 'starttls')?.token).toBe('unknown');
    expect(card.checks.find((c) => c.id === 'spf')?.token).toBe('ok');
  });

  it('lists the worst findings first: fail before warn, info left out, untested checks left out', () => {
    const card = buildCard(report({
      spf: check('spf', [fnd('spf.lookups_near_limit')]),
      dkim: check('dkim', [fnd('dkim.key_revoked')]),
      dmarc: check('dmarc', [fnd('dmarc.missing')]),
      starttls: check('starttls', [fnd('starttls.not_offered')]),
      mta_sts: check('mta_sts', [fnd('dns.lookup_failed'), fnd('mta_sts.policy_cert_invalid')], 'untested'),
    }));
    expect(card.findings.map((f) => f.code)).toEqual(['dmarc.missing', 'starttls.not_offered', 'spf.lookups_near_limit']);
    expect(card.findings.map((f) => f.token)).toEqual(['problem', 'problem', 'warning']);
    expect(card.findings[0]).toMatchObject({
      check: 'dmarc', checkName: 'DMARC', severity: 'fail', message: 'message for dmarc.missing',
      fix: 'fix for dmarc.missing', ref: 'RFC 7489 §6.6.3', truncated: false,
    });
    expect(card.moreFindings).toBe(0);
    expect(card.moreFindingsText).toBeNull();
    expect(card.summary).toBe('2 problems, 1 warning; 1 check could not be run');
  });

  it('folds a long list of findings into "+N more"', () => {
    const card = buildCard(report({
      spf: check('spf', [fnd('spf.too_many_lookups'), fnd('spf.ptr_used'), fnd('spf.neutral_all')]),
      dmarc: check('dmarc', [fnd('dmarc.policy_none'), fnd('dmarc.no_rua')]),
      tls_rpt: check('tls_rpt', [fnd('tls_rpt.missing')]),
      dnssec: check('dnssec', [fnd('dnssec.unsigned')]),
      mx: check('mx', [fnd('mx.no_fcrdns')]),
    }));
    expect(card.findings).toHaveLength(5);
    expect(card.findings[0]?.code).toBe('spf.too_many_lookups');
    expect(card.moreFindings).toBe(3);
    expect(card.moreFindingsText).toBe('+3 more');
    expect(buildCard(report({ spf: check('spf', [fnd('spf.ptr_used'), fnd('spf.neutral_all')]) }), { maxFindings: 1 }).moreFindingsText).toBe('+1 more');
  });

  it('shortens long messages and fixes on a word boundary and says so', () => {
    const long = 'word '.repeat(200).trim();
    const card = buildCard(report({ spf: check('spf', [fnd('spf.ptr_used', long, long)]) }));
    const f = card.findings[0];
    expect(f?.message.length).toBeLessThanOrEqual(300);
    expect(f?.message.endsWith('word…')).toBe(true);
    expect(f?.fix.length).toBeLessThanOrEqual(500);
    expect(f?.truncated).toBe(true);
  });

  it('offers recheck, explain (with the worst code), watch and plan, each carrying the domain', () => {
    const card = buildCard(report({
      spf: check('spf', [fnd('spf.ptr_used')]),
      dmarc: check('dmarc', [fnd('dmarc.policy_none')]),
      bimi: check('bimi', [fnd('bimi.dmarc_not_enforced')]),
    }, 'shop.example'));
    expect(card.actions.map((a) => a.kind)).toEqual(['recheck', 'explain', 'watch', 'plan']);
    for (const a of card.actions) expect(a.domain).toBe('shop.example');
    const explain = card.actions.find((a) => a.kind === 'explain');
    expect(explain).toMatchObject({ code: 'bimi.dmarc_not_enforced', topic: 'bimi.dmarc_not_enforced', primary: true });
    expect(explain?.command).toBe('explain bimi.dmarc_not_enforced for shop.example');
    expect(card.actions.find((a) => a.kind === 'recheck')?.command).toBe('check shop.example');
    for (const a of card.actions) expect(a.label.length).toBeLessThanOrEqual(75);
  });

  it('explains the grade when there is nothing wrong', () => {
    const card = buildCard(report());
    expect(card.grade).toBe('A');
    expect(card.summary).toBe('No problems found');
    expect(card.findings).toEqual([]);
    const explain = card.actions.find((a) => a.kind === 'explain');
    expect(explain?.code).toBeUndefined();
    expect(explain?.topic).toBe('grade');
    expect(card.reasons.length).toBeGreaterThan(0);
    expect(card.reasons[0]).toMatch(/^Points:/);
  });

  it('leaves out grade reasons that would contradict the report', () => {
    const card = buildCard(report({}, 'example.com', { grade: 'C', score: 70 }));
    expect(card.reasons).toEqual([]);
  });

  it('action ids carry kind, domain and code and parse back', () => {
    const card = buildCard(report({ dmarc: check('dmarc', [fnd('dmarc.policy_none')]) }));
    const explain = card.actions.find((a) => a.kind === 'explain');
    if (!explain) throw new Error('no explain action');
    const id = actionId(explain);
    expect(id).toBe('posture:explain:example.com:dmarc.policy_none');
    expect(parseActionId(id ?? '')).toEqual({ kind: 'explain', domain: 'example.com', topic: 'dmarc.policy_none' });
    const watch = card.actions.find((a) => a.kind === 'watch');
    if (!watch) throw new Error('no watch action');
    expect(parseActionId(actionId(watch) ?? '')).toEqual({ kind: 'watch', domain: 'example.com' });
    expect(actionId({ ...watch, domain: 'x'.repeat(120) }, 100)).toBeNull();
    expect(parseActionId('posture:delete:example.com')).toBeNull();
    expect(parseActionId('other:watch:example.com')).toBeNull();
    expect(parseActionId('posture:watch:example.com:extra')).toBeNull();
  });

  it('injects no platform markup of its own', () => {
    const card = buildCard(report({
      spf: check('spf', [fnd('spf.too_many_lookups', 'SPF needs 13 lookups', 'Flatten includes')]),
      dmarc: check('dmarc', [fnd('dmarc.policy_none', 'Policy is none', 'Publish p=reject')]),
      mta_sts: check('mta_sts', [fnd('mta_sts.mode_testing', 'Testing mode', 'Set mode: enforce')]),
      tls_rpt: check('tls_rpt', [fnd('tls_rpt.missing', 'No TLS-RPT', 'Publish a record')]),
      dnssec: check('dnssec', [fnd('dnssec.unsigned', 'Unsigned', 'Sign the zone')]),
      mx: check('mx', [fnd('mx.no_fcrdns', 'No FCrDNS', 'Add PTR')]),
    }));
    const strings = allStrings(card);
    expect(strings.length).toBeGreaterThan(20);
    for (const s of strings) expect(s, s).not.toMatch(/[*`<>~]|\[.*\]\(|:[a-z_]+:/);
  });
});

describe('truncate', () => {
  it('leaves short text alone', () => {
    expect(truncate('grade A', 7)).toBe('grade A');
    expect(truncate('', 0)).toBe('');
  });

  it('cuts on a word boundary and ends with an ellipsis within the limit', () => {
    const t = truncate('The quick brown fox jumps over the lazy dog', 20);
    expect(t).toBe('The quick brown fox…');
    expect(t.length).toBeLessThanOrEqual(20);
    expect(truncate('The quick brown fox, jumps', 21)).toBe('The quick brown fox…');
  });

  it('cuts inside a word rather than losing most of the room', () => {
    const t = truncate('a supercalifragilisticexpialidocious word', 20);
    expect(t.length).toBe(20);
    expect(t.endsWith('…')).toBe(true);
    expect(t.startsWith('a supercali')).toBe(true);
  });

  it('never splits a surrogate pair and handles tiny limits', () => {
    const t = truncate('ab😀cdef', 4);
    expect(t).toBe('ab…');
    expect(truncate('hello', 1)).toBe('…');
    expect(truncate('hello', 0)).toBe('');
  });
});

describe('foldList', () => {
  it('shows the first max items and counts the rest', () => {
    expect(foldList([1, 2, 3, 4, 5], 3)).toEqual({ shown: [1, 2, 3], more: 2 });
    expect(foldList([1, 2], 3)).toEqual({ shown: [1, 2], more: 0 });
    expect(foldList([1, 2], 0)).toEqual({ shown: [], more: 2 });
    expect(foldList([1, 2], -1)).toEqual({ shown: [], more: 2 });
  });
});
