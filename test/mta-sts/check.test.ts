/**
 * The MTA-STS check against the fixture world: DNS from a MemoryResolver, the
 * policy hosts published at TEST-NET addresses (192.0.2.x) and routed to the
 * loopback HTTPS world with --connect-to rules; certificates from a TestCa.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeContext, type CheckContext } from '../../src/checker/check.ts';
import type { DnsResponse, QueryOptions, RRType, Resolver } from '../../src/checker/dns/types.ts';
import { checkMtaSts, mtaStsMode, parsePolicy } from '../../src/checker/checks/mta-sts/index.ts';
import type { CheckResult } from '../../src/checker/types.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';
import type { NameSpec } from '../world/dns/zone.ts';
import { startHttpsWorld, type HttpsWorld, type Route, type VirtualHost } from '../world/https-server.ts';
import { TestCa, selfSigned } from '../world/tls/ca.ts';
import { installLoopbackGuard, type LoopbackGuard } from '../world/loopback-guard.ts';

const WELL_KNOWN = '/.well-known/mta-sts.txt';

function policy(mode: string, mx: string[], maxAge = 1209600, eol = '\n'): string {
  return ['version: STSv1', `mode: ${mode}`, ...mx.map((m) => `mx: ${m}`), `max_age: ${maxAge}`, ''].join(eol);
}

function body(text: string, contentType = 'text/plain; charset=utf-8'): Route {
  return { kind: 'body', body: text, contentType };
}

/** One scenario: its DNS (beyond the defaults) and what its policy host serves. */
interface Scenario {
  mx?: string[];
  txt?: Array<string | string[]>;
  /** route for the policy; undefined = 404 */
  route?: Route;
  /** certificate kind for mta-sts.<domain> */
  cert?: 'good' | 'expired' | 'wrong' | 'self' | 'otherca';
  /** override the address of mta-sts.<domain> (default 192.0.2.x) */
  policyA?: string[] | null;
  names?: Record<string, NameSpec>;
}

const RECORD = 'v=STSv1; id=20260101000000';

