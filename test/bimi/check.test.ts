import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { result as makeResult, untested } from '../../src/checker/check.ts';
import { installLoopbackGuard, type LoopbackGuard } from '../world/loopback-guard.ts';
import { DMARC_REJECT, LOGO, LOGO_HOST, VMC, bimiTxt, findingOf, run, startBimiWorld, type BimiWorld } from './helpers.ts';

let world: BimiWorld;
let guard: LoopbackGuard;

beforeAll(async () => {
  guard = installLoopbackGuard();
  world = await startBimiWorld();
});
afterAll(async () => {
  await world.close();
  guard.uninstall();
  expect(guard.refused).toEqual([]);
});

const GOOD_RECORD = `v=BIMI1; l=${LOGO}; a=${VMC}`;
const dmarc = (record = DMARC_REJECT) => ({ '_dmarc.example.com': { TXT: [record] } });

describe('checkBimi: a healthy setup', () => {
  it('passes a valid Tiny PS logo, a mark certificate covering the domain and DMARC p=reject', async () => {
    const r = await run(world, 'example.com', { ...dmarc(), 'default._bimi.example.com': bimiTxt(GOOD_RECORD) });
    expect(r.codes).toEqual([]);
    expect(r.result.status).toBe('pass');
    const e = r.result.evidence;
    expect(e).toMatchObject({
      selector: 'default', location: 'default._bimi.example.com', inherited: false, record: GOOD_RECORD,
      tags: { v: 'BIMI1', l: LOGO, a: VMC },
      dmarc: { verdict: 'enforced', policy: 'reject', pct: 100 },
      svg: { url: LOGO, bytes: expect.any(Number), viewBox: '0 0 100 100', title: 'Example Brand', square: true, problems: [] },
      vmc: { url: VMC, sans: ['example.com'], coveredBy: 'example.com', validNow: true, subject: expect.stringContaining('CN=Example Brand'), issuer: expect.stringContaining('BIMI Test CA') },
    });
    expect(String((e.vmc as Record<string, unknown>).chainValidation)).toContain('not checked');
    expect(world.https.requests).toEqual(expect.arrayContaining([`${LOGO_HOST} /logo.svg`, `${LOGO_HOST} /vmc.pem`]));
  });

  it('a subdomain using the organizational domain\'s record, with a VMC for the organizational domain, is fine (checkdmarc#151)', async () => {
    const r = await run(world, 'news.example.com', {
      ...dmarc(),
      'news.example.com': { A: ['192.0.2.1'] },
      'default._bimi.example.com': bimiTxt(GOOD_RECORD),
    });
    expect(r.codes).not.toContain('bimi.vmc_invalid');
    expect(r.codes).toEqual([]);
    expect(r.result.evidence).toMatchObject({ location: 'default._bimi.example.com', inherited: true, organizationalDomain: 'example.com' });
    expect(r.log).toContain('default._bimi.news.example.com TXT');
  });

  it('a subdomain with its own record and a VMC for the organizational domain is fine too', async () => {
    const r = await run(world, 'news.example.com', {
      ...dmarc(),
      'news.example.com': { A: ['192.0.2.1'] },
      'default._bimi.news.example.com': bimiTxt(GOOD_RECORD),
    });
    expect(r.codes).toEqual([]);
    expect(r.result.evidence).toMatchObject({ location: 'default._bimi.news.example.com', inherited: false });
  });

  it('uses the DMARC result handed in through the seam (no DMARC lookups of its own)', async () => {
    const given = makeResult('dmarc', 'p=reject', [], { policy: 'reject', pct: 100, testing: false, inherited: false, location: '_dmarc.example.com', subdomainPolicy: 'reject' });
    const r = await run(world, 'example.com', { 'default._bimi.example.com': bimiTxt(GOOD_RECORD) }, { dmarc: async () => given });
    expect(r.codes).toEqual([]);
    expect(r.log.some((q) => q.includes('_dmarc'))).toBe(false);
  });
});

