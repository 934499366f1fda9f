import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { X509Certificate, createHash } from 'node:crypto';
import { createProbeCache, probeStartTls, type ProbeResult, type StartTlsProbeOptions } from '../../src/checker/net/smtp-probe.ts';
import { parseConnectTo } from '../../src/checker/net/connect-to.ts';
import { TestCa, selfSigned, type IssuedCert } from '../world/tls/ca.ts';
import { startSmtpWorld, type SmtpWorld, type SmtpWorldOptions } from '../world/smtp-server.ts';
import { installLoopbackGuard, type LoopbackGuard } from '../world/loopback-guard.ts';

let ca: TestCa;
let guard: LoopbackGuard;
let goodCert: IssuedCert;
const worlds: SmtpWorld[] = [];

async function world(options: SmtpWorldOptions): Promise<SmtpWorld> {
  const w = await startSmtpWorld(options);
  worlds.push(w);
  return w;
}

function opts(w: { port: number }, extra: Partial<StartTlsProbeOptions> = {}): StartTlsProbeOptions {
  return {
    host: 'mx.good.test',
    address: '127.0.0.1',
    port: w.port,
    allowPrivateNetworks: true,
    ca: ca.certPem,
    heloName: 'posture.test',
    timeouts: { connectMs: 2000, bannerMs: 2000, commandMs: 2000, tlsMs: 2000 },
    ...extra,
  };
}

