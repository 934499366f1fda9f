import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkStartTls, cipherWeaknesses, planProbes, MAX_ADDRESSES_PER_FAMILY } from '../../src/checker/checks/starttls.ts';
import { createRunResources } from '../../src/checker/check.ts';
import { resolveMxHosts } from '../../src/checker/checks/mx.ts';
import type { CheckResult } from '../../src/checker/types.ts';
import { TestCa, selfSigned, type IssuedCert } from '../world/tls/ca.ts';
import { installLoopbackGuard, type LoopbackGuard } from '../world/loopback-guard.ts';
import { FAST, closeWorlds, closedPort, context, tlsaData, world } from './world.ts';

let ca: TestCa;
let guard: LoopbackGuard;
let good: IssuedCert;

const MX = 'mx.example.test';
const ADDR = '192.0.2.25';

beforeAll(async () => {
  guard = installLoopbackGuard();
  ca = await TestCa.create();
  good = await ca.issue([MX]);
});

afterAll(async () => {
  await closeWorlds();
  guard?.uninstall();
});

afterEach(() => {
  expect(guard.refused).toEqual([]);
});

const codes = (r: CheckResult): string[] => r.findings.map((f) => f.code);
const sev = (r: CheckResult, code: string): string | undefined => r.findings.find((f) => f.code === code)?.severity;

async function checkAgainst(cert: IssuedCert, extra: Parameters<typeof world>[0] = {}, deps: Parameters<typeof checkStartTls>[1] = {}) {
  const w = await world({ defaultCert: cert, ...extra });
  const { ctx } = context({ mx: [{ name: MX, address: ADDR, to: w }], caPem: ca.certPem });
  const r = await checkStartTls(ctx, { probeTimeouts: FAST, ...deps });
  return { r, w, ctx };
}

describe('starttls: a working MX', () => {
  it('valid certificate, TLS 1.3: pass with no findings, evidence per host and address', async () => {
    const { r, w } = await checkAgainst(good);
    expect(r.id).toBe('starttls');
    expect(r.status).toBe('pass');
    expect(r.findings).toEqual([]);
    expect(w.acceptedSockets).toBe(1);
    const hosts = r.evidence.hosts as Array<{ name: string; addresses: Array<Record<string, unknown>> }>;
    expect(hosts[0]!.name).toBe(MX);
    expect(hosts[0]!.addresses[0]).toMatchObject({
      address: ADDR, state: 'ok', protocol: 'TLSv1.3', authorized: true, hostnameMatches: true,
      connectedTo: `127.0.0.1:${w.port}`,
    });
    const chain = hosts[0]!.addresses[0]!.chain as Array<{ subject: string; spkiSha256: string }>;
    expect(chain[0]!.subject).toContain(MX);
    expect(chain[0]!.spkiSha256).toBe(tlsaData(good.certPem, 1, 1));
  });

  it('TLS 1.2 only (AEAD, ECDHE): starttls.no_tls13 info, naming host, address, protocol and cipher', async () => {
    const { r } = await checkAgainst(good, { tls: { maxVersion: 'TLSv1.2' } });
    expect(codes(r)).toEqual(['starttls.no_tls13']);
    expect(r.status).toBe('info');
    const msg = r.findings[0]!.message;
    expect(msg).toContain(MX);
    expect(msg).toContain(ADDR);
    expect(msg).toContain('TLSv1.2');
    expect(msg).toMatch(/ECDHE.*GCM/);
  });
});

