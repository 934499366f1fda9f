/** The `spf` check over in-memory DNS fixtures: every spf.* code raised, and what must not be. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHECK_OPTIONS, makeContext } from '../../src/checker/check.ts';
import { checkSpf, findSpfRecord, spfAuthorisesSenders } from '../../src/checker/checks/spf/index.ts';
import type { Resolver } from '../../src/checker/dns/types.ts';
import type { CheckResult } from '../../src/checker/types.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';
import type { NameSpec } from '../world/dns/zone.ts';

async function check(names: Record<string, NameSpec>, domain = 'example.com'): Promise<{ r: CheckResult; resolver: MemoryResolver }> {
  const resolver = new MemoryResolver({ names });
  const r = await checkSpf(makeContext({ domain, resolver }));
  return { r, resolver };
}

const codes = (r: CheckResult): string[] => r.findings.map((f) => f.code);
const one = (r: CheckResult, code: string) => {
  const f = r.findings.find((x) => x.code === code);
  expect(f, `expected ${code} in ${codes(r).join(', ')}`).toBeDefined();
  return f!;
};

/** n provider records, each a plain ip4 list */
function providers(n: number): Record<string, NameSpec> {
  const out: Record<string, NameSpec> = {};
  for (let i = 1; i <= n; i++) out[`p${i}.example.net`] = { TXT: [`v=spf1 ip4:198.51.100.${i} -all`] };
  return out;
}
const includes = (n: number): string => Array.from({ length: n }, (_, i) => `include:p${i + 1}.example.net`).join(' ');

describe('spf check: a sound record', () => {
  it('passes with no findings and shows the record, terms and lookup count', async () => {
    const { r } = await check({
      'example.com': { TXT: ['v=spf1 mx include:p1.example.net -all', 'google-site-verification=abc'], MX: [[10, 'mx.example.com']] },
      'mx.example.com': { A: ['192.0.2.10'] },
      ...providers(1),
    });
    expect(r.status).toBe('pass');
    expect(r.findings).toEqual([]);
    expect(r.summary).toBe('SPF record is valid (2 of 10 DNS lookups)');
    expect(r.evidence.record).toBe('v=spf1 mx include:p1.example.net -all');
    expect(r.evidence.lookupCount).toBe(2);
    expect(r.evidence.terms).toHaveLength(3);
    expect(r.evidence.tree).toMatchObject({ domain: 'example.com', children: [{ domain: 'p1.example.net', via: 'include' }] });
  });

  it('a correct ~300-byte record split over two strings raises nothing', async () => {
    const terms = Array.from({ length: 13 }, (_, i) => `ip4:198.51.100.${i + 100}/32`).join(' ');
    const record = `v=spf1 ${terms} -all`;
    expect(Buffer.byteLength(record)).toBeGreaterThan(280);
    expect(Buffer.byteLength(record)).toBeLessThan(450);
    const { r } = await check({ 'example.com': { TXT: [[record.slice(0, 200), record.slice(200)]] } });
    expect(r.evidence.strings).toHaveLength(2);
    expect(r.evidence.record).toBe(record);
    expect(codes(r)).toEqual([]);
    expect(r.status).toBe('pass');
  });

  it('does not count exp= as a lookup', async () => {
    const { r } = await check({
      'example.com': { TXT: [`v=spf1 ${includes(10)} -all exp=why.example.com`] },
      'why.example.com': { TXT: ['%{i} is not allowed to send for %{d}'] },
      ...providers(10),
    });
    expect(r.evidence.lookupCount).toBe(10);
    expect(codes(r)).not.toContain('spf.too_many_lookups');
    expect(codes(r)).toContain('spf.lookups_near_limit');
  });

  it('does not take an include reached twice (not on one path) for a loop, but counts it twice', async () => {
    const { r } = await check({
      'example.com': { TXT: ['v=spf1 include:a.example.net include:b.example.net -all'] },
      'a.example.net': { TXT: ['v=spf1 include:shared.example.net -all'] },
      'b.example.net': { TXT: ['v=spf1 include:shared.example.net -all'] },
      'shared.example.net': { TXT: ['v=spf1 ip4:192.0.2.0/24 -all'] },
    });
    expect(codes(r)).not.toContain('spf.loop');
    expect(r.evidence.lookupCount).toBe(4);
  });
});

