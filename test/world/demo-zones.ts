/**
 * The sample domains `posture demo` checks (and end-to-end tests reuse): one
 * well-run domain, a few broken ones, a parked one. All names live under the
 * reserved `.test` TLD and addresses in documentation ranges, so nothing here
 * can collide with the real internet.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { DnsFixture, NameSpec } from './dns/zone.ts';

export const DEMO_DOMAINS = ['acme.test', 'parked.test', 'legacy.test', 'broken.test', 'typo-nonexistent.test'] as const;

function reverseV4(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
}

function reverseV6(ip: string): string {
  // expand 2001:db8::10 to 32 nibbles
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

export function demoFixture(): DnsFixture {
  const key2048 = dkimKey(2048);
  return {
    signed: ['acme.test', 'parked.test'],
    names: {
      // a shared mail provider, included by several domains
      ...host('mx1.mailhost.test', '192.0.2.25', '2001:db8::25'),
      ...host('mx2.mailhost.test', '192.0.2.26', '2001:db8::26'),
      '_spf.mailhost.test': { TXT: ['v=spf1 ip4:192.0.2.0/25 ip6:2001:db8::/64 -all'] },

      // acme.test: well run
      'acme.test': {
        MX: [[10, 'mx1.mailhost.test'], [20, 'mx2.mailhost.test']],
        TXT: ['v=spf1 include:_spf.mailhost.test -all', 'google-site-verification=abc123'],
        A: ['192.0.2.80'],
      },
      '_dmarc.acme.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:dmarc@acme.test; adkim=r; aspf=r'] },
      'selector1._domainkey.acme.test': { TXT: [`v=DKIM1; k=rsa; p=${key2048}`] },

      // parked.test: accepts and sends no mail, and says so
      'parked.test': { MX: [[0, '.']], TXT: ['v=spf1 -all'], A: ['192.0.2.81'] },
      '_dmarc.parked.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:dmarc@acme.test'] },
      'parked.test._report._dmarc.acme.test': { TXT: ['v=DMARC1'] },

      // legacy.test: grew by accretion
      'legacy.test': {
        MX: [[10, 'mail.legacy.test']],
        TXT: [
          'v=spf1 a mx ptr include:_spf.mailhost.test include:spf1.legacy.test include:spf2.legacy.test include:spf3.legacy.test ~all',
        ],
      },
      ...host('mail.legacy.test', '192.0.2.40'),
      'spf1.legacy.test': { TXT: ['v=spf1 a:a1.legacy.test a:a2.legacy.test include:spf4.legacy.test -all'] },
      'spf2.legacy.test': { TXT: ['v=spf1 a:a3.legacy.test mx:legacy.test -all'] },
      'spf3.legacy.test': { TXT: ['v=spf1 exists:%{i}.bl.legacy.test -all'] },
      'spf4.legacy.test': { TXT: ['v=spf1 ip4:198.51.100.0/24 -all'] },
      'a1.legacy.test': { A: ['198.51.100.1'] },
      'a2.legacy.test': { A: ['198.51.100.2'] },
      'a3.legacy.test': { A: ['198.51.100.3'] },
      '_dmarc.legacy.test': { TXT: ['v=DMARC1; p=none; pct=50; rua=mailto:reports@dmarc-vendor.test'] },
      'dmarc-vendor.test': { MX: [[10, 'mx1.mailhost.test']] },

      // broken.test: open to spoofing
      'broken.test': { MX: [[10, 'mail.broken.test'], [20, '192.0.2.99']], TXT: ['v=spf1 +all'] },
      'mail.broken.test': { CNAME: 'mx1.mailhost.test' },
    },
  };
}