function expectOk(r: ProbeResult): Extract<ProbeResult, { state: 'ok' }> {
  if (r.state !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return r;
}

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

beforeAll(async () => {
  guard = installLoopbackGuard();
  ca = await TestCa.create();
  goodCert = await ca.issue(['mx.good.test']);
});

afterAll(async () => {
  await Promise.all(worlds.map((w) => w.close()));
  guard?.uninstall();
});

afterEach(() => {
  expect(guard.refused).toEqual([]);
});

describe('probeStartTls: what a working MX shows', () => {
  it('completes STARTTLS and records protocol, cipher, trust, name match and DANE hashes', async () => {
    const w = await world({ defaultCert: goodCert });
    const r = expectOk(await probeStartTls(opts(w)));
    expect(r.banner).toContain('ESMTP');
    expect(r.ehloExtensions).toContain('STARTTLS');
    expect(r.tls.protocol).toBe('TLSv1.3');
    expect(r.tls.cipher.standardName).toMatch(/^TLS_/);
    expect(r.tls.authorized).toBe(true);
    expect(r.tls.hostnameMatches).toBe(true);
    const leaf = r.tls.chain[0]!;
    expect(leaf.subjectAltNames).toEqual(['mx.good.test']);
    expect(leaf.keyType).toBe('ec');
    expect(leaf.keyBits).toBe(256);
    // TLSA 3 1 1 and 3 0 1 material (RFC 6698 §2.1)
    const x = new X509Certificate(goodCert.certDer);
    expect(leaf.spkiSha256).toBe(createHash('sha256').update(x.publicKey.export({ type: 'spki', format: 'der' })).digest('hex'));
    expect(leaf.certSha256).toBe(createHash('sha256').update(goodCert.certDer).digest('hex'));
    expect(r.tls.chain[1]?.subject).toContain('Posture Test Root CA');
    expect(w.commands).toEqual(['EHLO posture.test', 'STARTTLS', 'QUIT']);
  });

  it('reads a multi-line greeting', async () => {
    const w = await world({ defaultCert: goodCert, banner: 'multiline' });
    const r = expectOk(await probeStartTls(opts(w)));
    expect(r.banner?.split('\n')).toHaveLength(3);
  });

  it('picks the certificate by SNI = the MX host name', async () => {
    const other = await ca.issue(['mx.other.test']);
    const w = await world({ defaultCert: goodCert, certs: { 'mx.other.test': other } });
    const r = expectOk(await probeStartTls(opts(w, { host: 'mx.other.test' })));
    expect(r.tls.chain[0]?.subjectAltNames).toEqual(['mx.other.test']);
    expect(r.tls.hostnameMatches).toBe(true);
  });

  it('reports a legacy TLS 1.0-only server instead of failing', async () => {
    const w = await world({ defaultCert: goodCert, tls: { minVersion: 'TLSv1', maxVersion: 'TLSv1' } });
    const r = expectOk(await probeStartTls(opts(w)));
    expect(r.tls.protocol).toBe('TLSv1');
  });

  it('reports a small RSA key', async () => {
    const weak = await ca.issue(['mx.good.test'], { key: { rsa: 1024 } });
    const w = await world({ defaultCert: weak });
    const r = expectOk(await probeStartTls(opts(w)));
    expect(r.tls.chain[0]).toMatchObject({ keyType: 'rsa', keyBits: 1024 });
  });
});

describe('probeStartTls: certificate problems are recorded, the handshake completes', () => {
  it('wrong name: trusted chain, hostname mismatch', async () => {
    const w = await world({ defaultCert: await ca.issueWrongName(['mx.elsewhere.test']) });
    const r = expectOk(await probeStartTls(opts(w)));
    expect(r.tls.authorized).toBe(true);
    expect(r.tls.hostnameMatches).toBe(false);
    expect(r.tls.hostnameError).toContain('mx.good.test');
  });

  it('self-signed: not authorized, with the reason', async () => {
    const w = await world({ defaultCert: await selfSigned(['mx.good.test']) });
    const r = expectOk(await probeStartTls(opts(w)));
    expect(r.tls.authorized).toBe(false);
    expect(r.tls.authorizationError).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(r.tls.hostnameMatches).toBe(true);
  });

  it('expired: not authorized, CERT_HAS_EXPIRED, notAfter in the past', async () => {
    const w = await world({ defaultCert: await ca.issueExpired(['mx.good.test']) });
    const r = expectOk(await probeStartTls(opts(w)));
    expect(r.tls.authorizationError).toBe('CERT_HAS_EXPIRED');
    expect(Date.parse(r.tls.chain[0]!.notAfter)).toBeLessThan(Date.now());
  });
});

describe('probeStartTls: the states that are not ok', () => {
  it('no STARTTLS offered', async () => {
    const w = await world({ starttls: false });
    const r = await probeStartTls(opts(w));
    expect(r.state).toBe('no_starttls');
    expect(r.ehloExtensions).not.toContain('STARTTLS');
    expect(w.commands).toEqual(['EHLO posture.test', 'QUIT']);
  });

  it('closed port: unreachable at connect, refused rather than timed out', async () => {
    const r = await probeStartTls(opts({ port: await closedPort() }));
    expect(r).toMatchObject({ state: 'unreachable', stage: 'connect', code: 'ECONNREFUSED', timedOut: false });
  });

  it('a server that never greets: unreachable at banner, within the banner timeout', async () => {
    const w = await world({ banner: 'never', starttls: false });
    const started = Date.now();
    const r = await probeStartTls(opts(w, { timeouts: { bannerMs: 400 } }));
    expect(r).toMatchObject({ state: 'unreachable', stage: 'banner', timedOut: true });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(w.acceptedSockets).toBe(1);
  });

  it('a 554 greeting: unreachable at banner with the reply code', async () => {
    const w = await world({ banner: 'reject', starttls: false });
    const r = await probeStartTls(opts(w));
    expect(r).toMatchObject({ state: 'unreachable', stage: 'banner', code: 'SMTP_554' });
  });

  it('STARTTLS answered 454: handshake failed at starttls', async () => {
    const w = await world({ defaultCert: goodCert, starttlsReply: '454 4.7.0 TLS not available' });
    const r = await probeStartTls(opts(w));
    expect(r).toMatchObject({ state: 'handshake_failed', stage: 'starttls', code: 'SMTP_454' });
  });

  it('garbage instead of a TLS handshake: handshake failed at tls', async () => {
    const w = await world({ defaultCert: goodCert, brokenTls: true });
    const r = await probeStartTls(opts(w));
    expect(r).toMatchObject({ state: 'handshake_failed', stage: 'tls' });
  });

  it('rejects with the caller\'s reason when the caller aborts', async () => {
    const w = await world({ banner: 'never', starttls: false });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('budget spent')), 100);
    await expect(probeStartTls(opts(w, { signal: controller.signal }))).rejects.toThrow('budget spent');
  });
});