describe('starttls: certificate problems', () => {
  it('wrong name: cert_hostname_mismatch (warn), naming the certificate subject', async () => {
    const { r } = await checkAgainst(await ca.issueWrongName(['mx.elsewhere.test']));
    expect(codes(r)).toEqual(['starttls.cert_hostname_mismatch']);
    expect(r.status).toBe('warn');
    expect(r.findings[0]!.message).toContain('mx.elsewhere.test');
    expect(r.findings[0]!.fix).toContain(MX);
  });

  it('self-signed: cert_untrusted (warn)', async () => {
    const { r } = await checkAgainst(await selfSigned([MX]));
    expect(codes(r)).toEqual(['starttls.cert_untrusted']);
    expect(r.findings[0]!.message).toContain('self-signed');
  });

  it('expired: cert_expired (warn) with the expiry date, not also cert_untrusted', async () => {
    const expired = await ca.issueExpired([MX]);
    const { r } = await checkAgainst(expired);
    expect(codes(r)).toEqual(['starttls.cert_expired']);
    expect(r.status).toBe('warn');
    expect(r.findings[0]!.message).toContain(expired.notAfter.toISOString().slice(0, 10));
  });

  it('expiring within 14 days: cert_expiring (info)', async () => {
    const soon = await ca.issue([MX], { notAfter: new Date(Date.now() + 5 * 86_400_000) });
    const { r } = await checkAgainst(soon);
    expect(codes(r)).toEqual(['starttls.cert_expiring']);
    expect(r.findings[0]!.message).toMatch(/expires in [45] days/);
  });

  it('RSA 1024 key: cert_weak_key (warn)', async () => {
    const { r } = await checkAgainst(await ca.issue([MX], { key: { rsa: 1024 } }));
    expect(codes(r)).toContain('starttls.cert_weak_key');
    expect(sev(r, 'starttls.cert_weak_key')).toBe('warn');
    expect(r.findings.find((f) => f.code === 'starttls.cert_weak_key')!.message).toContain('1024 bits');
  });
});