const SCENARIOS: Record<string, Scenario> = {
  'good.test': { mx: ['mx1.good.test', 'mx2.good.test'], route: body(policy('enforce', ['*.good.test'])) },
  'expired.test': { route: body(policy('enforce', ['mail.expired.test'])), cert: 'expired' },
  'wrongname.test': { route: body(policy('enforce', ['mail.wrongname.test'])), cert: 'wrong' },
  'selfsigned.test': { route: body(policy('enforce', ['mail.selfsigned.test'])), cert: 'self' },
  'otherca.test': { route: body(policy('enforce', ['mail.otherca.test'])), cert: 'otherca' },
  'redirect.test': { route: { kind: 'redirect', location: 'https://www.redirect.test/.well-known/mta-sts.txt', status: 301 } },
  'notfound.test': {},
  'servererror.test': { route: { kind: 'status', status: 500, body: 'oops' } },
  'ctype.test': { route: body(policy('enforce', ['mail.ctype.test']), 'text/html') },
  'big.test': { route: { kind: 'oversized', bytes: 200_000 } },
  'bigchunked.test': { route: { kind: 'oversized', bytes: 200_000, declareLength: false } },
  'invalid.test': { route: body('version: STSv1\nmode: enforcing\nmx: mail.invalid.test\nmax_age: 86400x\n') },
  'html.test': { route: body('<!doctype html><html><body>Welcome</body></html>') },
  'dupes.test': { route: body('version: STSv1\nmode: enforce\nmode: testing\nmx: mail.dupes.test\nmax_age: 1209600\n') },
  'testing.test': { route: body(policy('testing', ['mail.testing.test'])) },
  'testuncov.test': { mx: ['mail.testuncov.test', 'backup.elsewhere.test'], route: body(policy('testing', ['mail.testuncov.test'])) },
  'none.test': { mx: ['mail.none.test'], route: body('version: STSv1\nmode: none\nmax_age: 86400\n') },
  'shortage.test': { route: body(policy('enforce', ['mail.shortage.test'], 86400)) },
  'uncovered.test': { mx: ['mail.uncovered.test', 'backup.elsewhere.test'], route: body(policy('enforce', ['mail.uncovered.test'])) },
  'wild.test': { mx: ['a.b.mail.wild.test'], route: body(policy('enforce', ['*.mail.wild.test'])) },
  'several.test': { txt: [RECORD, 'v=STSv1; id=2'], route: body(policy('enforce', ['mail.several.test'])) },
  'badid.test': { txt: ['v=STSv1; id=2026-01-01'], route: body(policy('enforce', ['mail.badid.test'])) },
  'nearmiss.test': { txt: ['v=stsv1; id=1'], route: body(policy('enforce', ['mail.nearmiss.test'])) },
  // serves a policy, but publishes no record: the fetch result must be ignored
  'missing.test': { mx: ['mx1.missing.test', 'mx2.missing.test'], txt: [], route: body(policy('enforce', ['nothing.test'])) },
  'othertxt.test': { txt: ['google-site-verification=abc'] },
  'loop.test': { policyA: ['127.0.0.1'], route: body(policy('enforce', ['mail.loop.test'])) },
  'nohost.test': { policyA: null },
  'ext.test': { route: body(`${policy('enforce', ['mail.ext.test'])}foo_bar: baz\nx-vendor.flag: 1\n`) },
  'crlf.test': { route: body(policy('enforce', ['mail.crlf.test'], 1209600, '\r\n')) },
  'slowtxt.test': { names: { '_mta-sts.slowtxt.test': { fault: 'timeout' } } },
  'slowpolicy.test': { route: { kind: 'slow-headers', delayMs: 5000, body: policy('enforce', ['mail.slowpolicy.test']) } },
  'implicit.test': { mx: [], names: { 'implicit.test': { A: ['192.0.2.200'] } }, route: body(policy('enforce', ['implicit.test'])) },
  'nullmx.test': { mx: ['.'], txt: [] },
  'mxfail.test': { names: { 'mxfail.test': { fault: 'servfail', faultTypes: ['MX'] } }, route: body(policy('enforce', ['mail.mxfail.test'])) },
};

let ca: TestCa;
let world: HttpsWorld;
let guard: LoopbackGuard;
let resolver: MemoryResolver;
const addressOf = new Map<string, string>();

beforeAll(async () => {
  guard = installLoopbackGuard();
  ca = await TestCa.create();
  const otherCa = await TestCa.create('Somebody Else CA');
  const names: Record<string, NameSpec> = {};
  const hosts: Record<string, VirtualHost> = {};
  let n = 10;
  for (const [domain, s] of Object.entries(SCENARIOS)) {
    const host = `mta-sts.${domain}`;
    const mx = s.mx ?? [`mail.${domain}`];
    names[domain] = { ...(mx.length > 0 ? { MX: mx.map((m, i) => [10 * (i + 1), m] as [number, string]) } : {}), ...s.names?.[domain] };
    if (s.txt === undefined) names[`_mta-sts.${domain}`] = { TXT: [RECORD] };
    else if (s.txt.length > 0) names[`_mta-sts.${domain}`] = { TXT: s.txt };
    if (s.policyA !== null) {
      const a = s.policyA ?? [`192.0.2.${n++}`];
      names[host] = { A: a };
      addressOf.set(domain, a[0]!);
    }
    for (const [name, spec] of Object.entries(s.names ?? {})) if (name !== domain) names[name] = spec;
    const cert = s.cert === 'expired' ? await ca.issueExpired([host])
      : s.cert === 'wrong' ? await ca.issueWrongName([`www.${domain}`])
        : s.cert === 'self' ? await selfSigned([host])
          : s.cert === 'otherca' ? await otherCa.issue([host])
            : await ca.issue([host]);
    hosts[host] = { cert, routes: s.route ? { [WELL_KNOWN]: s.route } : {} };
  }
  resolver = new MemoryResolver({ names });
  world = await startHttpsWorld({ hosts, defaultCert: await ca.issue(['default.invalid']) });
});

