import { X509Certificate } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkDane, classifyTlsa, matchTlsa } from '../../src/checker/checks/dane.ts';
import { checkStartTls } from '../../src/checker/checks/starttls.ts';
import type { TlsaData } from '../../src/checker/dns/types.ts';
import { summarizeCertificate } from '../../src/checker/net/tls-facts.ts';
import type { CheckResult } from '../../src/checker/types.ts';
import { TestCa, type IssuedCert } from '../world/tls/ca.ts';
import { installLoopbackGuard, type LoopbackGuard } from '../world/loopback-guard.ts';
import { FAST, closeWorlds, closedPort, context, tlsaData, world, type ContextSpec } from '../starttls/world.ts';

let ca: TestCa;
let guard: LoopbackGuard;
let good: IssuedCert;

const MX = 'mx.example.test';
const ADDR = '192.0.2.25';
const TLSA_NAME = `_25._tcp.${MX}`;

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

const codes = (r: CheckResult): string[] => r.findings.map((f) => f.code).sort();

function tlsa(usage: number, selector: 0 | 1, matchingType: 0 | 1 | 2, pem: string | Buffer): TlsaData {
  return { usage, selector, matchingType, data: tlsaData(pem, selector, matchingType) };
}

async function daneWith(
  records: TlsaData[],
  opts: { cert?: IssuedCert; signed?: boolean; spec?: Partial<ContextSpec>; chainPem?: string } = {},
) {
  const cert = opts.cert ?? good;
  const w = await world({ defaultCert: opts.chainPem ? { ...cert, chainPem: opts.chainPem } : cert });
  const { ctx, resolver } = context({
    mx: [{ name: MX, address: ADDR, to: w }],
    caPem: ca.certPem,
    signed: opts.signed === false ? [] : ['example.test'],
    names: records.length ? { [TLSA_NAME]: { TLSA: records } } : {},
    ...opts.spec,
  });
  const r = await checkDane(ctx, { probeTimeouts: FAST });
  return { r, w, ctx, resolver };
}

