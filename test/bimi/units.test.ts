import { describe, expect, it } from 'vitest';
import { result as makeResult } from '../../src/checker/check.ts';
import { assessDmarcForBimi } from '../../src/checker/checks/bimi/dmarc.ts';
import { assessVmc, extractEmbeddedLogo } from '../../src/checker/checks/bimi/vmc.ts';
import { ia5, makeVmc } from './certs.ts';
import { GOOD_SVG } from './fixtures.ts';

const dmarcResult = (evidence: Record<string, unknown>) => makeResult('dmarc', 'x', [], evidence);

describe('extractEmbeddedLogo', () => {
  it.each([10, 200, 5_000, 70_000])('finds a data: URI in an IA5String of %i bytes of payload', (n) => {
    const svg = `<svg>${'x'.repeat(n)}</svg>`;
    const uri = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
    const der = Buffer.concat([Buffer.from([0x30, 0x00, 0x04, 0x01, 0x00]), ia5(uri), Buffer.from([0x02, 0x01, 0x05])]);
    expect(extractEmbeddedLogo(der)?.svg.toString()).toBe(svg);
  });

  it('ignores the marker outside an IA5String', () => {
    expect(extractEmbeddedLogo(Buffer.from('garbage data:image/svg+xml;base64,AAAA'))).toBeNull();
  });
});

describe('assessVmc', () => {
  it('accepts the organizational domain for a subdomain, and reports the facts', async () => {
    const pem = await makeVmc({ names: ['example.com'], logoSvg: GOOD_SVG });
    const f = assessVmc(pem, ['news.example.com', 'example.com']);
    expect(f.problems).toEqual([]);
    expect(f).toMatchObject({ coveredBy: 'example.com', validNow: true, bimiEku: true, logotypeExtension: true, chainLinked: null, chainValidation: 'not_checked' });
    expect(f.embeddedLogoSvg?.toString()).toBe(GOOD_SVG);
  });

  it('a wildcard SAN does not cover the domain', async () => {
    const pem = await makeVmc({ names: ['*.example.com'] });
    expect(assessVmc(pem, ['example.com']).problems.join()).toContain('does not cover example.com');
  });
});

describe('assessDmarcForBimi', () => {
  const side = (domain: string, evidence: Record<string, unknown>) => ({ domain, result: dmarcResult(evidence) });

  it('quarantine in DMARCbis testing mode (t=y) is not enforcement; reject with t=y still is', () => {
    const q = side('example.com', { policy: 'quarantine', pct: 100, testing: true, inherited: false, location: '_dmarc.example.com', record: 'v=DMARC1; p=quarantine; t=y; rua=mailto:d@example.com', subdomainPolicy: 'quarantine' });
    const a = assessDmarcForBimi(q, q);
    expect(a.verdict).toBe('not_enforced');
    expect(a.reasons.join()).toContain('t=y');
    expect(a.fixes).toEqual(['_dmarc.example.com TXT "v=DMARC1; p=quarantine; rua=mailto:d@example.com"']);
    const r = side('example.com', { policy: 'reject', pct: 100, testing: true, inherited: false, subdomainPolicy: 'reject' });
    expect(assessDmarcForBimi(r, r).verdict).toBe('enforced');
  });

  it('an untested organizational domain result makes the verdict unknown, not a failure', () => {
    const own = side('news.example.com', { policy: 'reject', pct: 100, testing: false, inherited: false });
    const org = { domain: 'example.com', result: { ...dmarcResult({}), status: 'untested' as const } };
    expect(assessDmarcForBimi(own, org).verdict).toBe('unknown');
  });
});
