import { describe, expect, it } from 'vitest';
import { effectiveDmarcPolicy } from '../../src/checker/checks/dmarc/index.ts';
import { MAIL_OK, findingOf, run } from './helpers.ts';

const GOOD = 'v=DMARC1; p=reject; rua=mailto:dmarc@example.com';

describe('checkDmarc: healthy records', () => {
  it('passes a p=reject record with a same-organization rua, without any authorisation lookup', async () => {
    const r = await run('example.com', {
      'example.com': { ...MAIL_OK, TXT: ['v=spf1 -all'] },
      '_dmarc.example.com': { TXT: [GOOD] },
    });
    expect(r.result.status).toBe('pass');
    expect(r.codes).toEqual([]);
    expect(r.log.some((q) => q.includes('_report._dmarc'))).toBe(false);
    expect(r.result.evidence).toMatchObject({ location: '_dmarc.example.com', record: GOOD, policy: 'reject', pct: 100, inherited: false });
    expect(effectiveDmarcPolicy(r.result)).toEqual({ policy: 'reject', pct: 100, testing: false, inherited: false });
  });

  it('accepts an authorised external rua (no external_report_unauthorized)', async () => {
    const r = await run('example.com', {
      'example.com': MAIL_OK,
      '_dmarc.example.com': { TXT: ['v=DMARC1; p=reject; rua=mailto:x@reports.vendor.net'] },
      'example.com._report._dmarc.reports.vendor.net': { TXT: ['v=DMARC1'] },
      'reports.vendor.net': MAIL_OK,
    });
    expect(r.codes).not.toContain('dmarc.external_report_unauthorized');
    expect(r.result.status).toBe('pass');
    expect(r.result.evidence.reportDestinations).toEqual([
      expect.objectContaining({ domain: 'reports.vendor.net', authorization: 'authorized', mail: 'accepts_mail' }),
    ]);
  });

  it('accepts a wildcard *._report._dmarc authorisation', async () => {
    const r = await run('example.com', {
      'example.com': MAIL_OK,
      '_dmarc.example.com': { TXT: ['v=DMARC1; p=reject; rua=mailto:x@vendor.net'] },
      '*._report._dmarc.vendor.net': { TXT: ['v=DMARC1'] },
      'vendor.net': MAIL_OK,
    });
    expect(r.codes).toEqual([]);
  });
});

describe('checkDmarc: never reports absence it did not see', () => {
  it('a timeout at _dmarc.<domain> is untested with dns.lookup_failed, not dmarc.missing', async () => {
    const r = await run('example.com', {
      'example.com': MAIL_OK,
      '_dmarc.example.com': { fault: 'timeout' },
    });
    expect(r.result.status).toBe('untested');
    expect(r.codes).toEqual(['dns.lookup_failed']);
  });

  it('a SERVFAIL during the tree walk is untested too', async () => {
    const r = await run('mail.example.com', {
      'mail.example.com': MAIL_OK,
      '_dmarc.example.com': { fault: 'servfail' },
    });
    expect(r.result.status).toBe('untested');
    expect(r.codes).toEqual(['dns.lookup_failed']);
  });

  it('a failed MX lookup of a report domain adds nothing', async () => {
    const r = await run('example.com', {
      'example.com': MAIL_OK,
      '_dmarc.example.com': { TXT: ['v=DMARC1; p=reject; rua=mailto:x@flaky.example.com'] },
      'flaky.example.com': { fault: 'timeout' },
    });
    expect(r.codes).toEqual([]);
  });

  it('a failed authorisation lookup adds nothing', async () => {
    const r = await run('example.com', {
      'example.com': MAIL_OK,
      '_dmarc.example.com': { TXT: ['v=DMARC1; p=reject; rua=mailto:x@vendor.net'] },
      'example.com._report._dmarc.vendor.net': { fault: 'servfail' },
      'vendor.net': MAIL_OK,
    });
    expect(r.codes).toEqual([]);
  });
});