describe('dane: records that match', () => {
  it('3 1 1 from the served certificate in a signed zone: only no_rollover (info)', async () => {
    const { r, w } = await daneWith([tlsa(3, 1, 1, good.certPem)]);
    expect(codes(r)).toEqual(['dane.no_rollover']);
    expect(r.status).toBe('info');
    expect(r.summary).toContain('validates');
    expect(w.acceptedSockets).toBe(1);
    const host = (r.evidence.hosts as Array<Record<string, any>>)[0]!;
    expect(host.dnssec).toMatchObject({ status: 'secure', vouchedBy: 'memory' });
    expect(host.matching[0]).toMatchObject({ address: ADDR, result: 'validated', via: 'DANE-EE' });
    expect(host.matching[0].matches[0]).toMatchObject({ matched: true, chainIndex: 0 });
    expect(host.matching[0].matches[0].cert).toContain(MX);
  });

  it('3 1 1 plus 2 1 1 for the test CA: pass with no findings', async () => {
    const { r } = await daneWith([tlsa(3, 1, 1, good.certPem), tlsa(2, 1, 1, ca.certPem)]);
    expect(r.findings).toEqual([]);
    expect(r.status).toBe('pass');
  });

  it('2 1 1 matching the test CA alone is validated (DANE-TA is not a mismatch)', async () => {
    const { r } = await daneWith([tlsa(2, 1, 1, ca.certPem)]);
    expect(codes(r)).toEqual(['dane.no_rollover']);
    const host = (r.evidence.hosts as Array<Record<string, any>>)[0]!;
    expect(host.matching[0]).toMatchObject({ result: 'validated', via: 'DANE-TA' });
    expect(host.matching[0].matches[0]).toMatchObject({ matched: true, chainIndex: 1 });
  });

  it('DANE-TA from a private CA no public root knows is still validated', async () => {
    const privateCa = await TestCa.create('Private Mail CA');
    const leaf = await privateCa.issue([MX]);
    const { r } = await daneWith([tlsa(2, 1, 1, privateCa.certPem), tlsa(2, 1, 2, privateCa.certPem)], { cert: leaf });
    expect(r.findings).toEqual([]);
  });

  it('3 1 2 (SHA-512) and 3 0 1 match', async () => {
    const { r } = await daneWith([tlsa(3, 1, 2, good.certPem), tlsa(3, 0, 1, good.certPem)]);
    expect(codes(r)).toEqual(['dane.nonrecommended_params']); // selector 0
    const host = (r.evidence.hosts as Array<Record<string, any>>)[0]!;
    expect(host.matching[0].matches.every((m: { matched: boolean }) => m.matched)).toBe(true);
  });

  it('3 0 0 (the whole certificate): matched, nonrecommended_params (info)', async () => {
    const { r } = await daneWith([tlsa(3, 0, 0, good.certPem), tlsa(3, 1, 1, good.certPem)]);
    expect(codes(r)).toEqual(['dane.nonrecommended_params']);
    expect(r.status).toBe('info');
    expect(r.findings[0]!.message).toContain('selector 0');
    expect(r.findings[0]!.message).toContain('matching type 0');
  });

  it.each([[0], [1]] as const)('2 %i 0 with an untrusted CA in DNS matches even when the server sends only its leaf', async (selector) => {
    const privateCa = await TestCa.create('Private Mail CA');
    const leaf = await privateCa.issue([MX]);
    const { r } = await daneWith([tlsa(2, selector, 0, privateCa.certPem)], { cert: leaf, chainPem: leaf.certPem });
    expect(codes(r)).toEqual(['dane.no_rollover', 'dane.nonrecommended_params']);
    const host = (r.evidence.hosts as Array<Record<string, any>>)[0]!;
    expect(host.matching[0].matches[0]).toMatchObject({ matched: true, chainIndex: 0 });
    expect(host.matching[0].matches[0].note).toContain('anchor from DNS signed');
  });

  it('a full TA in DNS that did not sign the served leaf does not match', async () => {
    const privateCa = await TestCa.create('Private Mail CA');
    const { r } = await daneWith([tlsa(2, 0, 0, privateCa.certPem), tlsa(2, 1, 0, privateCa.certPem)]);
    expect(codes(r)).toEqual(['dane.mismatch', 'dane.nonrecommended_params']);
  });
});