afterAll(async () => {
  await world?.close();
  guard?.uninstall();
  expect(guard.refused).toEqual([]);
});

function ctxFor(domain: string, options: { allowPrivateNetworks?: boolean; timeoutMs?: number; resolver?: Resolver } = {}): CheckContext {
  return makeContext({
    domain,
    resolver: options.resolver ?? resolver,
    options: {
      connectTo: [`mta-sts.${domain}:443:127.0.0.1:${world.port}`],
      extraCa: [ca.certPem],
      allowPrivateNetworks: options.allowPrivateNetworks ?? false,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    },
  });
}

const run = (domain: string, options?: Parameters<typeof ctxFor>[1]): Promise<CheckResult> => checkMtaSts(ctxFor(domain, options));
const codes = (r: CheckResult): string[] => r.findings.map((f) => f.code);
function only(r: CheckResult, code: string) {
  const f = r.findings.filter((x) => x.code === code);
  expect(f, `findings: ${JSON.stringify(r.findings, null, 2)}`).toHaveLength(1);
  return f[0]!;
}

function expectWellFormed(r: CheckResult): void {
  expect(r.id).toBe('mta_sts');
  for (const f of r.findings) {
    expect(f.message.length).toBeGreaterThan(20);
    expect(f.fix.length).toBeGreaterThan(10);
    expect(f.ref).toMatch(/RFC/);
  }
}

describe('a good policy', () => {
  it('enforce covering every MX → pass, with evidence', async () => {
    const r = await run('good.test');
    expectWellFormed(r);
    expect(r.findings).toEqual([]);
    expect(r.status).toBe('pass');
    expect(r.summary).toMatch(/enforce: 2 of 2 MX hosts covered/);
    expect(mtaStsMode(r)).toBe('enforce');
    const e = r.evidence as Record<string, any>;
    expect(e.stsRecords).toEqual([RECORD]);
    expect(e.id).toBe('20260101000000');
    expect(e.fetch).toMatchObject({ url: 'https://mta-sts.good.test/.well-known/mta-sts.txt', status: 200, contentType: 'text/plain; charset=utf-8', address: addressOf.get('good.test'), connectedTo: `127.0.0.1:${world.port}` });
    expect(e.fetch.bytes).toBe(policy('enforce', ['*.good.test']).length);
    expect(e.policy).toMatchObject({ version: 'STSv1', mode: 'enforce', maxAge: 1209600, mx: ['*.good.test'] });
    expect(e.mxHosts).toEqual([{ host: 'mx1.good.test', coveredBy: '*.good.test' }, { host: 'mx2.good.test', coveredBy: '*.good.test' }]);
    expect(e.tls).toMatchObject({ authorized: true, certificate: { subjectAltNames: ['mta-sts.good.test'] } });
    expect(e.tls.certificate.notAfter).toMatch(/^\d{4}-/);
  });

  it('an unknown extension key is valid', async () => {
    const r = await run('ext.test');
    expect(r.status).toBe('pass');
    expect((r.evidence as any).policy.extensions).toEqual([{ name: 'foo_bar', value: 'baz' }, { name: 'x-vendor.flag', value: '1' }]);
  });

  it('CRLF line endings are valid', async () => {
    const r = await run('crlf.test');
    expect(r.status).toBe('pass');
    expect((r.evidence as any).policy.lineEnding).toBe('crlf');
  });

  it('implicit MX: the domain itself must be covered', async () => {
    const r = await run('implicit.test');
    expect(r.status).toBe('pass');
    expect((r.evidence as any).mxSource).toBe('implicit');
    expect((r.evidence as any).mxHosts).toEqual([{ host: 'implicit.test', coveredBy: 'implicit.test' }]);
  });

  it('starts the policy fetch before the TXT answer arrives', async () => {
    // the TXT answer is held back until the policy host's address has been asked for
    let sawA: () => void = () => {};
    const asked = new Promise<void>((resolve) => (sawA = resolve));
    const gated: Resolver = {
      async query<T extends RRType>(name: string, type: T, opts?: QueryOptions): Promise<DnsResponse<T>> {
        if (name === 'mta-sts.good.test') sawA();
        if (name === '_mta-sts.good.test' && type === 'TXT') {
          await Promise.race([asked, new Promise((_, reject) => setTimeout(() => reject(new Error('policy fetch did not start in parallel')), 2000))]);
        }
        return resolver.query(name, type, opts);
      },
    };
    const r = await run('good.test', { resolver: gated });
    expect(r.status).toBe('pass');
  });
});