describe('checkDmarc: discovery', () => {
  it('dmarc.missing when neither the domain nor a parent has a record, with a staged fix', async () => {
    const r = await run('example.com', { 'example.com': { ...MAIL_OK, TXT: ['v=spf1 -all'] } });
    expect(r.codes).toEqual(['dmarc.missing']);
    expect(r.result.status).toBe('fail');
    const f = findingOf(r, 'dmarc.missing');
    expect(f.fix).toContain('_dmarc.example.com TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com"');
    expect(f.fix).toContain('p=quarantine');
    expect(f.fix).toContain('p=reject');
    expect(effectiveDmarcPolicy(r.result)?.policy).toBeNull();
  });

  it('a subdomain inherits its organizational domain policy (sp applies)', async () => {
    const r = await run('shop.example.com', {
      'shop.example.com': MAIL_OK,
      'example.com': MAIL_OK,
      '_dmarc.example.com': { TXT: ['v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.com'] },
    });
    expect(r.codes).toEqual(['dmarc.inherited']);
    expect(r.result.status).toBe('info');
    const f = findingOf(r, 'dmarc.inherited');
    expect(f.message).toContain('_dmarc.example.com');
    expect(f.message).toContain('sp=quarantine');
    expect(r.result.evidence).toMatchObject({ inherited: true, inheritedFrom: 'example.com', policy: 'quarantine', policySource: 'sp' });
    // its own name first, then the parents
    expect(r.log).toContain('_dmarc.shop.example.com TXT');
    expect(r.log).toContain('_dmarc.example.com TXT');
  });

  it('the tree walk uses the organizational (shortest) record, not an intermediate one', async () => {
    const r = await run('a.b.example.com', {
      'a.b.example.com': MAIL_OK,
      '_dmarc.b.example.com': { TXT: ['v=DMARC1; p=none; rua=mailto:d@example.com'] },
      '_dmarc.example.com': { TXT: ['v=DMARC1; p=reject; rua=mailto:d@example.com'] },
      'example.com': MAIL_OK,
    });
    expect(r.result.evidence).toMatchObject({ inheritedFrom: 'example.com', policy: 'reject' });
  });

  it('honours psd=n: the walk stops at the record that declares itself the organizational domain', async () => {
    const r = await run('a.b.example.com', {
      'a.b.example.com': MAIL_OK,
      '_dmarc.b.example.com': { TXT: ['v=DMARC1; p=quarantine; psd=n; rua=mailto:d@example.com'] },
      '_dmarc.example.com': { TXT: ['v=DMARC1; p=none; rua=mailto:d@example.com'] },
      'example.com': MAIL_OK,
    });
    expect(r.result.evidence).toMatchObject({ inheritedFrom: 'b.example.com', policy: 'quarantine' });
  });

  it('honours psd=y: a public suffix policy applies when the organizational domain has none', async () => {
    const r = await run('mail.example.gov.test', {
      'mail.example.gov.test': MAIL_OK,
      '_dmarc.gov.test': { TXT: ['v=DMARC1; p=reject; psd=y; rua=mailto:d@gov.test'] },
      'gov.test': MAIL_OK,
    });
    expect(r.result.evidence).toMatchObject({ inheritedFrom: 'gov.test', policy: 'reject', organizationalDomainDmarcbis: 'example.gov.test', publicSuffixPolicy: true });
    expect(findingOf(r, 'dmarc.inherited').message).toContain('psd=y');
  });

  it('dmarc.multiple_records', async () => {
    const r = await run('example.com', {
      'example.com': MAIL_OK,
      '_dmarc.example.com': { TXT: [GOOD, 'v=DMARC1; p=none'] },
    });
    expect(r.codes).toContain('dmarc.multiple_records');
    expect(r.codes).not.toContain('dmarc.missing');
    expect(effectiveDmarcPolicy(r.result)?.policy).toBeNull();
  });

  it('dmarc.misplaced_or_polluted for other TXT beside the record', async () => {
    const r = await run('example.com', {
      'example.com': MAIL_OK,
      '_dmarc.example.com': { TXT: [GOOD, 'google-site-verification=abc'] },
    });
    expect(r.codes).toEqual(['dmarc.misplaced_or_polluted']);
    expect(findingOf(r, 'dmarc.misplaced_or_polluted').message).toContain('google-site-verification=abc');
  });

  it('dmarc.misplaced_or_polluted for a v=DMARC1 record at the apex', async () => {
    const r = await run('example.com', {
      'example.com': { ...MAIL_OK, TXT: ['v=DMARC1; p=reject'] },
    });
    expect(r.codes).toContain('dmarc.missing');
    expect(r.codes).toContain('dmarc.misplaced_or_polluted');
    expect(findingOf(r, 'dmarc.misplaced_or_polluted').fix).toContain('_dmarc.example.com TXT "v=DMARC1; p=reject"');
  });

  it('a broken version tag is a syntax error and receivers treat the domain as having none', async () => {
    const r = await run('example.com', {
      'example.com': MAIL_OK,
      '_dmarc.example.com': { TXT: ['v=dmarc1; p=reject'] },
    });
    expect(r.codes).toContain('dmarc.syntax_error');
    expect(r.codes).toContain('dmarc.missing');
    expect(r.codes).not.toContain('dmarc.misplaced_or_polluted');
  });
});

