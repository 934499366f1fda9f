/**
 * A malicious zone's server presents a chain of 50 certificates (leaf + 49 intermediates), over
 * STARTTLS and over HTTPS: the probe and safeFetch finish, the reported chain is capped at 10,
 * the STARTTLS check ends with findings (or untested), and what is kept stays small.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeStartTls } from '../../src/checker/net/smtp-probe.ts';
import { safeFetch } from '../../src/checker/net/https.ts';
import { checkStartTls } from '../../src/checker/checks/starttls.ts';
import { createRunResources } from '../../src/checker/check.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';
import { startSmtpWorld, type SmtpWorld } from '../world/smtp-server.ts';
import { startHttpsWorld, type HttpsWorld } from '../world/https-server.ts';
import type { IssuedCert } from '../world/tls/ca.ts';
import { FAST, context } from '../starttls/world.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const DAY = 86_400_000;
const MX = 'mx.chain.test';
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** root → 49 intermediates → leaf; the server sends the leaf and all 49 intermediates (50 certificates). */
async function longChain(length: number, names: string[]): Promise<{ served: IssuedCert; rootPem: string }> {
  const gen = () => webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;
  const notBefore = new Date(Date.now() - DAY);
  const notAfter = new Date(Date.now() + 30 * DAY);
  let keys = await gen();
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Chain Root',
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: SIGN,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  let issuer = root;
  const intermediates: x509.X509Certificate[] = [];
  for (let i = 1; i < length; i++) {
    const next = await gen();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: (0x100 + i).toString(16),
      subject: `CN=Chain Intermediate ${i}`,
      issuer: issuer.subject,
      notBefore,
      notAfter,
      publicKey: next.publicKey,
      signingKey: keys.privateKey,
      signingAlgorithm: SIGN,
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
    });
    intermediates.unshift(cert);
    issuer = cert;
    keys = next;
  }
  const leafKeys = await gen();
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: `CN=${names[0]}`,
    issuer: issuer.subject,
    notBefore,
    notAfter,
    publicKey: leafKeys.publicKey,
    signingKey: keys.privateKey,
    signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: 'dns' as const, value }))),
    ],
  });
  const keyPem = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey), 'PRIVATE KEY');
  const certPem = leaf.toString('pem');
  return {
    rootPem: root.toString('pem'),
    served: {
      names,
      keyPem,
      certPem,
      chainPem: [certPem, ...intermediates.map((c) => c.toString('pem'))].join('\n'),
      certDer: Buffer.from(leaf.rawData),
      notBefore,
      notAfter,
    },
  };
}

let chain: { served: IssuedCert; rootPem: string };
let smtp: SmtpWorld;
let https: HttpsWorld;

beforeAll(async () => {
  chain = await longChain(50, [MX, 'mta-sts.chain.test']);
  expect(chain.served.chainPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(50);
  smtp = await startSmtpWorld({ defaultCert: chain.served });
  https = await startHttpsWorld({
    defaultCert: chain.served,
    hosts: { 'mta-sts.chain.test': { cert: chain.served, routes: { '/.well-known/mta-sts.txt': { kind: 'body', body: 'version: STSv1\nmode: testing\nmx: mx.chain.test\nmax_age: 86400\n', contentType: 'text/plain' } } } },
  });
});
afterAll(async () => {
  await Promise.all([smtp?.close(), https?.close()]);
});

describe('a chain of 50 certificates', () => {
  it('STARTTLS: the probe finishes, the reported chain is capped at 10, the result stays small', async () => {
    const r = await probeStartTls({
      host: MX, address: '127.0.0.1', port: smtp.port, allowPrivateNetworks: true, ca: chain.rootPem, heloName: 'posture.test',
      timeouts: { connectMs: 5000, bannerMs: 5000, commandMs: 5000, tlsMs: 5000 },
    });
    if (r.state !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(r)}`);
    expect(r.tls.chain).toHaveLength(10);
    expect(r.tls.chain[0]!.subjectAltNames).toContain(MX);
    expect(r.tls.hostnameMatches).toBe(true);
    // 50 served certificates are not all kept: the result is a few KiB
    expect(JSON.stringify(r).length).toBeLessThan(32 * 1024);
  });

  it('HTTPS: safeFetch finishes with the policy, the chain capped at 10', async () => {
    const resolver = new MemoryResolver({ names: { 'mta-sts.chain.test': { A: ['127.0.0.1'] } } });
    const r = await safeFetch(`https://mta-sts.chain.test:${https.port}/.well-known/mta-sts.txt`, { resolver, allowPrivateNetworks: true, ca: chain.rootPem, timeoutMs: 5000 });
    if (r.kind !== 'response') throw new Error(`expected a response, got ${JSON.stringify(r)}`);
    expect(r.status).toBe(200);
    expect(r.body).toContain('STSv1');
    const tls = (r as { tls?: { chain: unknown[] } }).tls;
    expect(tls?.chain.length ?? 0).toBeLessThanOrEqual(10);
    expect(JSON.stringify(r).length).toBeLessThan(32 * 1024);
  });

  it('the STARTTLS check ends inside its budget with findings or untested', async () => {
    const { ctx } = context({
      mx: [{ name: MX, address: '192.0.2.50', to: smtp }],
      caPem: chain.rootPem,
      resources: createRunResources({ pacer: null }),
      options: { timeoutMs: 8000 },
    });
    const r = await checkStartTls(ctx, { probeTimeouts: FAST });
    expect(['pass', 'info', 'warn', 'fail', 'untested']).toContain(r.status);
    if (r.status !== 'pass') expect(r.findings.length).toBeGreaterThan(0);
    expect(JSON.stringify(r).length).toBeLessThan(64 * 1024);
  });
});