describe('checkBimi: the record', () => {
  it('no record anywhere → bimi.missing (info), looking at the organizational domain too', async () => {
    const r = await run(world, 'news.example.com', { ...dmarc(), 'news.example.com': { A: ['192.0.2.1'] } });
    expect(r.codes).toEqual(['bimi.missing']);
    expect(r.result.status).toBe('info');
    expect(r.log).toEqual(expect.arrayContaining(['default._bimi.news.example.com TXT', 'default._bimi.example.com TXT']));
    expect(findingOf(r, 'bimi.missing').fix).toContain('default._bimi.news.example.com TXT "v=BIMI1; l=https://news.example.com/bimi/logo.svg; a="');
  });

  it('a timeout at default._bimi is untested, not missing', async () => {
    const r = await run(world, 'example.com', { ...dmarc(), 'default._bimi.example.com': { fault: 'timeout' } });
    expect(r.result.status).toBe('untested');
    expect(r.codes).toEqual(['dns.lookup_failed']);
  });

  it('a SERVFAIL at the organizational fallback is untested too', async () => {
    const r = await run(world, 'news.example.com', { ...dmarc(), 'news.example.com': { A: ['192.0.2.1'] }, 'default._bimi.example.com': { fault: 'servfail' } });
    expect(r.result.status).toBe('untested');
    expect(r.codes).toEqual(['dns.lookup_failed']);
  });

  it('two records → bimi.record_invalid', async () => {
    const r = await run(world, 'example.com', { ...dmarc(), 'default._bimi.example.com': { TXT: [GOOD_RECORD, `v=BIMI1; l=${LOGO}`] } });
    expect(r.codes).toEqual(['bimi.record_invalid']);
    expect(r.result.status).toBe('fail');
  });

  it('a non-HTTPS l= → bimi.record_invalid with a corrected record, and the logo is not fetched', async () => {
    const before = world.https.requests.length;
    const r = await run(world, 'example.com', { ...dmarc(), 'default._bimi.example.com': bimiTxt(`v=BIMI1; l=http://${LOGO_HOST}/logo.svg; a=`) });
    expect(r.codes).toContain('bimi.record_invalid');
    const f = findingOf(r, 'bimi.record_invalid');
    expect(f.message).toContain('https:');
    expect(f.fix).toBe(`Publish default._bimi.example.com TXT "v=BIMI1; l=${LOGO}; a="`);
    expect(world.https.requests.slice(before)).toEqual([]);
  });

  it('a bad avp value → bimi.record_invalid', async () => {
    const r = await run(world, 'example.com', { ...dmarc(), 'default._bimi.example.com': bimiTxt(`${GOOD_RECORD}; avp=logo`) });
    expect(r.codes).toContain('bimi.record_invalid');
  });

  it('a near miss (lower-case version) → bimi.record_invalid, not missing', async () => {
    const r = await run(world, 'example.com', { ...dmarc(), 'default._bimi.example.com': bimiTxt(`v=bimi1; l=${LOGO}`) });
    expect(r.codes).toEqual(['bimi.record_invalid']);
  });

  it('a declination (empty l= and a=) is bimi.missing and fetches nothing', async () => {
    const r = await run(world, 'example.com', { ...dmarc('v=DMARC1; p=none'), 'default._bimi.example.com': bimiTxt('v=BIMI1; l=; a=') });
    expect(r.codes).toEqual(['bimi.missing']);
    expect(findingOf(r, 'bimi.missing').message).toContain('declination');
  });
});