describe('spf check: concurrency', () => {
  it('looks up siblings in parallel and each level as soon as its parent is parsed', async () => {
    const memory = new MemoryResolver({
      names: {
        'example.com': { TXT: ['v=spf1 include:a.example.net include:b.example.net include:c.example.net -all'] },
        'a.example.net': { TXT: ['v=spf1 include:a2.example.net -all'] },
        'b.example.net': { TXT: ['v=spf1 ip4:192.0.2.2 -all'] },
        'c.example.net': { TXT: ['v=spf1 ip4:192.0.2.3 -all'] },
        'a2.example.net': { TXT: ['v=spf1 ip4:192.0.2.4 -all'] },
      },
    });
    let inFlight = 0;
    let most = 0;
    const slow: Resolver = {
      async query(name, type, options) {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 25));
        inFlight--;
        return memory.query(name, type, options);
      },
    };
    const r = await checkSpf(makeContext({ domain: 'example.com', resolver: slow }));
    expect(r.status).toBe('pass');
    // the three includes are fetched together, not one after another (wall time is for `npm run bench`)
    expect(most).toBeGreaterThanOrEqual(3);
  });
});

describe('spf check: lookup failures', () => {
  it('a timeout on an include is untested + dns.lookup_failed, not include_target_no_spf', async () => {
    const { r } = await check({
      'example.com': { TXT: ['v=spf1 include:slow.example.net -all'] },
      'slow.example.net': { fault: 'timeout' },
    });
    expect(r.status).toBe('untested');
    expect(codes(r)).toEqual(['dns.lookup_failed']);
    expect(r.findings[0]!.message).toContain('slow.example.net');
    expect(r.evidence.record).toBe('v=spf1 include:slow.example.net -all');
  });

  it('a SERVFAIL on the TXT lookup is untested, never spf.missing', async () => {
    const { r } = await check({ 'example.com': { fault: 'servfail', faultTypes: ['TXT'], MX: [[10, 'mx.example.com']] } });
    expect(r.status).toBe('untested');
    expect(codes(r)).toEqual(['dns.lookup_failed']);
  });

  it('a failing mx term lookup deeper in the tree is untested too', async () => {
    const { r } = await check({
      'example.com': { TXT: ['v=spf1 include:p.example.net -all'] },
      'p.example.net': { TXT: ['v=spf1 mx:mail.example.net -all'] },
      'mail.example.net': { fault: 'servfail' },
    });
    expect(r.status).toBe('untested');
    expect(codes(r)).toEqual(['dns.lookup_failed']);
  });
});

