import { describe, expect, it } from 'vitest';
import { FINDINGS, FINDING_CODES } from '../../src/checker/findings.ts';
import { CHECK_IDS } from '../../src/checker/types.ts';
import { RUBRIC } from '../../src/checker/grade.ts';
import { getTopic, listTopics, TOPICS } from '../../src/explain/index.ts';
import { lookupKeys, normalizeQuery } from '../../src/explain/lookup.ts';

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
const CONTROL_IDS = ['mx', 'null-mx', 'spf', 'dkim', 'dmarc', 'mta-sts', 'tls-rpt', 'dnssec', 'dane', 'bimi', 'starttls'];

describe('explain topics', () => {
  it.each(CONTROL_IDS)('control %s has a body of at most 150 words and references', (id) => {
    const t = getTopic(id);
    expect(t?.kind).toBe('control');
    expect(t!.body.length).toBeGreaterThan(0);
    expect(words(t!.body)).toBeLessThanOrEqual(150);
    expect(t!.refs.length).toBeGreaterThan(0);
    expect(t!.body).toMatch(/How it works:/);
    expect(t!.body).toMatch(/Deploying it safely:/);
  });

  it('every check id has a control topic whose context comes from that check', () => {
    for (const id of CHECK_IDS) {
      expect(TOPICS.some((t) => t.kind === 'control' && t.check === id), id).toBe(true);
    }
  });

  it.each(FINDING_CODES)('finding %s has a topic with the catalog title, severity and ref', (code) => {
    const t = getTopic(code);
    expect(t?.kind).toBe('finding');
    expect(t!.title).toBe(FINDINGS[code].title);
    expect(t!.severity).toBe(FINDINGS[code].severity);
    expect(t!.refs).toEqual([FINDINGS[code].ref]);
    expect(words(t!.body)).toBeLessThanOrEqual(150);
    expect(t!.body).toMatch(/Why it matters: .+/);
    expect(t!.body).toMatch(/How to fix it: .+/);
  });

  it('every finding topic links back to its control topic (dns.* have none)', () => {
    for (const code of FINDING_CODES) {
      const t = getTopic(code)!;
      const area = code.split('.')[0]!;
      if (area === 'dns') continue;
      const control = t.seeAlso[0];
      expect(control, code).toBeDefined();
      expect(getTopic(control!)?.kind, code).toBe('control');
      expect(getTopic(control!)?.check, code).toBe(area);
    }
    expect(getTopic('mx.null_mx')!.seeAlso[0]).toBe('null-mx');
  });

  it('every see-also points at an existing topic', () => {
    for (const t of TOPICS) for (const id of t.seeAlso) expect(getTopic(id), `${t.id} → ${id}`).toBeDefined();
  });

  it('finding topics state the rubric\'s caps and neutral codes, read from the rubric', () => {
    for (const cap of RUBRIC.caps) {
      for (const code of cap.codes) {
        const tightest = RUBRIC.caps.filter((c) => c.codes.includes(code)).sort((a, b) => a.maxScore - b.maxScore)[0]!;
        expect(getTopic(code)!.body, code).toContain(`Grade: the grade is at most ${tightest.grade}`);
      }
    }
    for (const c of RUBRIC.controls) {
      for (const code of c.neutralCodes) expect(getTopic(code)!.body, code).toContain('neither earns nor loses points');
    }
    expect(getTopic('spf.ptr_used')!.body).not.toContain('Grade:');
  });

  it('has a grade topic built from the rubric', () => {
    const t = getTopic('grade');
    expect(t?.kind).toBe('grade');
    expect(t!.body).toMatch(/Caps/);
    expect(t!.body).toMatch(/dmarc\.missing/);
    expect(t!.refs).toContain('docs/grading.md');
  });

  it('topic count is controls + codes + grade, with unique ids', () => {
    expect(TOPICS).toHaveLength(CONTROL_IDS.length + FINDING_CODES.length + 1);
    expect(new Set(TOPICS.map((t) => t.id)).size).toBe(TOPICS.length);
  });

  it('listTopics gives ids and titles, controls first', () => {
    const list = listTopics();
    expect(list).toHaveLength(TOPICS.length);
    expect(list[0]).toEqual({ id: 'mx', title: 'MX records', kind: 'control' });
    expect(list.map((e) => e.id)).toContain('spf.too_many_lookups');
    for (const e of list) expect(e.title.length).toBeGreaterThan(0);
  });

  it('ids and explicit aliases never clash between topics (also with spaces removed)', () => {
    const owner = new Map<string, string>();
    const compactOwner = new Map<string, string>();
    for (const k of lookupKeys().filter((k) => k.source !== 'title')) {
      const prev = owner.get(k.key);
      expect(prev === undefined || prev === k.id, `"${k.key}": ${prev} vs ${k.id}`).toBe(true);
      owner.set(k.key, k.id);
      const c = k.key.replaceAll(' ', '');
      const prevC = compactOwner.get(c);
      expect(prevC === undefined || prevC === k.id, `"${c}": ${prevC} vs ${k.id}`).toBe(true);
      compactOwner.set(c, k.id);
    }
  });

  it('normalises case, punctuation and underscores', () => {
    expect(normalizeQuery('  What is MTA-STS?? ')).toBe('what is mta sts');
    expect(normalizeQuery('SPF_TOO_MANY_LOOKUPS')).toBe('spf too many lookups');
    expect(normalizeQuery('~all')).toBe('tilde all');
  });
});