describe('the TXT record', () => {
  it('missing → warn, with the exact policy and TXT record to publish; the served file is ignored', async () => {
    const r = await run('missing.test');
    expectWellFormed(r);
    expect(r.status).toBe('warn');
    const f = only(r, 'mta_sts.missing');
    expect(f.severity).toBe('warn');
    expect(f.message).toMatch(/_mta-sts\.missing\.test does not exist/);
    expect(f.fix).toContain('https://mta-sts.missing.test/.well-known/mta-sts.txt');
    expect(f.fix).toContain('version: STSv1\nmode: testing\nmx: *.missing.test\nmax_age: 604800');
    expect(f.fix).toMatch(/_mta-sts\.missing\.test\. TXT "v=STSv1; id=\d{14}"/);
    expect(f.fix).toMatch(/TLS-RPT/);
    expect(mtaStsMode(r)).toBeNull();
    expect((r.evidence as any).policy).toBeUndefined();
  });

  it('other TXT records only → missing, naming them', async () => {
    const r = await run('othertxt.test');
    expect(only(r, 'mta_sts.missing').message).toMatch(/none starts with "v=STSv1" \("google-site-verification=abc"\)/);
  });

  it('a timeout at _mta-sts → untested, not missing', async () => {
    const r = await run('slowtxt.test');
    expect(r.status).toBe('untested');
    expect(codes(r)).toEqual(['dns.lookup_failed']);
    expect(r.findings[0]!.message).toMatch(/_mta-sts\.slowtxt\.test/);
    expect(mtaStsMode(r)).toBeNull();
  });

  it('several v=STSv1 records → record_invalid', async () => {
    const r = await run('several.test');
    expectWellFormed(r);
    expect(r.status).toBe('fail');
    const f = only(r, 'mta_sts.record_invalid');
    expect(f.message).toMatch(/2 TXT records/);
    expect(f.message).toContain('"v=STSv1; id=2"');
    expect(mtaStsMode(r)).toBeNull();
  });

  it('an invalid id → record_invalid, saying why', async () => {
    const r = await run('badid.test');
    const f = only(r, 'mta_sts.record_invalid');
    expect(f.message).toMatch(/id=2026-01-01 is not 1 to 32 letters and digits/);
    expect(f.fix).toMatch(/TXT "v=STSv1; id=\d{14}"/);
    expect(mtaStsMode(r)).toBeNull();
  });

  it('a wrong-case version → record_invalid (senders discard it)', async () => {
    const r = await run('nearmiss.test');
    expect(only(r, 'mta_sts.record_invalid').message).toMatch(/case-sensitive/);
  });

  it('null MX and no record → missing as info only', async () => {
    const r = await run('nullmx.test');
    expect(r.status).toBe('info');
    expect(only(r, 'mta_sts.missing').severity).toBe('info');
  });
});