describe('checkBimi: the DMARC precondition', () => {
  it('p=none → bimi.dmarc_not_enforced with the record to publish', async () => {
    const r = await run(world, 'example.com', { ...dmarc('v=DMARC1; p=none; rua=mailto:d@example.com'), 'default._bimi.example.com': bimiTxt(GOOD_RECORD) });
    expect(r.codes).toEqual(['bimi.dmarc_not_enforced']);
    const f = findingOf(r, 'bimi.dmarc_not_enforced');
    expect(f.message).toContain('p=none');
    expect(f.fix).toContain('_dmarc.example.com TXT "v=DMARC1; p=quarantine; rua=mailto:d@example.com"');
  });

  it('no DMARC at all → bimi.dmarc_not_enforced', async () => {
    const r = await run(world, 'example.com', { 'default._bimi.example.com': bimiTxt(GOOD_RECORD) });
    expect(r.codes).toEqual(['bimi.dmarc_not_enforced']);
    expect(findingOf(r, 'bimi.dmarc_not_enforced').fix).toContain('_dmarc.example.com TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example.com"');
  });

  it('pct<100 → bimi.dmarc_not_enforced', async () => {
    const r = await run(world, 'example.com', { ...dmarc('v=DMARC1; p=reject; pct=50; rua=mailto:d@example.com'), 'default._bimi.example.com': bimiTxt(GOOD_RECORD) });
    expect(r.codes).toEqual(['bimi.dmarc_not_enforced']);
    expect(findingOf(r, 'bimi.dmarc_not_enforced').message).toContain('pct=50');
    expect(findingOf(r, 'bimi.dmarc_not_enforced').fix).toContain('"v=DMARC1; p=reject; rua=mailto:d@example.com"');
  });

  it('sp=none at the organizational domain → bimi.dmarc_not_enforced', async () => {
    const r = await run(world, 'example.com', { ...dmarc('v=DMARC1; p=reject; sp=none; rua=mailto:d@example.com'), 'default._bimi.example.com': bimiTxt(GOOD_RECORD) });
    expect(r.codes).toEqual(['bimi.dmarc_not_enforced']);
    expect(findingOf(r, 'bimi.dmarc_not_enforced').message).toContain('sp=none');
  });

  it('a subdomain inheriting sp=none → bimi.dmarc_not_enforced', async () => {
    const r = await run(world, 'news.example.com', {
      ...dmarc('v=DMARC1; p=reject; sp=none; rua=mailto:d@example.com'),
      'news.example.com': { A: ['192.0.2.1'] },
      'default._bimi.news.example.com': bimiTxt(GOOD_RECORD),
    });
    expect(r.codes).toEqual(['bimi.dmarc_not_enforced']);
    expect(findingOf(r, 'bimi.dmarc_not_enforced').message).toContain('sp=none');
  });

  it('a subdomain enforcing on its own while the organizational domain is p=none → bimi.dmarc_not_enforced', async () => {
    const r = await run(world, 'news.example.com', {
      ...dmarc('v=DMARC1; p=none; rua=mailto:d@example.com'),
      'news.example.com': { A: ['192.0.2.1'] },
      '_dmarc.news.example.com': { TXT: ['v=DMARC1; p=reject; rua=mailto:d@example.com'] },
      'default._bimi.news.example.com': bimiTxt(GOOD_RECORD),
    });
    expect(r.codes).toEqual(['bimi.dmarc_not_enforced']);
    expect(findingOf(r, 'bimi.dmarc_not_enforced').message).toContain('organizational domain example.com');
  });

  it('a DMARC lookup failure is not an accusation: dns.lookup_failed (info), no dmarc_not_enforced', async () => {
    const r = await run(world, 'example.com', { 'default._bimi.example.com': bimiTxt(GOOD_RECORD) }, {
      dmarc: async () => untested('dmarc', 'Could not look up _dmarc.example.com'),
    });
    expect(r.codes).toEqual(['dns.lookup_failed']);
    expect(r.result.evidence).toMatchObject({ dmarc: { verdict: 'unknown' } });
  });
});