describe('probeStartTls: address policy and connect-to', () => {
  it.each([
    ['127.0.0.1', []],
    ['::1', ['[::1]:25:127.0.0.1:PORT']],
    ['10.0.0.1', ['10.0.0.1:25:127.0.0.1:PORT']],
    ['169.254.169.254', ['169.254.169.254:25:127.0.0.1:PORT']],
    ['::ffff:10.0.0.1', ['10.0.0.1:25:127.0.0.1:PORT', '[::ffff:10.0.0.1]:25:127.0.0.1:PORT']],
  ])('%s without --allow-private-networks: policy_refused, 0 accepted sockets', async (address, rules) => {
    const w = await world({ defaultCert: goodCert });
    const port = address === '127.0.0.1' ? w.port : 25;
    const connectTo = rules.map((r) => parseConnectTo(r.replace('PORT', String(w.port))));
    const r = await probeStartTls(opts(w, { address, port, allowPrivateNetworks: false, connectTo }));
    expect(r.state).toBe('policy_refused');
    expect(w.acceptedSockets).toBe(0);
  });

  it('with --allow-private-networks the mapped 10.0.0.1 reaches the loopback server (the matrix above is wired)', async () => {
    const w = await world({ defaultCert: goodCert });
    const connectTo = [parseConnectTo(`10.0.0.1:25:127.0.0.1:${w.port}`)];
    const r = expectOk(await probeStartTls(opts(w, { address: '10.0.0.1', port: 25, allowPrivateNetworks: true, connectTo })));
    expect(r.connectedTo).toBe(`127.0.0.1:${w.port}`);
    expect(w.acceptedSockets).toBe(1);
  });

  it('a TEST-NET MX address mapped with connect-to passes the default policy, keeping the MX name for SNI', async () => {
    const w = await world({ defaultCert: goodCert });
    const connectTo = [parseConnectTo(`mx.good.test:25:127.0.0.1:${w.port}`)];
    const r = expectOk(await probeStartTls(opts(w, { address: '192.0.2.25', port: 25, allowPrivateNetworks: false, connectTo })));
    expect(r.address).toBe('192.0.2.25');
    expect(r.tls.hostnameMatches).toBe(true);
  });
});

describe('createProbeCache', () => {
  it('fifty concurrent probes of one MX cost one connection', async () => {
    const w = await world({ defaultCert: goodCert });
    const cache = createProbeCache();
    const results = await Promise.all(Array.from({ length: 50 }, () => cache.probe(opts(w))));
    expect(w.acceptedSockets).toBe(1);
    expect(cache.probesStarted).toBe(1);
    expect(results.every((r) => r === results[0])).toBe(true);
    // later in the run: still cached
    await cache.probe(opts(w));
    expect(w.acceptedSockets).toBe(1);
  });

  it('probes another port (or MX name) separately', async () => {
    const w1 = await world({ defaultCert: goodCert });
    const w2 = await world({ defaultCert: goodCert });
    const cache = createProbeCache();
    await Promise.all([cache.probe(opts(w1)), cache.probe(opts(w2)), cache.probe(opts(w1, { host: 'mx2.good.test' }))]);
    expect([w1.acceptedSockets, w2.acceptedSockets]).toEqual([2, 1]);
  });

  it('one caller giving up does not cancel the shared probe', async () => {
    const w = await world({ defaultCert: goodCert, bannerDelayMs: 200 });
    const cache = createProbeCache();
    const controller = new AbortController();
    const impatient = cache.probe(opts(w, { signal: controller.signal }));
    const patient = cache.probe(opts(w));
    controller.abort(new Error('gave up'));
    await expect(impatient).rejects.toThrow('gave up');
    expect((await patient).state).toBe('ok');
    expect(w.acceptedSockets).toBe(1);
  });
});