describe('fetching the policy (RFC 8461 §3.3)', () => {
  it('an expired certificate → policy_cert_invalid, saying expired', async () => {
    const r = await run('expired.test');
    expectWellFormed(r);
    const f = only(r, 'mta_sts.policy_cert_invalid');
    expect(f.message).toMatch(/not valid \(expired\): the certificate has expired \(CERT_HAS_EXPIRED\)/);
    expect(f.fix).toMatch(/Renew/);
    expect((r.evidence as any).tls).toMatchObject({ authorized: false, error: 'CERT_HAS_EXPIRED' });
    expect(mtaStsMode(r)).toBeNull();
  });

  it('a certificate for another name → policy_cert_invalid, saying wrong name', async () => {
    const r = await run('wrongname.test');
    const f = only(r, 'mta_sts.policy_cert_invalid');
    expect(f.message).toMatch(/not valid \(wrong name\): the certificate is not valid for this host name/);
    expect(f.message).toContain('www.wrongname.test');
  });

  it('a self-signed or unknown-CA certificate → policy_cert_invalid, saying untrusted', async () => {
    const self = only(await run('selfsigned.test'), 'mta_sts.policy_cert_invalid');
    expect(self.message).toMatch(/not valid \(untrusted\): the certificate is self-signed/);
    const other = only(await run('otherca.test'), 'mta_sts.policy_cert_invalid');
    expect(other.message).toMatch(/not valid \(untrusted\): /);
    expect(other.message).toContain('issued by CN=Somebody Else CA');
  });

  it('a redirect → policy_redirect naming the Location, never followed', async () => {
    const before = world.requests.length;
    const r = await run('redirect.test');
    const f = only(r, 'mta_sts.policy_redirect');
    expect(f.message).toMatch(/HTTP 301, redirecting to https:\/\/www\.redirect\.test\/\.well-known\/mta-sts\.txt/);
    expect(world.requests.slice(before)).toEqual([`mta-sts.redirect.test ${WELL_KNOWN}`]);
    expect((r.evidence as any).fetch.location).toBe('https://www.redirect.test/.well-known/mta-sts.txt');
  });

  it('404 and 500 → policy_http_error', async () => {
    const nf = only(await run('notfound.test'), 'mta_sts.policy_http_error');
    expect(nf.message).toMatch(/HTTP 404/);
    expect(nf.fix).toContain('version: STSv1\nmode: testing\nmx: mail.notfound.test\nmax_age: 604800');
    expect(only(await run('servererror.test'), 'mta_sts.policy_http_error').message).toMatch(/HTTP 500/);
  });

  it('a wrong content type → policy_content_type (warn), policy still judged', async () => {
    const r = await run('ctype.test');
    expect(codes(r)).toEqual(['mta_sts.policy_content_type']);
    expect(r.status).toBe('warn');
    expect(r.findings[0]!.message).toMatch(/"text\/html"/);
    expect(mtaStsMode(r)).toBe('enforce');
  });

  it('a body over 64 KiB → policy_too_large (declared or chunked)', async () => {
    only(await run('big.test'), 'mta_sts.policy_too_large');
    only(await run('bigchunked.test'), 'mta_sts.policy_too_large');
  });

  it('a policy host resolving to 127.0.0.1 without --allow-private-networks → unreachable, no socket opened', async () => {
    const before = world.acceptedSockets;
    const r = await run('loop.test');
    const f = only(r, 'mta_sts.policy_host_unreachable');
    expect(f.message).toMatch(/127\.0\.0\.1 is a loopback address/);
    expect(f.message).toMatch(/--allow-private-networks/);
    expect(world.acceptedSockets).toBe(before);
  });

  it('with --allow-private-networks the same host is fetched', async () => {
    // connect-to still applies: 127.0.0.1:443 → the world's port
    const r = await run('loop.test', { allowPrivateNetworks: true });
    expect(r.status).toBe('pass');
  });

  it('no address for mta-sts.<domain> → unreachable', async () => {
    expect(only(await run('nohost.test'), 'mta_sts.policy_host_unreachable').message).toMatch(/no A or AAAA record \(NXDOMAIN\)/);
  });

  it('a policy host that never answers → unreachable (timeout)', async () => {
    const r = await run('slowpolicy.test', { timeoutMs: 1000 });
    expect(only(r, 'mta_sts.policy_host_unreachable').message).toMatch(/did not answer in time/);
  });
});