describe('checkBimi: the logo', () => {
  const withLogo = (path: string, a = VMC) => ({ ...dmarc(), 'default._bimi.example.com': bimiTxt(`v=BIMI1; l=https://${LOGO_HOST}${path}; a=${a}`) });

  it('an SVG that is not Tiny PS → bimi.svg_invalid listing the problems and the attribute fixes', async () => {
    const r = await run(world, 'example.com', withLogo('/untitled.svg'));
    expect(r.codes).toEqual(['bimi.svg_invalid']);
    const f = findingOf(r, 'bimi.svg_invalid');
    expect(f.message).toContain('no baseProfile="tiny-ps"');
    expect(f.message).toContain('<script>');
    expect(f.message).toContain('no <title> child');
    expect(f.fix).toContain('set version="1.2", set baseProfile="tiny-ps"');
    expect((r.result.evidence.svg as Record<string, unknown>).problems).toHaveLength(4);
  });

  it('a DOCTYPE with entities → bimi.svg_invalid, and no hang', async () => {
    const t0 = performance.now();
    const r = await run(world, 'example.com', withLogo('/bomb.svg'));
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(r.codes).toEqual(['bimi.svg_invalid']);
    expect(findingOf(r, 'bimi.svg_invalid').message).toContain('declares entities');
  });

  it('a non-square logo → bimi.svg_not_square (warn)', async () => {
    const r = await run(world, 'example.com', withLogo('/wide.svg'));
    expect(r.codes).toEqual(['bimi.svg_not_square']);
    expect(r.result.status).toBe('warn');
    expect(findingOf(r, 'bimi.svg_not_square').fix).toContain('viewBox="0 0 200 200"');
  });

  it('a file over 32 KiB → bimi.svg_invalid "too large" (read past the cap)', async () => {
    const r = await run(world, 'example.com', withLogo('/big.svg'));
    expect(r.codes).toContain('bimi.svg_invalid');
    expect(findingOf(r, 'bimi.svg_invalid').message).toContain('40000 bytes');
  });

  it('a file far over the cap is cut off and reported as too large', async () => {
    const r = await run(world, 'example.com', withLogo('/huge.svg'));
    expect(r.codes).toEqual(['bimi.svg_invalid']);
    expect(findingOf(r, 'bimi.svg_invalid').message).toContain('larger than 65536 bytes');
  });

  it('a 404 → bimi.svg_invalid saying it could not be fetched', async () => {
    const r = await run(world, 'example.com', withLogo('/nope.svg'));
    expect(r.codes).toEqual(['bimi.svg_invalid']);
    expect(findingOf(r, 'bimi.svg_invalid').message).toMatch(/could not be fetched: the server answered HTTP 404.*no separate code/);
  });

  it('a redirect is not followed → bimi.svg_invalid', async () => {
    const r = await run(world, 'example.com', withLogo('/moved.svg'));
    expect(r.codes).toEqual(['bimi.svg_invalid']);
    expect(findingOf(r, 'bimi.svg_invalid').message).toContain('HTTP 301');
  });

  it('an expired HTTPS certificate on the logo host → bimi.svg_invalid with the reason', async () => {
    const r = await run(world, 'example.com', { ...dmarc(), 'default._bimi.example.com': bimiTxt(`v=BIMI1; l=https://badcert.example.com/logo.svg; a=${VMC}`) });
    expect(r.codes).toEqual(['bimi.svg_invalid']);
    expect(findingOf(r, 'bimi.svg_invalid').message).toContain('CERT_HAS_EXPIRED');
  });

  it('a logo host that resolves only to a private address is refused → bimi.svg_invalid', async () => {
    const r = await run(world, 'example.com', { ...dmarc(), 'private.example.com': { A: ['10.1.2.3'] }, 'default._bimi.example.com': bimiTxt(`v=BIMI1; l=https://private.example.com/logo.svg; a=${VMC}`) });
    expect(r.codes).toEqual(['bimi.svg_invalid']);
    expect(findingOf(r, 'bimi.svg_invalid').message).toContain('private');
  });

  it('a logo host whose lookup SERVFAILs is not an accusation → dns.lookup_failed', async () => {
    const r = await run(world, 'example.com', { ...dmarc(), 'flaky.example.com': { fault: 'servfail' }, 'default._bimi.example.com': bimiTxt(`v=BIMI1; l=https://flaky.example.com/logo.svg; a=${VMC}`) });
    expect(r.codes).toEqual(['dns.lookup_failed']);
  });
});