describe('dane: records that do not match or cannot be used', () => {
  it('3 1 1 for another key: mismatch (fail) naming the served certificate and its hash', async () => {
    const other = await ca.issue([MX]);
    const { r } = await daneWith([tlsa(3, 1, 1, other.certPem), tlsa(3, 1, 1, other.certPem)]);
    expect(codes(r)).toEqual(['dane.mismatch']);
    expect(r.status).toBe('fail');
    expect(r.findings[0]!.message).toContain(`${MX} (${ADDR})`);
    expect(r.findings[0]!.message).toContain(tlsaData(good.certPem, 1, 1));
    expect(r.findings[0]!.fix).toContain(`3 1 1 ${tlsaData(good.certPem, 1, 1)}`);
  });

  it('DANE-TA matching the CA but a leaf for another name: mismatch that says why', async () => {
    const wrong = await ca.issueWrongName(['mx.elsewhere.test']);
    const { r } = await daneWith([tlsa(2, 1, 1, ca.certPem)], { cert: wrong });
    expect(codes(r)).toContain('dane.mismatch');
    expect(r.findings.find((f) => f.code === 'dane.mismatch')!.message).toContain('does not cover');
  });

  it('DANE-EE ignores the name: a wrong-name leaf pinned by 3 1 1 validates', async () => {
    const wrong = await ca.issueWrongName(['mx.elsewhere.test']);
    const { r } = await daneWith([tlsa(3, 1, 1, wrong.certPem)], { cert: wrong });
    expect(codes(r)).toEqual(['dane.no_rollover']);
  });

  it('TLSA in an unsigned zone: tlsa_insecure (fail), no matching', async () => {
    const { r } = await daneWith([tlsa(3, 1, 1, good.certPem), tlsa(2, 1, 1, ca.certPem)], { signed: false });
    expect(codes(r)).toEqual(['dane.tlsa_insecure']);
    expect(r.status).toBe('fail');
    expect(r.findings[0]!.message).toContain('not DNSSEC-signed');
    const host = (r.evidence.hosts as Array<Record<string, any>>)[0]!;
    expect(host.dnssec.status).toBe('insecure');
    expect(host.matching).toBeUndefined();
  });

  it('a bogus TLSA lookup: tlsa_insecure (fail) that says bogus', async () => {
    const { r } = await daneWith([tlsa(3, 1, 1, good.certPem)], { spec: { bogus: [TLSA_NAME] } });
    expect(codes(r)).toEqual(['dane.tlsa_insecure']);
    expect(r.findings[0]!.message).toContain('bogus');
  });

  it('usage 1 (PKIX-EE): pkix_usage (warn), and with no usable record DANE is not in effect', async () => {
    const { r } = await daneWith([tlsa(1, 1, 1, good.certPem), tlsa(1, 1, 1, ca.certPem)]);
    expect(codes(r)).toEqual(['dane.pkix_usage']);
    expect(r.status).toBe('warn');
    expect(r.findings[0]!.message).toContain('not in effect');
  });

  it('a malformed digest is reported as unusable', async () => {
    const bad: TlsaData = { usage: 3, selector: 1, matchingType: 1, data: 'abcd' };
    const { r } = await daneWith([bad, tlsa(3, 1, 1, good.certPem)]);
    expect(codes(r)).toEqual(['dane.nonrecommended_params']);
    expect(r.findings[0]!.message).toContain('unusable');
  });

  it('usable TLSA but no STARTTLS: mismatch (DANE makes TLS mandatory)', async () => {
    const w = await world({ starttls: false });
    const { ctx } = context({
      mx: [{ name: MX, address: ADDR, to: w }], signed: ['example.test'],
      names: { [TLSA_NAME]: { TLSA: [tlsa(3, 1, 1, good.certPem), tlsa(2, 1, 1, ca.certPem)] } },
    });
    const r = await checkDane(ctx, { probeTimeouts: FAST });
    expect(codes(r)).toEqual(['dane.mismatch']);
    expect(r.findings[0]!.message).toContain('does not offer STARTTLS');
  });
});

