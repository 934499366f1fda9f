import { describe, expect, it } from 'vitest';
import { editDistance, explain, findTopic, resolveTopic } from '../../src/explain/index.ts';

describe('findTopic', () => {
  it.each([
    ['MTA-STS', 'mta-sts'],
    ['mta sts', 'mta-sts'],
    ['mtasts', 'mta-sts'],
    ['what is mta-sts?', 'mta-sts'],
    ['strict transport', 'mta-sts'],
    ['mta_sts', 'mta-sts'],
    ['sender policy framework', 'spf'],
    ['domainkeys', 'dkim'],
    ['null mx', 'null-mx'],
    ['NULL-MX', 'null-mx'],
    ['explain spf.too_many_lookups', 'spf.too_many_lookups'],
    ['spf too many lookups', 'spf.too_many_lookups'],
    ['SPF_TOO_MANY_LOOKUPS', 'spf.too_many_lookups'],
    ['spf.too_many_lookups', 'spf.too_many_lookups'],
    ['tls-rpt', 'tls-rpt'],
    ['TLSRPT', 'tls-rpt'],
    ['smtp tls reporting', 'tls-rpt'],
    ['grade', 'grade'],
    ['how is the grade computed?', 'grade'],
    ['tlsa', 'dane'],
    ['What does p=none mean?', 'dmarc.policy_none'],
    ['+all', 'spf.pass_all'],
    ['No DMARC record', 'dmarc.missing'],
    ['tell me about dnssec please', 'dnssec'],
    ['dane record', 'dane'],
  ])('%j → %s', (query, id) => {
    expect(findTopic(query)?.id).toBe(id);
  });

  it.each([
    ['mta-stss', 'mta-sts'],
    ['dmrac', 'dmarc'],
    ['dkmi', 'dkim'],
    ['spf too many lookup', 'spf.too_many_lookups'],
    ['bimii', 'bimi'],
  ])('a typo %j is not found but suggests %s', (query, id) => {
    const r = resolveTopic(query);
    expect(r.topic).toBeUndefined();
    expect(r.topic ? [] : r.suggestions).toContain(id);
    const model = explain(query);
    expect(model).toEqual({ kind: 'not_found', query, suggestions: expect.arrayContaining([id]) });
  });

  it('suggests the codes a partial code starts with', () => {
    const r = resolveTopic('spf.too_many');
    expect(r.topic).toBeUndefined();
    expect(r.topic ? [] : r.suggestions).toEqual(expect.arrayContaining(['spf.too_many_lookups', 'spf.too_many_void_lookups']));
  });

  it('a query naming two topics is ambiguous and suggests both', () => {
    const r = resolveTopic('does dmarc need spf');
    expect(r.topic).toBeUndefined();
    expect(r.topic ? [] : r.suggestions).toEqual(expect.arrayContaining(['dmarc', 'spf']));
  });

  it('nonsense gives no match and at most five suggestions', () => {
    for (const q of ['xyzzy', '', '???', 'the weather in paris']) {
      const r = resolveTopic(q);
      expect(r.topic).toBeUndefined();
      expect(r.topic ? [] : r.suggestions.length).toBeLessThanOrEqual(5);
    }
  });

  it('editDistance counts adjacent transpositions as one edit', () => {
    expect(editDistance('dmrac', 'dmarc')).toBe(1);
    expect(editDistance('mtastss', 'mtasts')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

describe('every topic is reachable', () => {
  it('by id, title, each alias, upper case and "what is …?"', async () => {
    const { TOPICS } = await import('../../src/explain/index.ts');
    for (const t of TOPICS) {
      for (const q of [t.id, t.title, ...t.aliases, t.id.toUpperCase(), `what is ${t.id}?`, `explain ${t.id.replaceAll('_', ' ')}`]) {
        expect(findTopic(q)?.id, q).toBe(t.id);
      }
    }
  });
});