describe('starttls: protocol and cipher', () => {
  it('TLS 1.0-only server: legacy_protocol (warn), and its CBC suite is weak_cipher', async () => {
    const { r } = await checkAgainst(good, { tls: { minVersion: 'TLSv1', maxVersion: 'TLSv1' } });
    expect(codes(r)).toContain('starttls.legacy_protocol');
    expect(codes(r)).not.toContain('starttls.no_tls13');
    expect(r.findings.find((f) => f.code === 'starttls.legacy_protocol')!.message).toContain('TLSv1');
    expect(codes(r)).toContain('starttls.weak_cipher');
    expect(r.status).toBe('warn');
  });

  it('TLS 1.1-only server: legacy_protocol', async () => {
    const { r } = await checkAgainst(good, { tls: { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1' } });
    expect(codes(r)).toContain('starttls.legacy_protocol');
    expect(r.findings.find((f) => f.code === 'starttls.legacy_protocol')!.message).toContain('TLSv1.1');
  });

  it('static-RSA CBC suite on TLS 1.2: weak_cipher says non-AEAD and no forward secrecy', async () => {
    const rsa = await ca.issue([MX], { key: { rsa: 2048 } });
    const { r } = await checkAgainst(rsa, { tls: { maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA@SECLEVEL=0' } });
    const weak = r.findings.find((f) => f.code === 'starttls.weak_cipher');
    expect(weak?.severity).toBe('warn');
    expect(weak!.message).toContain('TLS_RSA_WITH_AES_128_CBC_SHA');
    expect(weak!.message).toContain('AEAD');
    expect(weak!.message).toContain('forward secrecy');
  });

  it('cipherWeaknesses: RFC 9325 classes', () => {
    const c = (standardName: string, name = standardName) => cipherWeaknesses({ name, standardName }, 'TLSv1.2');
    expect(c('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256')).toEqual([]);
    expect(c('TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305')).toEqual([]);
    expect(cipherWeaknesses({ name: 'TLS_AES_256_GCM_SHA384', standardName: 'TLS_AES_256_GCM_SHA384' }, 'TLSv1.3')).toEqual([]);
    expect(c('TLS_RSA_WITH_RC4_128_SHA', 'RC4-SHA').join()).toMatch(/RC4/);
    expect(c('TLS_RSA_WITH_3DES_EDE_CBC_SHA', 'DES-CBC3-SHA').join()).toMatch(/3DES/);
    expect(c('TLS_RSA_WITH_NULL_SHA256', 'NULL-SHA256').join()).toMatch(/NULL/);
    expect(c('TLS_RSA_EXPORT_WITH_RC4_40_MD5', 'EXP-RC4-MD5').join()).toMatch(/export/);
    expect(c('TLS_RSA_WITH_AES_128_GCM_SHA256', 'AES128-GCM-SHA256')).toEqual(['no forward secrecy (static RSA or DH key exchange)']);
    expect(c('TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'ECDHE-RSA-AES128-SHA')).toEqual(['not an AEAD cipher (CBC mode with a separate MAC)']);
  });
});

describe('starttls: no TLS', () => {
  it('no STARTTLS offered: not_offered (fail)', async () => {
    const w = await world({ starttls: false });
    const { ctx } = context({ mx: [{ name: MX, address: ADDR, to: w }], caPem: ca.certPem });
    const r = await checkStartTls(ctx, { probeTimeouts: FAST });
    expect(codes(r)).toEqual(['starttls.not_offered']);
    expect(r.status).toBe('fail');
    expect(r.findings[0]!.message).toContain(`${MX} (${ADDR})`);
  });

  it('broken handshake: handshake_failed (fail)', async () => {
    const { r } = await checkAgainst(good, { brokenTls: true });
    expect(codes(r)).toEqual(['starttls.handshake_failed']);
    expect(r.status).toBe('fail');
  });

  it('STARTTLS refused with 454: handshake_failed', async () => {
    const { r } = await checkAgainst(good, { starttlsReply: '454 4.7.0 TLS not available' });
    expect(codes(r)).toEqual(['starttls.handshake_failed']);
    expect(r.findings[0]!.message).toContain('454');
  });
});

describe('starttls: untested is never "no TLS"', () => {
  it('closed port: starttls.unreachable and the check untested, never not_offered', async () => {
    const { ctx } = context({ mx: [{ name: MX, address: ADDR, to: await closedPort() }], caPem: ca.certPem });
    const r = await checkStartTls(ctx, { probeTimeouts: FAST });
    expect(r.status).toBe('untested');
    expect(codes(r)).toEqual(['starttls.unreachable']);
    expect(r.findings[0]!.severity).toBe('info');
    expect(r.findings[0]!.message).toContain('ECONNREFUSED');
    expect(r.findings[0]!.message).toContain('not evidence');
  });

  it('a server that never greets: unreachable within its banner timeout', async () => {
    const w = await world({ banner: 'never', starttls: false });
    const { ctx } = context({ mx: [{ name: MX, address: ADDR, to: w }] });
    const started = Date.now();
    const r = await checkStartTls(ctx, { probeTimeouts: { ...FAST, bannerMs: 300 } });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.status).toBe('untested');
    expect(codes(r)).toEqual(['starttls.unreachable']);
    expect(r.findings[0]!.message).toContain('no SMTP greeting');
    expect(w.acceptedSockets).toBe(1);
  });

  it('the default stage timeouts fit the domain budget', async () => {
    const w = await world({ banner: 'never', starttls: false });
    const { ctx } = context({ mx: [{ name: MX, address: ADDR, to: w }], options: { timeoutMs: 2000 } });
    const started = Date.now();
    const r = await checkStartTls(ctx);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.findings[0]!.message).toContain('no SMTP greeting');
    expect(r.status).toBe('untested');
  });

  it('--no-smtp: untested, "STARTTLS probing disabled (--no-smtp)", and no socket at all', async () => {
    const w = await world({ defaultCert: good });
    const { ctx, resolver } = context({ mx: [{ name: MX, address: ADDR, to: w }], options: { smtp: false } });
    const r = await checkStartTls(ctx);
    expect(r.status).toBe('untested');
    expect(r.summary).toBe('STARTTLS probing disabled (--no-smtp)');
    expect(w.acceptedSockets).toBe(0);
    expect(ctx.resources.probes.probesStarted).toBe(0);
    expect(resolver.log).toEqual([]);
  });

  it('an MX at 127.0.0.1 without --allow-private-networks: 0 sockets, unreachable says why', async () => {
    const w = await world({ defaultCert: good });
    const { ctx } = context({ mx: [{ name: MX, address: '127.0.0.1' }], options: { connectTo: [`:25:127.0.0.1:${w.port}`] } });
    const r = await checkStartTls(ctx, { probeTimeouts: FAST });
    expect(w.acceptedSockets).toBe(0);
    expect(r.status).toBe('untested');
    expect(codes(r)).toEqual(['starttls.unreachable']);
    expect(r.findings[0]!.message).toContain('loopback');
    expect(r.findings[0]!.message).toContain('--allow-private-networks');
  });

  it('one host reachable, one not: the tested host is judged, the other is an info finding', async () => {
    const w = await world({ defaultCert: good, certs: { 'mx2.example.test': await ca.issue(['mx2.example.test']) } });
    const { ctx } = context({
      mx: [{ name: MX, address: ADDR, to: w }, { name: 'mx2.example.test', address: '192.0.2.26', to: await closedPort() }],
      caPem: ca.certPem,
    });
    const r = await checkStartTls(ctx, { probeTimeouts: FAST });
    expect(r.status).toBe('info');
    expect(codes(r)).toEqual(['starttls.unreachable']);
    expect(r.findings[0]!.message).toContain('mx2.example.test (192.0.2.26)');
    expect(r.summary).toContain('1 of 2 addresses');
    expect(r.evidence.tested).toEqual({ hosts: 1, addresses: 1, of: 2 });
  });
});

describe('starttls: MTA-STS enforce escalation (RFC 8461 §4.2)', () => {
  it('enforce (through the deps seam) turns cert_hostname_mismatch into fail', async () => {
    const { r } = await checkAgainst(await ca.issueWrongName(['mx.elsewhere.test']), {}, { mtaStsMode: async () => 'enforce' });
    expect(sev(r, 'starttls.cert_hostname_mismatch')).toBe('fail');
    expect(r.status).toBe('fail');
    expect(r.findings[0]!.message).toContain('enforce');
    expect(r.evidence.mtaSts).toEqual({ mode: 'enforce', source: 'mta_sts check' });
  });

  it('enforce escalates expired and untrusted too; testing does not', async () => {
    const expired = await ca.issueExpired([MX]);
    const { r } = await checkAgainst(expired, {}, { mtaStsMode: async () => 'enforce' });
    expect(sev(r, 'starttls.cert_expired')).toBe('fail');
    const { r: r2 } = await checkAgainst(await selfSigned([MX]), {}, { mtaStsMode: async () => 'enforce' });
    expect(sev(r2, 'starttls.cert_untrusted')).toBe('fail');
    const { r: r3 } = await checkAgainst(await selfSigned([MX]), {}, { mtaStsMode: async () => 'testing' });
    expect(sev(r3, 'starttls.cert_untrusted')).toBe('warn');
  });

  it('enforce does not escalate findings that are not about the certificate', async () => {
    const { r } = await checkAgainst(good, { tls: { maxVersion: 'TLSv1.2' } }, { mtaStsMode: async () => 'enforce' });
    expect(sev(r, 'starttls.no_tls13')).toBe('info');
  });

  it('without the seam, an _mta-sts TXT record makes the mode unknown (no escalation), its absence means none', async () => {
    const w = await world({ defaultCert: await ca.issueWrongName(['mx.elsewhere.test']) });
    const { ctx } = context({
      mx: [{ name: MX, address: ADDR, to: w }],
      caPem: ca.certPem,
      names: { '_mta-sts.example.test': { TXT: ['v=STSv1; id=20240101'] } },
    });
    const r = await checkStartTls(ctx, { probeTimeouts: FAST });
    expect(sev(r, 'starttls.cert_hostname_mismatch')).toBe('warn');
    expect(r.evidence.mtaSts).toEqual({ mode: 'unknown', source: '_mta-sts TXT only' });

    const { ctx: ctx2 } = context({ mx: [{ name: MX, address: ADDR, to: w }], caPem: ca.certPem });
    const r2 = await checkStartTls(ctx2, { probeTimeouts: FAST });
    expect(r2.evidence.mtaSts).toEqual({ mode: null, source: '_mta-sts TXT only' });
  });
});

describe('starttls: DANE tolerance (RFC 7672 §3.1.1)', () => {
  it('a wrong-name certificate pinned by secure DANE-EE is info, not warn', async () => {
    const wrong = await ca.issueWrongName(['mx.elsewhere.test']);
    const w = await world({ defaultCert: wrong });
    const { ctx } = context({
      mx: [{ name: MX, address: ADDR, to: w }],
      caPem: ca.certPem,
      signed: ['example.test'],
      names: { [`_25._tcp.${MX}`]: { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: tlsaData(wrong.certPem, 1, 1) }] } },
    });
    const r = await checkStartTls(ctx, { probeTimeouts: FAST });
    expect(sev(r, 'starttls.cert_hostname_mismatch')).toBe('info');
    expect(r.findings[0]!.message).toContain('DANE-EE');
    expect(w.acceptedSockets).toBe(1); // DANE reads the same probe
  });

  it('TLSA in an unsigned zone excuses nothing', async () => {
    const wrong = await ca.issueWrongName(['mx.elsewhere.test']);
    const w = await world({ defaultCert: wrong });
    const { ctx } = context({
      mx: [{ name: MX, address: ADDR, to: w }],
      caPem: ca.certPem,
      names: { [`_25._tcp.${MX}`]: { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: tlsaData(wrong.certPem, 1, 1) }] } },
    });
    const r = await checkStartTls(ctx, { probeTimeouts: FAST });
    expect(sev(r, 'starttls.cert_hostname_mismatch')).toBe('warn');
  });

  it('DANE-TA excuses an untrusted issuer but not a wrong name', async () => {
    const otherCa = await TestCa.create('Private Mail CA');
    const leaf = await otherCa.issue([MX]);
    const w = await world({ defaultCert: leaf });
    const { ctx } = context({
      mx: [{ name: MX, address: ADDR, to: w }],
      caPem: ca.certPem, // otherCa is not trusted
      signed: ['example.test'],
      names: { [`_25._tcp.${MX}`]: { TLSA: [{ usage: 2, selector: 1, matchingType: 1, data: tlsaData(otherCa.certPem, 1, 1) }] } },
    });
    const r = await checkStartTls(ctx, { probeTimeouts: FAST });
    expect(sev(r, 'starttls.cert_untrusted')).toBe('info');
    expect(r.findings[0]!.message).toContain('DANE-TA');
  });
});

describe('starttls: sharing and bounds', () => {
  it('two domains sharing an MX cost one probe (the run-wide cache)', async () => {
    const w = await world({ defaultCert: good });
    const resources = createRunResources();
    const a = context({ domain: 'a.test', mx: [{ name: MX, address: ADDR, to: w }], caPem: ca.certPem, resources });
    const b = context({ domain: 'b.test', mx: [{ name: MX, address: ADDR, to: w }], caPem: ca.certPem, resources });
    const [ra, rb] = await Promise.all([checkStartTls(a.ctx, { probeTimeouts: FAST }), checkStartTls(b.ctx, { probeTimeouts: FAST })]);
    expect(ra.status).toBe('pass');
    expect(rb.status).toBe('pass');
    expect(w.acceptedSockets).toBe(1);
    expect(resources.probes.probesStarted).toBe(1);
  });

  it('probes IPv6 addresses too, and bounds the addresses per host', async () => {
    const w = await world({ defaultCert: good });
    const v4 = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
    const v6 = ['2001:db8::1', '2001:db8::2', '2001:db8::3'];
    const { ctx } = context({
      mx: [],
      names: { 'example.test': { MX: [[10, MX]] }, [MX]: { A: v4, AAAA: v6 } },
      caPem: ca.certPem,
      options: { connectTo: [`:25:127.0.0.1:${w.port}`] },
    });
    const plan = planProbes(await resolveMxHosts(ctx));
    expect(plan[0]!.addresses).toEqual([...v4.slice(0, MAX_ADDRESSES_PER_FAMILY), ...v6.slice(0, MAX_ADDRESSES_PER_FAMILY)]);
    expect(plan[0]!.skipped).toEqual(['192.0.2.3', '2001:db8::3']);
    const r = await checkStartTls(ctx, { probeTimeouts: FAST });
    expect(r.status).toBe('pass');
    expect(w.acceptedSockets).toBe(4);
    const hosts = r.evidence.hosts as Array<{ addresses: Array<{ address: string }>; notProbed: string[] }>;
    expect(hosts[0]!.addresses.map((a) => a.address)).toContain('2001:db8::1');
    expect(hosts[0]!.notProbed).toEqual(['192.0.2.3', '2001:db8::3']);
  });

  it('null MX: untested, nothing probed', async () => {
    const { ctx } = context({ mx: [], names: { 'example.test': { MX: [[0, '.']] } } });
    const r = await checkStartTls(ctx);
    expect(r.status).toBe('untested');
    expect(r.summary).toContain('Null MX');
    expect(ctx.resources.probes.probesStarted).toBe(0);
  });

  it('MX lookup failure: untested with dns.lookup_failed', async () => {
    const { ctx } = context({ mx: [], names: { 'example.test': { fault: 'servfail' } } });
    const r = await checkStartTls(ctx);
    expect(r.status).toBe('untested');
    expect(codes(r)).toEqual(['dns.lookup_failed']);
  });
});
