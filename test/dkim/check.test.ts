import { describe, expect, it } from 'vitest';
import { DEFAULT_CHECK_OPTIONS, type CheckContext, makeContext } from '../../src/checker/check.ts';
import { checkDkim } from '../../src/checker/checks/dkim/index.ts';
import type { Resolver } from '../../src/checker/dns/types.ts';
import type { CheckResult } from '../../src/checker/types.ts';
import type { NameSpec } from '../world/dns/zone.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';
import { dkim, ed25519, rsaSpki } from './keys.ts';

const D = 'example.com';
const K2048 = rsaSpki(2048);

async function run(names: Record<string, NameSpec>, dkimSelectors: string[] = []) {
  const resolver = new MemoryResolver({ names: { [D]: { MX: [[10, 'mx.example.com']] }, ...names } });
  const ctx: CheckContext = makeContext({
    domain: D,
    resolver,
    signal: new AbortController().signal,
    options: { ...DEFAULT_CHECK_OPTIONS, dkimSelectors },
  });
  const res = await checkDkim(ctx);
  return { res, resolver };
}

const codes = (r: CheckResult) => r.findings.map((f) => f.code);
const one = (r: CheckResult, code: string) => {
  const f = r.findings.filter((x) => x.code === code);
  expect(f).toHaveLength(1);
  return f[0]!;
};
interface KeyEv { selector: string; keyType: string; bits?: number; cnameChain: string[]; flags: string[] }
const keysOf = (r: CheckResult) => r.evidence['keys'] as KeyEv[];
interface Tried { selector: string; source: string; outcome: string; cnameChain?: string[] }
const triedOf = (r: CheckResult) => r.evidence['selectorsTried'] as Tried[];

describe('checkDkim: keys found', () => {
  it('passes with a 2048-bit RSA key at a common selector', async () => {
    const { res } = await run({ [`s1._domainkey.${D}`]: { TXT: [dkim(K2048)] } });
    expect(res.id).toBe('dkim');
    expect(res.status).toBe('pass');
    expect(res.findings).toEqual([]);
    expect(keysOf(res)).toMatchObject([{ selector: 's1', keyType: 'rsa', bits: 2048, cnameChain: [] }]);
    expect(res.summary).toContain('s1 (2048-bit RSA)');
  });

  it('passes with an Ed25519 key (RFC 8463)', async () => {
    const { res } = await run({ [`default._domainkey.${D}`]: { TXT: [`v=DKIM1; k=ed25519; p=${ed25519().raw}`] } });
    expect(res.status).toBe('pass');
    expect(keysOf(res)[0]).toMatchObject({ keyType: 'ed25519', bits: 256 });
  });

  it('tries a user-supplied selector first and passes, whatever the common list does', async () => {
    const { res, resolver } = await run(
      {
        [`mail2024._domainkey.${D}`]: { TXT: [dkim(K2048)] },
        // the common list times out: it must not matter once the user's key is found
        [`default._domainkey.${D}`]: { fault: 'timeout' },
        [`dkim._domainkey.${D}`]: { fault: 'servfail' },
      },
      ['mail2024'],
    );
    expect(res.status).toBe('pass');
    expect(codes(res)).toEqual([]);
    expect(triedOf(res)[0]).toMatchObject({ selector: 'mail2024', source: 'user', outcome: 'answer' });
    expect(resolver.log).toContain(`mail2024._domainkey.${D} TXT`);
  });

  it('finds google._domainkey through a CNAME for a Google-hosted domain and records the chain', async () => {
    const { res } = await run({
      [D]: { MX: [[1, 'aspmx.l.google.com'], [5, 'alt1.aspmx.l.google.com']] },
      [`google._domainkey.${D}`]: { CNAME: 'google.dkim.provider.example' },
      'google.dkim.provider.example': { TXT: [dkim(K2048)] },
    });
    expect(res.status).toBe('pass');
    expect(keysOf(res)[0]).toMatchObject({
      selector: 'google',
      cnameChain: [`google._domainkey.${D}`, 'google.dkim.provider.example'],
    });
    expect(triedOf(res).find((t) => t.selector === 'google')).toMatchObject({ source: 'provider' });
    expect(res.evidence['providers']).toMatchObject([{ provider: 'Google Workspace' }]);
  });

  it('queries provider-only selectors (Fastmail fm1) only when the MX points there', async () => {
    const names: Record<string, NameSpec> = {
      [`fm1._domainkey.${D}`]: { CNAME: `fm1.${D}.dkim.fmhosted.example` },
      [`fm1.${D}.dkim.fmhosted.example`]: { TXT: [dkim(K2048)] },
    };
    const fastmail = await run({ ...names, [D]: { MX: [[10, 'in1-smtp.messagingengine.com']] } });
    expect(fastmail.res.status).toBe('pass');
    expect(keysOf(fastmail.res)[0]!.selector).toBe('fm1');

    const other = await run(names);
    expect(other.resolver.log).not.toContain(`fm1._domainkey.${D} TXT`);
    expect(codes(other.res)).toContain('dkim.not_found');
  });

  it('runs the selector lookups concurrently, not one after another', async () => {
    const inner = new MemoryResolver({ names: { [D]: { MX: [[1, 'aspmx.l.google.com']] } } });
    let inFlight = 0;
    let peak = 0;
    const resolver: Resolver = {
      async query(name, type, options) {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return inner.query(name, type, options);
      },
    };
    await checkDkim(makeContext({ domain: D, resolver }));
    // the common list, _domainkey, MX and TXT all start together
    expect(peak).toBeGreaterThanOrEqual(16);
  });

  it('asks all selectors in one round, with a bounded number of queries', async () => {
    const { resolver } = await run({ [`s1._domainkey.${D}`]: { TXT: [dkim(K2048)] } });
    const selectorQueries = resolver.log.filter((q) => q.includes('._domainkey.'));
    expect(new Set(selectorQueries).size).toBe(selectorQueries.length);
    expect(selectorQueries.length).toBeLessThanOrEqual(25);
    expect(resolver.log).toContain(`_domainkey.${D} TXT`);
  });
});