describe('spf check: one scenario per code', () => {
  it('spf.missing proposes a record from the MX set', async () => {
    const { r } = await check({ 'example.com': { TXT: ['hello'], MX: [[10, 'mx.example.com']] } });
    expect(codes(r)).toEqual(['spf.missing']);
    expect(r.status).toBe('fail');
    expect(one(r, 'spf.missing').fix).toContain('v=spf1 mx -all');
    expect(one(r, 'spf.missing').fix).toContain('mx.example.com');
  });

  it('spf.missing proposes v=spf1 -all when there is no MX', async () => {
    const { r } = await check({ 'example.com': { A: ['192.0.2.1'] } });
    const f = one(r, 'spf.missing');
    expect(f.fix).toContain('v=spf1 -all');
    expect(f.fix).not.toContain('mx');
  });

  it('spf.multiple_records proposes one merged record', async () => {
    const { r } = await check({ 'example.com': { TXT: ['v=spf1 ip4:192.0.2.1 -all', 'v=spf1 include:p1.example.net ~all'] }, ...providers(1) });
    const f = one(r, 'spf.multiple_records');
    expect(f.fix).toContain('v=spf1 ip4:192.0.2.1 include:p1.example.net -all');
    expect(r.status).toBe('fail');
  });

  it('spf.syntax_error names the position and term', async () => {
    const { r } = await check({ 'example.com': { TXT: ['v=spf1 a:mailhost -all include'] } });
    expect(codes(r).filter((c) => c === 'spf.syntax_error')).toHaveLength(2);
    expect(r.findings.map((f) => f.message).join(' ')).toMatch(/at character 10 \("a:mailhost"\)/);
  });

  it('errors inside an included record are reported against that record', async () => {
    const { r } = await check({
      'example.com': { TXT: ['v=spf1 include:p.example.net include:q.example.net -all'] },
      'p.example.net': { TXT: ['v=spf1 ip4:192.0.2.1/40 -all'] },
      'q.example.net': { TXT: ['v=spf1 -all', 'v=spf1 ~all'] },
    });
    expect(one(r, 'spf.invalid_ip_or_cidr').message).toContain('p.example.net (included by "include:p.example.net")');
    expect(one(r, 'spf.multiple_records').message).toContain('q.example.net');
  });

  it('spf.unknown_mechanism suggests the mechanism meant', async () => {
    const { r } = await check({ 'example.com': { TXT: ['v=spf1 inlcude:p1.example.net -all'] }, ...providers(1) });
    const f = one(r, 'spf.unknown_mechanism');
    expect(f.message).toContain('inlcude');
    expect(f.fix).toContain('include:p1.example.net');
  });

  it('spf.invalid_ip_or_cidr', async () => {
    const { r } = await check({ 'example.com': { TXT: ['v=spf1 ip4:192.0.2.300 ip4:192.0.2.0/33 ip4:2001:db8::1 -all'] } });
    expect(codes(r).filter((c) => c === 'spf.invalid_ip_or_cidr')).toHaveLength(3);
    expect(r.findings.map((f) => f.message).join(' ')).toContain('use ip6:');
  });

  it('spf.too_many_lookups counts through includes and names the costliest', async () => {
    const { r } = await check({
      'example.com': { TXT: [`v=spf1 include:big.example.net ${includes(4)} -all`] },
      'big.example.net': { TXT: [`v=spf1 ${includes(6)} ~all`] },
      ...providers(6),
    });
    expect(r.evidence.lookupCount).toBe(1 + 6 + 4);
    const f = one(r, 'spf.too_many_lookups');
    expect(f.message).toContain('11 DNS lookups');
    expect(r.summary).toBe('SPF needs 11 DNS lookups; receivers stop at 10');
    expect(f.fix).toMatch(/costliest terms are include:big\.example\.net \(7 lookups\)/);
    expect(codes(r)).not.toContain('spf.lookups_near_limit');
  });

  it('spf.lookups_near_limit at 8', async () => {
    const { r } = await check({ 'example.com': { TXT: [`v=spf1 ${includes(8)} -all`] }, ...providers(8) });
    expect(codes(r)).toEqual(['spf.lookups_near_limit']);
  });

  it('spf.too_many_void_lookups', async () => {
    const { r } = await check({
      'example.com': { TXT: ['v=spf1 a:old1.example.com a:old2.example.com mx:old3.example.com ip4:192.0.2.1 -all'] },
      'old2.example.com': { TXT: ['something'] },
    });
    const f = one(r, 'spf.too_many_void_lookups');
    expect(f.message).toContain('old1.example.com: NXDOMAIN');
    expect(f.fix).toContain('v=spf1 ip4:192.0.2.1 -all');
  });

  it('spf.mx_too_many_hosts', async () => {
    const mx: Array<[number, string]> = Array.from({ length: 11 }, (_, i) => [i, `mx${i}.example.com`]);
    const { r } = await check({ 'example.com': { TXT: ['v=spf1 mx -all'], MX: mx } });
    expect(one(r, 'spf.mx_too_many_hosts').message).toContain('11 MX records');
  });

  it('spf.include_target_no_spf', async () => {
    const { r } = await check({
      'example.com': { TXT: ['v=spf1 include:typo.example.net ip4:192.0.2.1 -all'] },
      'typo.example.net': { TXT: ['not spf'] },
    });
    const f = one(r, 'spf.include_target_no_spf');
    expect(f.message).toContain('include:typo.example.net');
    expect(f.fix).toContain('v=spf1 ip4:192.0.2.1 -all');
  });

  it('spf.redirect_target_no_spf', async () => {
    const { r } = await check({ 'example.com': { TXT: ['v=spf1 redirect=_spf.example.com'] } });
    expect(one(r, 'spf.redirect_target_no_spf').message).toContain('_spf.example.com does not exist');
  });

  it('spf.loop', async () => {
    const { r } = await check({
      'example.com': { TXT: ['v=spf1 include:a.example.net -all'] },
      'a.example.net': { TXT: ['v=spf1 include:example.com -all'] },
    });
    expect(one(r, 'spf.loop').message).toContain('include:example.com');
  });

  it('spf.pass_all for +all and a bare all', async () => {
    for (const all of ['+all', 'all']) {
      const { r } = await check({ 'example.com': { TXT: [`v=spf1 ip4:192.0.2.1 ${all}`] } });
      expect(one(r, 'spf.pass_all').fix).toContain('v=spf1 ip4:192.0.2.1 -all');
      expect(r.status).toBe('fail');
    }
  });

  it('spf.neutral_all', async () => {
    const { r } = await check({ 'example.com': { TXT: ['v=spf1 ip4:192.0.2.1 ?all'] } });
    expect(codes(r)).toEqual(['spf.neutral_all']);
  });

  it('spf.softfail_all, also when the all comes through a redirect', async () => {
    const { r } = await check({ 'example.com': { TXT: ['v=spf1 ip4:192.0.2.1 ~all'] } });
    expect(codes(r)).toEqual(['spf.softfail_all']);
    expect(r.status).toBe('info');
    const viaRedirect = await check({
      'example.com': { TXT: ['v=spf1 redirect=_spf.example.com'] },
      '_spf.example.com': { TXT: ['v=spf1 ip4:192.0.2.1 ~all'] },
    });
    expect(codes(viaRedirect.r)).toEqual(['spf.softfail_all']);
    expect(viaRedirect.r.findings[0]!.message).toContain('redirect');
  });

  it('spf.no_all_or_redirect', async () => {
    const { r } = await check({ 'example.com': { TXT: ['v=spf1 ip4:192.0.2.1'] } });
    expect(one(r, 'spf.no_all_or_redirect').fix).toContain('v=spf1 ip4:192.0.2.1 -all');
  });

  it('spf.terms_after_all', async () => {
    const { r } = await check({ 'example.com': { TXT: ['v=spf1 ip4:192.0.2.1 -all ip4:192.0.2.2'] } });
    const f = one(r, 'spf.terms_after_all');
    expect(f.message).toContain('ip4:192.0.2.2');
    expect(f.fix).toContain('v=spf1 ip4:192.0.2.1 ip4:192.0.2.2 -all');
  });

  it('spf.redirect_ignored (and the redirect is not counted or followed)', async () => {
    const { r, resolver } = await check({ 'example.com': { TXT: ['v=spf1 ip4:192.0.2.1 redirect=_spf.example.com -all'] } });
    expect(one(r, 'spf.redirect_ignored').fix).toContain('v=spf1 ip4:192.0.2.1 -all');
    expect(codes(r)).not.toContain('spf.redirect_target_no_spf');
    expect(r.evidence.lookupCount).toBe(0);
    expect(resolver.log).not.toContain('_spf.example.com TXT');
  });

  it('spf.ptr_used anywhere in the tree', async () => {
    const { r } = await check({
      'example.com': { TXT: ['v=spf1 include:p.example.net -all'] },
      'p.example.net': { TXT: ['v=spf1 ptr:example.net ~all'] },
    });
    expect(one(r, 'spf.ptr_used').message).toContain('p.example.net');
  });

  it('spf.string_too_long for a TXT character-string over 255 bytes', async () => {
    const terms = Array.from({ length: 20 }, (_, i) => `ip4:198.51.100.${i + 100}/32`).join(' ');
    const record = `v=spf1 ${terms} -all`;
    const { r } = await check({ 'example.com': { TXT: [[record]] } });
    const f = one(r, 'spf.string_too_long');
    expect(f.message).toContain(`${Buffer.byteLength(record)} bytes`);
    expect(f.fix).toMatch(/TXT "v=spf1 [^"]+ " "[^"]+ -all"/);
  });

  it('spf.record_too_large above 450 bytes', async () => {
    const terms = Array.from({ length: 30 }, (_, i) => `ip4:198.51.100.${i + 100}/32`).join(' ');
    const { r } = await check({ 'example.com': { TXT: [`v=spf1 ${terms} -all`] } });
    const f = one(r, 'spf.record_too_large');
    expect(f.fix).toContain('include:_spf.example.com -all');
    expect(codes(r)).not.toContain('spf.string_too_long');
  });

  it('spf.deprecated_rrtype when a type-99 SPF record exists', async () => {
    const { r } = await check({ 'example.com': { TXT: ['v=spf1 -all'], SPF: ['v=spf1 -all'] } });
    expect(codes(r)).toEqual(['spf.deprecated_rrtype']);
    expect(r.evidence.spfTypeRecords).toEqual(['v=spf1 -all']);
  });

  it('spf.deprecated_rrtype and spf.missing when the policy is only in type 99', async () => {
    const { r } = await check({ 'example.com': { SPF: ['v=spf1 mx -all'] } });
    expect(codes(r).sort()).toEqual(['spf.deprecated_rrtype', 'spf.missing']);
  });

  it('spf.macros_unbounded for lookup terms depending on the message, not for %{d}', async () => {
    const { r } = await check({ 'example.com': { TXT: ['v=spf1 exists:%{i}._spf.%{d} -all'] } });
    expect(one(r, 'spf.macros_unbounded').message).toContain('exists:%{i}._spf.%{d}');
    const bounded = await check({
      'example.com': { TXT: ['v=spf1 include:_spf.%{d} -all'] },
      '_spf.example.com': { TXT: ['v=spf1 ip4:192.0.2.1 -all'] },
    });
    expect(codes(bounded.r)).toEqual([]);
    expect(bounded.r.evidence.lookupCount).toBe(1);
  });
});