describe('dane: absent, untested, partial', () => {
  it('no TLSA anywhere: dane.missing (info) and no connection needed for the verdict', async () => {
    const { r, w } = await daneWith([]);
    expect(codes(r)).toEqual(['dane.missing']);
    expect(w.acceptedSockets).toBe(0);
    expect(r.status).toBe('info');
  });

  it('--no-smtp: TLSA and DNSSEC still reported, matching untested, 0 sockets', async () => {
    const w = await world({ defaultCert: good });
    const { ctx } = context({
      mx: [{ name: MX, address: ADDR, to: w }], signed: ['example.test'], options: { smtp: false },
      names: { [TLSA_NAME]: { TLSA: [tlsa(3, 1, 1, good.certPem)] } },
    });
    const r = await checkDane(ctx);
    expect(r.status).toBe('untested');
    expect(r.summary).toContain('--no-smtp');
    expect(codes(r)).toEqual(['dane.no_rollover']);
    expect(w.acceptedSockets).toBe(0);
    const host = (r.evidence.hosts as Array<Record<string, any>>)[0]!;
    expect(host.tlsa[0].record).toMatch(/^3 1 1 /);
    expect(host.dnssec.status).toBe('secure');
    expect(host.matching[0]).toMatchObject({ result: 'untested', why: 'STARTTLS probing disabled (--no-smtp)' });
  });

  it('--no-smtp with insecure TLSA: still a definite tlsa_insecure fail', async () => {
    const { ctx } = context({
      mx: [{ name: MX, address: ADDR }], options: { smtp: false },
      names: { [TLSA_NAME]: { TLSA: [tlsa(3, 1, 1, good.certPem)] } },
    });
    const r = await checkDane(ctx);
    expect(r.status).toBe('fail');
    expect(codes(r)).toContain('dane.tlsa_insecure');
  });

  it('unreachable MX with secure TLSA: untested with starttls.unreachable', async () => {
    const { ctx } = context({
      mx: [{ name: MX, address: ADDR, to: await closedPort() }], signed: ['example.test'],
      names: { [TLSA_NAME]: { TLSA: [tlsa(3, 1, 1, good.certPem), tlsa(2, 1, 1, ca.certPem)] } },
    });
    const r = await checkDane(ctx, { probeTimeouts: FAST });
    expect(r.status).toBe('untested');
    expect(codes(r)).toEqual(['starttls.unreachable']);
    expect(r.findings[0]!.message).toContain('untested');
  });

  it('TLSA lookup SERVFAIL: dns.lookup_failed and untested', async () => {
    const { ctx } = context({ mx: [{ name: MX, address: ADDR }], options: { smtp: false }, names: { [TLSA_NAME]: { fault: 'servfail' } } });
    const r = await checkDane(ctx);
    expect(r.status).toBe('untested');
    expect(codes(r)).toEqual(['dns.lookup_failed']);
  });

  it('one host with TLSA, one without: dane.missing names the one without', async () => {
    const w = await world({ defaultCert: good, certs: { 'mx2.example.test': await ca.issue(['mx2.example.test']) } });
    const { ctx } = context({
      mx: [{ name: MX, address: ADDR, to: w }, { name: 'mx2.example.test', address: '192.0.2.26', to: w }],
      signed: ['example.test'], caPem: ca.certPem,
      names: { [TLSA_NAME]: { TLSA: [tlsa(3, 1, 1, good.certPem), tlsa(2, 1, 1, ca.certPem)] } },
    });
    const r = await checkDane(ctx, { probeTimeouts: FAST });
    expect(codes(r)).toEqual(['dane.missing']);
    expect(r.findings[0]!.message).toContain('mx2.example.test');
  });

  it('the STARTTLS and DANE checks share one probe per address', async () => {
    const w = await world({ defaultCert: good });
    const { ctx } = context({
      mx: [{ name: MX, address: ADDR, to: w }], signed: ['example.test'], caPem: ca.certPem,
      names: { [TLSA_NAME]: { TLSA: [tlsa(3, 1, 1, good.certPem), tlsa(2, 1, 1, ca.certPem)] } },
    });
    const [s, d] = await Promise.all([checkStartTls(ctx, { probeTimeouts: FAST }), checkDane(ctx, { probeTimeouts: FAST })]);
    expect(s.status).toBe('pass');
    expect(d.status).toBe('pass');
    expect(w.acceptedSockets).toBe(1);
  });
});

describe('dane: record helpers', () => {
  it('classifyTlsa', () => {
    expect(classifyTlsa({ usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(32) }).kind).toBe('usable');
    expect(classifyTlsa({ usage: 0, selector: 1, matchingType: 1, data: 'ab'.repeat(32) }).kind).toBe('pkix');
    expect(classifyTlsa({ usage: 3, selector: 1, matchingType: 2, data: 'ab'.repeat(32) }).kind).toBe('unusable');
    expect(classifyTlsa({ usage: 4, selector: 1, matchingType: 1, data: 'ab'.repeat(32) }).kind).toBe('unusable');
    expect(classifyTlsa({ usage: 3, selector: 2, matchingType: 1, data: 'ab'.repeat(32) }).kind).toBe('unusable');
  });

  it('matchTlsa: DANE-TA never matches the leaf itself; DANE-EE only the leaf', () => {
    const chain = [summarizeCertificate(good.certDer), summarizeCertificate(new X509Certificate(ca.certPem))];
    const now = new Date();
    const c = { host: MX, hostnameMatches: true, now };
    expect(matchTlsa(tlsa(2, 1, 1, good.certPem), chain, c).matched).toBe(false);
    expect(matchTlsa(tlsa(3, 1, 1, ca.certPem), chain, c).matched).toBe(false);
    expect(matchTlsa(tlsa(2, 1, 1, ca.certPem), chain, c)).toMatchObject({ matched: true, chainIndex: 1 });
    expect(matchTlsa(tlsa(2, 1, 1, ca.certPem), chain, { ...c, now: new Date(Date.now() + 400 * 86_400_000) }).matched).toBe(false);
  });
});