describe('checkDkim: absence and failures', () => {
  it('reports not_found listing the selectors tried, with how to name the right one, plus the _domainkey NXDOMAIN hint', async () => {
    const { res } = await run({});
    expect(res.status).toBe('warn');
    expect(codes(res).sort()).toEqual(['dkim.domainkey_nxdomain', 'dkim.not_found']);
    const nf = one(res, 'dkim.not_found');
    expect(nf.message).toContain('default, dkim, mail');
    expect(nf.fix).toContain(`posture check ${D} --dkim-selectors`);
    expect(nf.fix).toContain('s=');
    const nx = one(res, 'dkim.domainkey_nxdomain');
    expect(nx.severity).toBe('info');
    expect(nx.message).toContain(`_domainkey.${D}`);
    expect(nx.message).toMatch(/hint, not proof/);
  });

  it('does not raise domainkey_nxdomain when _domainkey exists', async () => {
    const { res } = await run({ [`_domainkey.${D}`]: { TXT: ['o=~'] } });
    expect(codes(res)).toEqual(['dkim.not_found']);
  });

  it('names the selectors the user gave in not_found', async () => {
    const { res } = await run({}, ['sel2030']);
    expect(one(res, 'dkim.not_found').message).toMatch(/you gave \(sel2030\)/);
  });

  it('is untested, not not_found, when every selector lookup times out', async () => {
    const { res } = await run({ [`*._domainkey.${D}`]: { fault: 'timeout' } });
    expect(res.status).toBe('untested');
    expect(codes(res)).toEqual(['dns.lookup_failed']);
    expect(res.summary).toMatch(/every selector lookup failed/);
    expect(one(res, 'dns.lookup_failed').message).toMatch(/timed out/);
  });

  it('is untested when some lookups fail and none finds a key', async () => {
    const { res } = await run({ [`google._domainkey.${D}`]: { fault: 'servfail' } });
    expect(res.status).toBe('untested');
    expect(codes(res)).toEqual(['dns.lookup_failed']);
    expect(one(res, 'dns.lookup_failed').message).toContain(`google._domainkey.${D}: SERVFAIL`);
  });

  it('ignores a wildcard TXT that is not a DKIM key instead of calling it invalid', async () => {
    const { res } = await run({ [`*._domainkey.${D}`]: { TXT: ['google-site-verification=abc'] } });
    expect(codes(res)).toEqual(['dkim.not_found']);
  });

  it('says when provider selectors could not be derived because the MX lookup failed', async () => {
    const { res } = await run({ [D]: { fault: 'timeout', faultTypes: ['MX'] } });
    expect(res.status).toBe('warn');
    expect(one(res, 'dkim.not_found').message).toMatch(/MX lookup for example\.com \(timed out\) failed/);
  });

  it('softens not_found to info when SPF says the domain sends no mail', async () => {
    const { res } = await run({ [D]: { TXT: ['v=spf1 -all'] } });
    const nf = one(res, 'dkim.not_found');
    expect(nf.severity).toBe('info');
    expect(nf.message).toMatch(/sends no mail/);
  });

  it('explains a Microsoft 365 selector CNAME whose target holds no key', async () => {
    const { res } = await run({
      [D]: { MX: [[0, 'example-com.mail.protection.outlook.com']] },
      [`selector1._domainkey.${D}`]: { CNAME: 'selector1-example-com._domainkey.example.onmicrosoft.com' },
    });
    const nf = one(res, 'dkim.not_found');
    expect(nf.message).toMatch(new RegExp(`selector1\\._domainkey\\.${D.replace('.', '\\.')} is an alias \\(CNAME\\)`));
    expect(nf.fix).toMatch(/Microsoft 365/);
    expect(triedOf(res).find((t) => t.selector === 'selector1')?.cnameChain).toEqual([`selector1._domainkey.${D}`]);
  });
});

