import { describe, expect, it } from 'vitest';
import { explain, parseExplainRequest, renderExplanation } from '../../src/explain/index.ts';
import { DMARC_NONE, MTA_STS_TESTING, STARTTLS_UNTESTED, sampleReport } from './fixtures.ts';

describe('explain without a report', () => {
  it('returns the topic and no context', () => {
    const r = explain('what is MTA-STS?');
    expect(r.kind).toBe('explanation');
    if (r.kind !== 'explanation') return;
    expect(r.topic.id).toBe('mta-sts');
    expect(r.topic.kind).toBe('control');
    expect(r.topic.refs.length).toBeGreaterThan(0);
    expect(r.context).toBeUndefined();
  });

  it('reports not_found with the query and suggestions', () => {
    expect(explain('dmrac')).toEqual({ kind: 'not_found', query: 'dmrac', suggestions: ['dmarc'] });
  });
});

describe('explain with a report (contextual answers)', () => {
  const report = sampleReport({ mta_sts: MTA_STS_TESTING, dmarc: DMARC_NONE, starttls: STARTTLS_UNTESTED });

  it('a control topic carries that check\'s status, summary, findings and the domain\'s fix', () => {
    const r = explain('mta sts', report);
    if (r.kind !== 'explanation') throw new Error('not found');
    expect(r.context).toMatchObject({
      domain: 'example.com',
      grade: 'C',
      score: 74,
      check: 'mta_sts',
      status: 'warn',
      summary: 'MTA-STS policy in testing mode',
    });
    expect(r.context!.findings).toHaveLength(1);
    expect(r.context!.findings[0]!.fix).toMatch(/mode: enforce/);
    const text = renderExplanation(r);
    expect(text).toMatch(/example\.com: grade C, score 74/);
    expect(text).toMatch(/MTA-STS check: warn\. MTA-STS policy in testing mode/);
    expect(text).toMatch(/Fix: Change "mode: testing" to "mode: enforce"/);
  });

  it('a passing control says it has no findings', () => {
    const r = explain('spf', report);
    if (r.kind !== 'explanation') throw new Error('not found');
    expect(r.context).toMatchObject({ check: 'spf', status: 'pass', findings: [] });
    expect(renderExplanation(r)).toMatch(/SPF check: pass\. spf is fine\n  No findings\./);
  });

  it('null MX draws on the mx check', () => {
    const r = explain('null mx', report);
    if (r.kind !== 'explanation') throw new Error('not found');
    expect(r.context?.check).toBe('mx');
  });

  it('a finding topic the domain has carries its domain-specific message and fix', () => {
    const r = explain('dmarc.policy_none', report);
    if (r.kind !== 'explanation') throw new Error('not found');
    expect(r.topic.severity).toBe('warn');
    expect(r.context).toMatchObject({ present: true, check: 'dmarc', status: 'warn' });
    expect(r.context!.findings.map((f) => f.fix)).toEqual([
      '_dmarc.example.com TXT "v=DMARC1; p=quarantine; rua=mailto:d@example.com"',
    ]);
    const text = renderExplanation(r);
    expect(text).toMatch(/example\.com has this finding \(DMARC check: warn\)/);
    expect(text).toMatch(/Fix: _dmarc\.example\.com TXT/);
  });

  it('a finding topic the domain does not have says so', () => {
    const r = explain('spf.too_many_lookups', report);
    if (r.kind !== 'explanation') throw new Error('not found');
    expect(r.context).toMatchObject({ present: false, check: 'spf', status: 'pass', findings: [] });
    expect(renderExplanation(r)).toMatch(/example\.com does not have this finding \(SPF check: pass/);
  });

  it('a finding whose check was untested asserts nothing', () => {
    const r = explain('starttls.not_offered', report);
    if (r.kind !== 'explanation') throw new Error('not found');
    expect(r.context).toMatchObject({ present: false, status: 'untested' });
    expect(renderExplanation(r)).toMatch(/could not be completed, so Posture cannot say whether this applies/);
  });

  it('dns.* findings are looked for in every check', () => {
    const r = explain('dns.lookup_failed', sampleReport({
      dkim: { id: 'dkim', status: 'untested', summary: 'timed out', evidence: {}, findings: [
        { code: 'dns.lookup_failed', severity: 'info', message: 'selector1._domainkey.example.com timed out', fix: 'retry', ref: 'RFC 1035 §4.1.1' },
      ] },
    }));
    if (r.kind !== 'explanation') throw new Error('not found');
    expect(r.context).toMatchObject({ present: true, check: 'dkim', status: 'untested' });
    const absent = explain('dns.nxdomain', sampleReport());
    if (absent.kind !== 'explanation') throw new Error('not found');
    expect(absent.context).toMatchObject({ present: false, findings: [] });
    expect(absent.context?.check).toBeUndefined();
    expect(renderExplanation(absent)).toMatch(/example\.com does not have this finding\./);
  });

  it('the grade topic lists what caps the grade', () => {
    const r = explain('grade', report);
    if (r.kind !== 'explanation') throw new Error('not found');
    expect(r.context?.summary).toMatch(/example\.com scores 74 \(grade C\)\. Capped at most C: DMARC policy is none/);
    expect(r.context?.findings.map((f) => f.code)).toEqual(['dmarc.policy_none']);
  });

  it('does not mutate or share the report\'s findings', () => {
    const r = explain('mta-sts', report);
    if (r.kind !== 'explanation') throw new Error('not found');
    r.context!.findings[0]!.fix = 'changed';
    expect(MTA_STS_TESTING.findings[0]!.fix).not.toBe('changed');
  });
});

describe('parseExplainRequest', () => {
  it.each([
    ['mta-sts for example.com', { topic: 'mta-sts', domain: 'example.com' }],
    ['  MTA-STS   for   Example.COM  ', { topic: 'MTA-STS', domain: 'Example.COM' }],
    ['mta-sts', { topic: 'mta-sts' }],
    ['what is mta-sts for example.com?', { topic: 'what is mta-sts', domain: 'example.com' }],
    ['spf.too_many_lookups for mail.example.co.uk.', { topic: 'spf.too_many_lookups', domain: 'mail.example.co.uk.' }],
    ['dmarc for user@example.com', { topic: 'dmarc', domain: 'user@example.com' }],
    ['what is a good policy for subdomains', { topic: 'what is a good policy for subdomains' }],
    ['grade for spf.pass_all', { topic: 'grade for spf.pass_all' }],
    ['for example.com', { topic: '', domain: 'example.com' }],
    ['', { topic: '' }],
    ['spf for a for example.org', { topic: 'spf for a', domain: 'example.org' }],
  ])('%j', (text, expected) => {
    expect(parseExplainRequest(text)).toEqual(expected);
  });
});

describe('renderExplanation', () => {
  it('renders a control: title, body, references, see also', () => {
    const text = renderExplanation(explain('dkim'));
    const lines = text.split('\n');
    expect(lines[0]).toBe('DKIM (DomainKeys Identified Mail)');
    expect(text).toMatch(/\nReferences: RFC 6376 §3\.5; /);
    expect(text).toMatch(/\nSee also: posture explain dmarc, posture explain spf$/);
  });

  it('renders a finding with its code, title and default severity', () => {
    const text = renderExplanation(explain('SPF_TOO_MANY_LOOKUPS'));
    expect(text.split('\n')[0]).toBe('spf.too_many_lookups: SPF needs more than 10 DNS lookups (default severity: fail)');
    expect(text).toMatch(/References: RFC 7208 §4\.6\.4/);
    expect(text).toMatch(/See also: posture explain spf/);
  });

  it('renders not_found with suggestions', () => {
    expect(renderExplanation(explain('mta-stss'))).toBe(
      'No topic matches "mta-stss".\nDid you mean: mta-sts?\nList every topic with: posture explain topics',
    );
  });
});