describe('checkBimi: the mark certificate', () => {
  const withVmc = (a: string) => ({ ...dmarc(), 'default._bimi.example.com': bimiTxt(`v=BIMI1; l=${LOGO}; a=${a}`) });

  it('empty a= → bimi.no_vmc (warn)', async () => {
    const r = await run(world, 'example.com', withVmc(''));
    expect(r.codes).toEqual(['bimi.no_vmc']);
    expect(r.result.status).toBe('warn');
  });

  it('no a= tag at all → bimi.no_vmc too', async () => {
    const r = await run(world, 'example.com', { ...dmarc(), 'default._bimi.example.com': bimiTxt(`v=BIMI1; l=${LOGO}`) });
    expect(r.codes).toEqual(['bimi.no_vmc']);
  });

  it('expired → bimi.vmc_invalid', async () => {
    const r = await run(world, 'example.com', withVmc(`https://${LOGO_HOST}/vmc-expired.pem`));
    expect(r.codes).toEqual(['bimi.vmc_invalid']);
    expect(findingOf(r, 'bimi.vmc_invalid').message).toContain('expired');
    expect(findingOf(r, 'bimi.vmc_invalid').fix).toContain('Renew');
  });

  it('not yet valid → bimi.vmc_invalid', async () => {
    const r = await run(world, 'example.com', withVmc(`https://${LOGO_HOST}/vmc-future.pem`));
    expect(r.codes).toEqual(['bimi.vmc_invalid']);
    expect(findingOf(r, 'bimi.vmc_invalid').message).toContain('not valid yet');
  });

  it('for another domain → bimi.vmc_invalid naming the SANs', async () => {
    const r = await run(world, 'example.com', withVmc(`https://${LOGO_HOST}/vmc-other.pem`));
    expect(r.codes).toEqual(['bimi.vmc_invalid']);
    expect(findingOf(r, 'bimi.vmc_invalid').message).toContain('is for other-brand.net');
    expect(r.result.evidence.vmc).toMatchObject({ sans: ['other-brand.net'], coveredBy: null });
  });

  it('not PEM, or an unparseable certificate → bimi.vmc_invalid', async () => {
    const a = await run(world, 'example.com', withVmc(`https://${LOGO_HOST}/not-pem.pem`));
    expect(a.codes).toEqual(['bimi.vmc_invalid']);
    expect(findingOf(a, 'bimi.vmc_invalid').message).toContain('not PEM');
    const b = await run(world, 'example.com', withVmc(`https://${LOGO_HOST}/broken.pem`));
    expect(b.codes).toEqual(['bimi.vmc_invalid']);
    expect(findingOf(b, 'bimi.vmc_invalid').message).toContain('cannot be parsed');
  });

  it('a 404 at a= → bimi.vmc_invalid', async () => {
    const r = await run(world, 'example.com', withVmc(`https://${LOGO_HOST}/missing.pem`));
    expect(r.codes).toEqual(['bimi.vmc_invalid']);
    expect(findingOf(r, 'bimi.vmc_invalid').message).toContain('HTTP 404');
  });

  it('reads the BIMI EKU and the embedded logo; a logo matching l= raises nothing', async () => {
    const r = await run(world, 'example.com', withVmc(`https://${LOGO_HOST}/vmc-logo.pem`));
    expect(r.codes).toEqual([]);
    expect(r.result.evidence.vmc).toMatchObject({ bimiExtendedKeyUsage: true, logotypeExtension: true, logoMatchesSvg: true, embeddedLogo: { gzip: true } });
  });

  it('an embedded logo different from l= → bimi.vmc_invalid (warn)', async () => {
    const r = await run(world, 'example.com', withVmc(`https://${LOGO_HOST}/vmc-otherlogo.pem`));
    expect(r.codes).toEqual(['bimi.vmc_invalid']);
    expect(findingOf(r, 'bimi.vmc_invalid').severity).toBe('warn');
    expect(r.result.evidence.vmc).toMatchObject({ logoMatchesSvg: false });
  });

  it('with an empty l=, the logo embedded in the certificate is held to Tiny PS', async () => {
    const r = await run(world, 'example.com', { ...dmarc(), 'default._bimi.example.com': bimiTxt(`v=BIMI1; l=; a=https://${LOGO_HOST}/vmc-badlogo.pem`) });
    expect(r.codes).toEqual(['bimi.svg_invalid']);
    expect(findingOf(r, 'bimi.svg_invalid').message).toContain('embedded in');
  });
});
