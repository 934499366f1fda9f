/**
 * The sample domains `posture demo` checks (and end-to-end tests reuse): one
 * well-run domain, a parked one, a legacy one, a broken one and one that does
 * not exist. Names live under the reserved `.test` TLD, addresses in
 * documentation ranges, so nothing here can collide with the real internet.
 */
import { X509Certificate, createHash, generateKeyPairSync } from 'node:crypto';
import type { DnsFixture, NameSpec } from './dns/zone.ts';
import type { IssuedCert } from './tls/ca.ts';
import type { WorldOptions } from './index.ts';

export const DEMO_DOMAINS = ['acme.test', 'parked.test', 'legacy.test', 'broken.test', 'typo-nonexistent.test'] as const;

function reverseV4(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
}

function reverseV6(ip: string): string {
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((g) => g.padStart(4, '0'));
  return `${groups.join('').split('').reverse().join('.')}.ip6.arpa`;
}

/** A host with A/AAAA and matching PTR records (forward-confirmed reverse DNS). */
function host(name: string, v4: string, v6?: string): Record<string, NameSpec> {
  const out: Record<string, NameSpec> = {
    [name]: { A: [v4], ...(v6 ? { AAAA: [v6] } : {}) },
    [reverseV4(v4)]: { PTR: [name] },
  };
  if (v6) out[reverseV6(v6)] = { PTR: [name] };
  return out;
}

function dkimKey(bits: number): string {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}

/** TLSA 3 1 1 (DANE-EE, SPKI, SHA-256) for a served certificate (RFC 7671 §5.1). */
function tlsa311(cert: IssuedCert) {
  const spki = new X509Certificate(cert.certDer).publicKey.export({ type: 'spki', format: 'der' });
  return { usage: 3, selector: 1, matchingType: 1, data: createHash('sha256').update(spki).digest('hex') };
}

const policy = (mode: string, mx: string[], maxAge = 1_209_600) =>
  ['version: STSv1', `mode: ${mode}`, ...mx.map((m) => `mx: ${m}`), `max_age: ${maxAge}`, ''].join('\r\n');

const ADDR = {
  mx1: '192.0.2.25',
  mx2: '192.0.2.26',
  legacyMx: '192.0.2.40',
  brokenMx: '192.0.2.41',
  acmeSts: '192.0.2.80',
  legacySts: '192.0.2.81',
};

function demoDns(certs: Record<string, IssuedCert>): DnsFixture {
  const key2048 = dkimKey(2048);
  return {
    signed: ['acme.test', 'parked.test', 'mailhost.test'],
    names: {
      // a shared, well-run mail provider, included by several domains
      ...host('mx1.mailhost.test', ADDR.mx1, '2001:db8::25'),
      ...host('mx2.mailhost.test', ADDR.mx2, '2001:db8::26'),
      '_spf.mailhost.test': { TXT: ['v=spf1 ip4:192.0.2.0/25 ip6:2001:db8::/64 -all'] },
      '_25._tcp.mx1.mailhost.test': { TLSA: [tlsa311(certs['mx1.mailhost.test']!)] },
      '_25._tcp.mx2.mailhost.test': { TLSA: [tlsa311(certs['mx2.mailhost.test']!)] },

      // acme.test: well run
      'acme.test': {
        MX: [[10, 'mx1.mailhost.test'], [20, 'mx2.mailhost.test']],
        TXT: ['v=spf1 include:_spf.mailhost.test -all', 'google-site-verification=abc123'],
        A: ['192.0.2.80'],
      },
      '_dmarc.acme.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:dmarc@acme.test; adkim=r; aspf=r'] },
      'selector1._domainkey.acme.test': { TXT: [`v=DKIM1; k=rsa; p=${key2048}`] },
      '_mta-sts.acme.test': { TXT: ['v=STSv1; id=20261101000000'] },
      'mta-sts.acme.test': { A: [ADDR.acmeSts] },
      '_smtp._tls.acme.test': { TXT: ['v=TLSRPTv1; rua=mailto:tls-reports@acme.test'] },

      // parked.test: accepts and sends no mail, and says so
      'parked.test': { MX: [[0, '.']], TXT: ['v=spf1 -all'], A: ['192.0.2.82'] },
      '_dmarc.parked.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:dmarc@acme.test'] },
      'parked.test._report._dmarc.acme.test': { TXT: ['v=DMARC1'] },

      // legacy.test: grew by accretion
      'legacy.test': {
        MX: [[10, 'mail.legacy.test'], [20, 'mx2.mailhost.test']],
        TXT: [
          'v=spf1 a mx ptr include:_spf.mailhost.test include:spf1.legacy.test include:spf2.legacy.test include:spf3.legacy.test ~all',
        ],
      },
      ...host('mail.legacy.test', ADDR.legacyMx),
      'spf1.legacy.test': { TXT: ['v=spf1 a:a1.legacy.test a:a2.legacy.test include:spf4.legacy.test -all'] },
      'spf2.legacy.test': { TXT: ['v=spf1 a:a3.legacy.test mx:legacy.test -all'] },
      'spf3.legacy.test': { TXT: ['v=spf1 exists:%{i}.bl.legacy.test -all'] },
      'spf4.legacy.test': { TXT: ['v=spf1 ip4:198.51.100.0/24 -all'] },
      'a1.legacy.test': { A: ['198.51.100.1'] },
      'a2.legacy.test': { A: ['198.51.100.2'] },
      'a3.legacy.test': { A: ['198.51.100.3'] },
      '_dmarc.legacy.test': { TXT: ['v=DMARC1; p=none; pct=50; rua=mailto:reports@dmarc-vendor.test'] },
      'dmarc-vendor.test': { MX: [[10, 'mx1.mailhost.test']] },
      '_mta-sts.legacy.test': { TXT: ['v=STSv1; id=2019'] },
      'mta-sts.legacy.test': { A: [ADDR.legacySts] },

      // broken.test: open to spoofing, and its mail servers show it
      'broken.test': {
        MX: [[10, 'mail.broken.test'], [20, 'mx3.broken.test'], [30, '192.0.2.99']],
        TXT: ['v=spf1 +all'],
      },
      'mail.broken.test': { CNAME: 'mx1.mailhost.test' },
      ...host('mx3.broken.test', ADDR.brokenMx),
    },
  };
}

export function demoWorldOptions(): WorldOptions {
  return {
    dns: demoDns,
    https: {
      'mta-sts.acme.test': {
        address: ADDR.acmeSts,
        routes: {
          '/.well-known/mta-sts.txt': { kind: 'body', contentType: 'text/plain', body: policy('enforce', ['mx1.mailhost.test', 'mx2.mailhost.test']) },
        },
      },
      'mta-sts.legacy.test': {
        address: ADDR.legacySts,
        routes: {
          // testing mode, a one-day max_age, and the provider's MX forgotten
          '/.well-known/mta-sts.txt': { kind: 'body', contentType: 'text/plain', body: policy('testing', ['mail.legacy.test'], 86_400) },
        },
      },
    },
    smtp: {
      'mx1.mailhost.test': { address: ADDR.mx1 },
      'mx2.mailhost.test': { address: ADDR.mx2 },
      // an old server: TLS 1.0/1.1 only and an expired certificate
      'mail.legacy.test': { address: ADDR.legacyMx, kind: 'expired', server: { tls: { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' } } },
      // a server that never learned STARTTLS
      'mx3.broken.test': { address: ADDR.brokenMx, server: { starttls: false } },
    },
  };
}