describe('the policy (RFC 8461 §3.2) and MX coverage (§4.1)', () => {
  it('an invalid policy → policy_invalid listing the problems', async () => {
    const r = await run('invalid.test');
    expectWellFormed(r);
    const f = only(r, 'mta_sts.policy_invalid');
    expect(f.severity).toBe('fail');
    expect(f.message).toMatch(/mode is "enforcing"/);
    expect(f.message).toMatch(/max_age is "86400x"/);
    expect(f.fix).toContain('mx: mail.invalid.test');
    expect(parsePolicy(f.fix.split('\n\n')[1]!).errors).toEqual([]);
    expect(mtaStsMode(r)).toBeNull();
  });

  it('a web page instead of a policy → policy_invalid', async () => {
    only(await run('html.test'), 'mta_sts.policy_invalid');
  });

  it('a repeated mode → warning; senders use the first', async () => {
    const r = await run('dupes.test');
    const f = only(r, 'mta_sts.policy_invalid');
    expect(f.severity).toBe('warn');
    expect(mtaStsMode(r)).toBe('enforce');
  });

  it('mode testing → mode_testing (warn) with the path to enforce', async () => {
    const r = await run('testing.test');
    const f = only(r, 'mta_sts.mode_testing');
    expect(f.severity).toBe('warn');
    expect(f.fix).toMatch(/mode: enforce/);
    expect(f.fix).toMatch(/TLS-RPT/);
    expect(mtaStsMode(r)).toBe('testing');
  });

  it('mode none → mode_none (info), coverage not raised', async () => {
    const r = await run('none.test');
    expect(codes(r)).toEqual(['mta_sts.mode_none']);
    expect(r.status).toBe('info');
    expect(mtaStsMode(r)).toBe('none');
  });

  it('max_age under a week → max_age_short', async () => {
    expect(only(await run('shortage.test'), 'mta_sts.max_age_short').message).toMatch(/86400 seconds \(1 day\)/);
  });

  it('an MX host no pattern covers → mx_not_covered (fail under enforce)', async () => {
    const r = await run('uncovered.test');
    const f = only(r, 'mta_sts.mx_not_covered');
    expect(f.severity).toBe('fail');
    expect(f.message).toMatch(/backup\.elsewhere\.test/);
    expect(f.message).not.toMatch(/mail\.uncovered\.test matches/);
    expect(f.fix).toContain('mx: mail.uncovered.test\nmx: backup.elsewhere.test');
    expect((r.evidence as any).mxHosts).toEqual([
      { host: 'mail.uncovered.test', coveredBy: 'mail.uncovered.test' },
      { host: 'backup.elsewhere.test', coveredBy: null },
    ]);
  });

  it('under testing, an uncovered MX is a warning and says why', async () => {
    const r = await run('testuncov.test');
    const f = only(r, 'mta_sts.mx_not_covered');
    expect(f.severity).toBe('warn');
    expect(f.message).toMatch(/testing mode/);
  });

  it('a one-label wildcard does not cover a.b.mail.<domain>', async () => {
    const r = await run('wild.test');
    const f = only(r, 'mta_sts.mx_not_covered');
    expect(f.message).toMatch(/exactly one left-most label/);
    expect(f.message).toContain('a.b.mail.wild.test');
  });

  it('an MX lookup failure → coverage unknown (dns.lookup_failed), nothing claimed', async () => {
    const r = await run('mxfail.test');
    expect(codes(r)).toEqual(['dns.lookup_failed']);
    expect((r.evidence as any).mxSource).toBe('unknown');
    expect(r.summary).toMatch(/MX coverage not checked/);
  });
});