describe('checkDkim: key problems', () => {
  it('key_revoked alone: the revoked key is reported and no working key means not_found too', async () => {
    const { res } = await run({ [`s1._domainkey.${D}`]: { TXT: ['v=DKIM1; k=rsa; p='] } });
    expect(codes(res).sort()).toEqual(['dkim.key_revoked', 'dkim.not_found']);
    expect(one(res, 'dkim.key_revoked').severity).toBe('info');
    expect(one(res, 'dkim.not_found').message).toMatch(/revoked/);
  });

  it('key_revoked beside a working key is just info', async () => {
    const { res } = await run({
      [`s1._domainkey.${D}`]: { TXT: ['v=DKIM1; p='] },
      [`s2._domainkey.${D}`]: { TXT: [dkim(K2048)] },
    });
    expect(codes(res)).toEqual(['dkim.key_revoked']);
    expect(res.status).toBe('info');
  });

  it('key_too_short for an RSA key under 1024 bits', async () => {
    const { res } = await run({ [`s1._domainkey.${D}`]: { TXT: [dkim(rsaSpki(768))] } });
    expect(res.status).toBe('fail');
    expect(codes(res)).toEqual(['dkim.key_too_short']);
    const f = one(res, 'dkim.key_too_short');
    expect(f.message).toContain('768-bit');
    expect(f.ref).toBe('RFC 8301 §3.2');
    expect(codes(res)).not.toContain('dkim.key_1024');
  });

  it('key_1024 with a concrete rotation fix', async () => {
    const { res } = await run({ [`mail._domainkey.${D}`]: { TXT: [dkim(rsaSpki(1024))] } });
    expect(res.status).toBe('warn');
    expect(codes(res)).toEqual(['dkim.key_1024']);
    const f = one(res, 'dkim.key_1024');
    expect(f.message).toContain('1024-bit');
    expect(f.fix).toMatch(/2048-bit/);
    expect(f.fix).toMatch(new RegExp(`s\\d{4}\\._domainkey\\.${D.replace('.', '\\.')}`));
    expect(f.fix).toContain(`mail._domainkey.${D}`);
  });

  it('a weak key delegated by CNAME is fixed at the provider', async () => {
    const { res } = await run({
      [D]: { MX: [[1, 'aspmx.l.google.com']] },
      [`google._domainkey.${D}`]: { CNAME: 'google.dkim.provider.example' },
      'google.dkim.provider.example': { TXT: [dkim(rsaSpki(1024))] },
    });
    const f = one(res, 'dkim.key_1024');
    expect(f.message).toContain('an alias (CNAME) of google.dkim.provider.example');
    expect(f.fix).toMatch(/provider's console \(Google Workspace/);
  });

  it('sha1_only when h= allows only SHA-1', async () => {
    const { res } = await run({ [`s1._domainkey.${D}`]: { TXT: [dkim(K2048, 'h=sha1')] } });
    expect(res.status).toBe('fail');
    expect(codes(res)).toEqual(['dkim.sha1_only']);
    const pasteable = /"(v=DKIM1[^"]*)"/.exec(one(res, 'dkim.sha1_only').fix)?.[1];
    expect(pasteable).toBe(`v=DKIM1; k=rsa; p=${K2048}`);
  });

  it('no sha1_only when h= also allows sha256', async () => {
    const { res } = await run({ [`s1._domainkey.${D}`]: { TXT: [dkim(K2048, 'h=sha1:sha256')] } });
    expect(res.status).toBe('pass');
  });

  it('testing_mode for t=y', async () => {
    const { res } = await run({ [`s1._domainkey.${D}`]: { TXT: [dkim(K2048, 't=y')] } });
    expect(res.status).toBe('warn');
    expect(codes(res)).toEqual(['dkim.testing_mode']);
    expect(keysOf(res)[0]!.flags).toEqual(['y']);
  });

  it('no testing_mode for t=s', async () => {
    const { res } = await run({ [`s1._domainkey.${D}`]: { TXT: [dkim(K2048, 't=s')] } });
    expect(res.status).toBe('pass');
  });

  it('service_type_excludes_email for s= without email or *', async () => {
    const { res } = await run({ [`s1._domainkey.${D}`]: { TXT: [dkim(K2048, 's=tlsrpt')] } });
    expect(codes(res)).toEqual(['dkim.service_type_excludes_email']);
    const ok = await run({ [`s1._domainkey.${D}`]: { TXT: [dkim(K2048, 's=email')] } });
    expect(ok.res.status).toBe('pass');
  });

  it.each([
    ['a bad v=', `v=DKIM2; p=${K2048}`, /v=DKIM2/],
    ['an unknown k=', `v=DKIM1; k=dsa; p=${K2048}`, /k=dsa/],
    ['an undecodable p=', 'v=DKIM1; k=rsa; p=Zm9vYmFy', /does not decode/],
    ['a wrong-length Ed25519 key', `v=DKIM1; k=ed25519; p=${Buffer.alloc(40).toString('base64')}`, /40 bytes/],
  ])('invalid_record for %s', async (_label, record, why) => {
    const { res } = await run({ [`s1._domainkey.${D}`]: { TXT: [record] } });
    expect(res.status).toBe('fail');
    expect(codes(res)).toEqual(['dkim.invalid_record']);
    expect(one(res, 'dkim.invalid_record').message).toMatch(why);
    expect(codes(res)).not.toContain('dkim.not_found');
  });

  it('invalid_record for several TXT records at one selector', async () => {
    const { res } = await run({ [`s1._domainkey.${D}`]: { TXT: [dkim(K2048), dkim(rsaSpki(2048))] } });
    const f = one(res, 'dkim.invalid_record');
    expect(f.message).toMatch(/has 2 TXT records/);
    expect(f.ref).toMatch(/§3\.6\.2\.2/);
  });

  it('invalid_record when the selector the user named holds a non-DKIM TXT', async () => {
    const { res } = await run({ [`promo._domainkey.${D}`]: { TXT: ['hello world'] } }, ['promo']);
    expect(codes(res)).toContain('dkim.invalid_record');
    expect(codes(res)).not.toContain('dkim.not_found');
  });

  it('joins a key split over several character-strings', async () => {
    const rec = dkim(K2048);
    const { res } = await run({ [`s1._domainkey.${D}`]: { TXT: [[rec.slice(0, 200), rec.slice(200)]] } });
    expect(res.status).toBe('pass');
  });
});