describe('findSpfRecord', () => {
  it('tells found, absent, multiple and failed apart', async () => {
    const resolver = new MemoryResolver({
      names: {
        'ok.example': { TXT: ['v=spf1 -all', 'other'] },
        'none.example': { TXT: ['v=spf10 -all'] },
        'two.example': { TXT: ['v=spf1 -all', 'V=SPF1 +all'] },
        'bad.example': { fault: 'timeout' },
      },
    });
    expect(await findSpfRecord(resolver, 'ok.example')).toMatchObject({ kind: 'found', record: { text: 'v=spf1 -all', strings: ['v=spf1 -all'] } });
    expect(await findSpfRecord(resolver, 'none.example')).toMatchObject({ kind: 'none', reason: 'no_spf' });
    expect(await findSpfRecord(resolver, 'missing.example')).toMatchObject({ kind: 'none', reason: 'nxdomain' });
    expect(await findSpfRecord(resolver, 'two.example')).toMatchObject({ kind: 'multiple' });
    expect(await findSpfRecord(resolver, 'bad.example')).toMatchObject({ kind: 'failed' });
  });
});

describe('spfAuthorisesSenders (RFC 7505 §4.2)', () => {
  it('is true only when some evaluated term can pass a sender (RFC 7505 §4.2)', () => {
    expect(spfAuthorisesSenders('v=spf1 -all')).toBe(false);
    expect(spfAuthorisesSenders('V=SPF1  -ALL ')).toBe(false);
    expect(spfAuthorisesSenders('v=spf1 -all exp=why.example.com')).toBe(false);
    expect(spfAuthorisesSenders('v=spf1 -all ip4:192.0.2.1')).toBe(false);
    expect(spfAuthorisesSenders('v=spf1 ip4:192.0.2.1 -all')).toBe(true);
    expect(spfAuthorisesSenders('v=spf1 mx -all')).toBe(true);
    expect(spfAuthorisesSenders('v=spf1 ~all')).toBe(false); // softfail authorises nobody
    expect(spfAuthorisesSenders('v=spf1 ?all')).toBe(false);
    expect(spfAuthorisesSenders('v=spf1 -ip4:192.0.2.1 -all')).toBe(false);
    expect(spfAuthorisesSenders('v=spf1 +all')).toBe(true);
    expect(spfAuthorisesSenders('v=spf1 redirect=_spf.example.com')).toBe(true);
  });
});