describe('checkDmarc: record findings', () => {
  const one = (record: string, extra = {}) => run('example.com', {
    'example.com': MAIL_OK,
    '_dmarc.example.com': { TXT: [record] },
    ...extra,
  });

  it('dmarc.policy_none', async () => {
    const r = await one('v=DMARC1; p=none; rua=mailto:d@example.com');
    expect(r.codes).toEqual(['dmarc.policy_none']);
    expect(findingOf(r, 'dmarc.policy_none').fix).toContain('_dmarc.example.com TXT "v=DMARC1; p=quarantine; rua=mailto:d@example.com"');
  });

  it('dmarc.policy_none for DMARCbis t=y', async () => {
    const r = await one('v=DMARC1; p=quarantine; t=y; rua=mailto:d@example.com');
    expect(r.codes).toEqual(['dmarc.policy_none']);
    expect(findingOf(r, 'dmarc.policy_none').message).toContain('t=y');
    expect(effectiveDmarcPolicy(r.result)?.testing).toBe(true);
  });

  it('dmarc.policy_none for an inherited sp=none', async () => {
    const r = await run('www.example.com', {
      'www.example.com': MAIL_OK,
      '_dmarc.example.com': { TXT: ['v=DMARC1; p=reject; sp=none; rua=mailto:d@example.com'] },
      'example.com': MAIL_OK,
    });
    expect(r.codes).toContain('dmarc.policy_none');
    expect(r.codes).toContain('dmarc.inherited');
    expect(findingOf(r, 'dmarc.policy_none').fix).toContain('_dmarc.www.example.com TXT');
  });

  it('dmarc.subdomain_policy_weaker (sp and np)', async () => {
    const r = await one('v=DMARC1; p=reject; sp=none; np=quarantine; rua=mailto:d@example.com');
    expect(r.codes).toEqual(['dmarc.subdomain_policy_weaker']);
    const f = findingOf(r, 'dmarc.subdomain_policy_weaker');
    expect(f.message).toContain('sp=none and np=quarantine');
    expect(f.fix).toContain('"v=DMARC1; p=reject; rua=mailto:d@example.com"');
  });

  it('dmarc.pct_partial and dmarc.deprecated_tags', async () => {
    const r = await one('v=DMARC1; p=reject; pct=25; ri=3600; rua=mailto:d@example.com');
    expect(r.codes).toEqual(['dmarc.pct_partial', 'dmarc.deprecated_tags']);
    expect(findingOf(r, 'dmarc.pct_partial').message).toContain('pct=25');
    expect(findingOf(r, 'dmarc.deprecated_tags').message).toContain('pct=25, ri=3600');
    expect(r.result.evidence.pct).toBe(25);
  });

  it('dmarc.no_rua', async () => {
    const r = await one('v=DMARC1; p=reject');
    expect(r.codes).toEqual(['dmarc.no_rua']);
    expect(findingOf(r, 'dmarc.no_rua').fix).toBe('Add a report address: _dmarc.example.com TXT "v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com"');
  });

  it('dmarc.invalid_report_uri', async () => {
    const r = await one('v=DMARC1; p=reject; rua=dmarc@example.com');
    expect(r.codes).toEqual(['dmarc.invalid_report_uri']);
    expect(findingOf(r, 'dmarc.invalid_report_uri').message).toContain('"dmarc@example.com"');
    expect(r.codes).not.toContain('dmarc.no_rua');
  });

  it('dmarc.external_report_unauthorized with the exact record to publish', async () => {
    const r = await one('v=DMARC1; p=reject; rua=mailto:d@example.com,mailto:x@vendor.net', { 'vendor.net': MAIL_OK });
    expect(r.codes).toEqual(['dmarc.external_report_unauthorized']);
    expect(findingOf(r, 'dmarc.external_report_unauthorized').fix).toContain('example.com._report._dmarc.vendor.net TXT "v=DMARC1"');
  });

  it('dmarc.report_domain_no_mx (no MX, no A) and for a null MX', async () => {
    const r = await one('v=DMARC1; p=reject; rua=mailto:d@gone.example.com; ruf=mailto:f@null.example.com', {
      'null.example.com': { MX: [[0, '.']] },
    });
    expect(r.codes).toEqual(['dmarc.report_domain_no_mx', 'dmarc.report_domain_no_mx']);
    expect(r.result.findings.map((f) => f.message).join(' ')).toMatch(/gone\.example\.com.*null\.example\.com/);
  });

  it('no report_domain_no_mx when the domain has an A record (implicit MX)', async () => {
    const r = await one('v=DMARC1; p=reject; rua=mailto:d@reports.example.com', { 'reports.example.com': { A: ['192.0.2.1'] } });
    expect(r.codes).toEqual([]);
  });

  it('dmarc.alignment_strict', async () => {
    const r = await one('v=DMARC1; p=reject; adkim=s; rua=mailto:d@example.com');
    expect(r.codes).toEqual(['dmarc.alignment_strict']);
    expect(r.result.status).toBe('info');
  });

  it('dmarc.invalid_tag_value', async () => {
    const r = await one('v=DMARC1; p=reject; aspf=x; rua=mailto:d@example.com');
    expect(r.codes).toEqual(['dmarc.invalid_tag_value']);
    expect(findingOf(r, 'dmarc.invalid_tag_value').message).toContain('aspf=x');
  });

  it('dmarc.duplicate_tag', async () => {
    const r = await one('v=DMARC1; p=reject; p=none; rua=mailto:d@example.com');
    expect(r.codes).toEqual(['dmarc.duplicate_tag']);
  });

  it('dmarc.unknown_tag suggests the tag meant', async () => {
    const r = await one('v=DMARC1; p=reject; rue=mailto:d@example.com; rua=mailto:d@example.com');
    expect(r.codes).toEqual(['dmarc.unknown_tag']);
    expect(findingOf(r, 'dmarc.unknown_tag').message).toContain('did you mean');
  });

  it('dmarc.syntax_error', async () => {
    const r = await one('v=DMARC1; p=reject rua=mailto:d@example.com');
    expect(r.codes).toContain('dmarc.invalid_tag_value');
    const r2 = await one('v=DMARC1; p=reject; garbage; rua=mailto:d@example.com');
    expect(r2.codes).toEqual(['dmarc.syntax_error']);
    expect(findingOf(r2, 'dmarc.syntax_error').message).toContain('character 21');
  });

  it('a missing p with a valid rua is treated as none; without rua no policy applies', async () => {
    const r = await one('v=DMARC1; rua=mailto:d@example.com');
    expect(r.codes).toEqual(['dmarc.policy_none']);
    expect(r.result.evidence.policy).toBe('none');
    const r2 = await one('v=DMARC1');
    expect(r2.codes).toContain('dmarc.syntax_error');
    expect(r2.result.evidence.policy).toBeNull();
  });
});

describe('checkDmarc: lookups', () => {
  it('asks _dmarc.<domain> and the apex TXT first, together', async () => {
    const r = await run('example.com', { 'example.com': MAIL_OK, '_dmarc.example.com': { TXT: [GOOD] } });
    expect(r.log.slice(0, 2)).toEqual(['_dmarc.example.com TXT', 'example.com TXT']);
  });

  it('the tree walk makes at most 8 _dmarc queries for a long name', async () => {
    const r = await run('a.b.c.d.e.f.g.h.i.example.com', { 'a.b.c.d.e.f.g.h.i.example.com': MAIL_OK });
    const dmarcQueries = r.log.filter((q) => q.startsWith('_dmarc.'));
    expect(dmarcQueries.length).toBe(8);
    expect(r.codes).toEqual(['dmarc.missing']);
  });

  it('a non-existent subdomain gets np from the inherited record', async () => {
    const r = await run('ghost.example.com', {
      'example.com': MAIL_OK,
      '_dmarc.example.com': { TXT: ['v=DMARC1; p=reject; sp=quarantine; np=reject; rua=mailto:d@example.com'] },
    });
    expect(r.result.evidence).toMatchObject({ policy: 'reject', policySource: 'np' });
  });
});
