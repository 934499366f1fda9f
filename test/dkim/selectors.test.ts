import { describe, expect, it } from 'vitest';
import { matchProviders, spfIncludeDomains } from '../../src/checker/checks/dkim/providers.ts';
import { COMMON_SELECTORS, normalizeSelector, planSelectors } from '../../src/checker/checks/dkim/selectors.ts';

describe('provider fingerprints', () => {
  it('recognises Google from its MX and Microsoft 365 from SPF', () => {
    const m = matchProviders(['aspmx.l.google.com', 'alt1.aspmx.l.google.com'], ['spf.protection.outlook.com']);
    expect(m.map((p) => p.provider)).toEqual(['Google Workspace', 'Microsoft 365']);
    expect(m[0]!.selectors).toEqual(['google']);
    expect(m[1]!.selectors).toEqual(['selector1', 'selector2']);
    expect(m[0]!.matchedBy).toContain('MX aspmx.l.google.com');
  });
  it('does not match look-alike suffixes', () => {
    expect(matchProviders(['aspmx.l.google.com.evil.example'], ['notsendgrid.net'])).toEqual([]);
  });
  it('notes providers whose selectors are random', () => {
    const [ses] = matchProviders([], ['amazonses.com']);
    expect(ses?.selectors).toEqual([]);
    expect(ses?.note).toMatch(/random/);
  });
  it('extracts include and redirect targets from SPF only', () => {
    expect(spfIncludeDomains([
      'v=spf1 include:_spf.google.com ~include:sendgrid.net redirect=_spf.Example.net.',
      'google-site-verification=include:nothing',
    ])).toEqual(['_spf.google.com', 'sendgrid.net', '_spf.example.net']);
  });
});

describe('selector planning', () => {
  it('puts user selectors first, then provider ones, then the common list, each once', () => {
    const providers = matchProviders([], ['servers.mcsv.net']);
    const { planned } = planSelectors(['Custom2024', 'k1'], providers);
    expect(planned[0]).toEqual({ selector: 'custom2024', source: 'user' });
    expect(planned[1]).toEqual({ selector: 'k1', source: 'user' });
    expect(planned.filter((p) => p.source === 'provider').map((p) => p.selector)).toEqual(['k2', 'k3', 'mte1', 'mte2', 'mandrill']);
    const names = planned.map((p) => p.selector);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeLessThanOrEqual(25);
  });
  it('keeps the common list compact', () => {
    expect(COMMON_SELECTORS.length).toBeLessThanOrEqual(20);
    for (const s of ['default', 'google', 'selector1', 'selector2', 's1', 'k1']) expect(COMMON_SELECTORS).toContain(s);
  });
  it('normalises full owner names and rejects junk', () => {
    expect(normalizeSelector('s1._domainkey.example.com.')).toBe('s1');
    expect(normalizeSelector(' Sel.Sub ')).toBe('sel.sub');
    expect(normalizeSelector('bad selector')).toBeNull();
    expect(normalizeSelector('')).toBeNull();
    const { planned, rejected } = planSelectors(['ok', 'no way'], []);
    expect(rejected).toEqual(['no way']);
    expect(planned[0]!.selector).toBe('ok');
  });
});
