/**
 * A domain with every control published — MX with forward-confirmed reverse DNS, SPF with an
 * include, DMARC p=reject, DKIM, MTA-STS (record and policy), TLS-RPT and BIMI — served by the
 * fixture world (HTTPS and SMTP on loopback behind --connect-to). The fault suites put a hostile
 * DNS server in front of it: whatever the faults, no finding may say something is absent.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { DnsFixture } from '../world/dns/zone.ts';
import type { WorldOptions } from '../world/index.ts';

export const GOOD = 'good.test';

/** Finding codes that assert absence or breakage: never allowed when everything is published. */
export const ABSENCE_CODES = [
  'dns.nxdomain', 'mx.missing', 'mx.target_unresolvable', 'mx.no_fcrdns',
  'spf.missing', 'spf.include_target_no_spf', 'spf.redirect_target_no_spf', 'spf.too_many_void_lookups',
  'dmarc.missing', 'dkim.not_found', 'dkim.domainkey_nxdomain',
  'mta_sts.missing', 'mta_sts.policy_host_unreachable', 'mta_sts.mx_not_covered',
  'tls_rpt.missing', 'bimi.missing', 'starttls.not_offered',
] as const;

const DKIM_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" viewBox="0 0 100 100"><title>Good</title><path d="M0 0h100v100z"/></svg>`;

export function goodFixture(): DnsFixture {
  return {
    names: {
      [GOOD]: { MX: [[10, `mx1.${GOOD}`]], TXT: [`v=spf1 mx include:_spf.${GOOD} -all`] },
      [`_spf.${GOOD}`]: { TXT: ['v=spf1 ip4:192.0.2.0/24 -all'] },
      [`mx1.${GOOD}`]: { A: ['192.0.2.25'] },
      '25.2.0.192.in-addr.arpa': { PTR: [`mx1.${GOOD}`] },
      [`_dmarc.${GOOD}`]: { TXT: [`v=DMARC1; p=reject; rua=mailto:dmarc@${GOOD}`] },
      [`default._domainkey.${GOOD}`]: { TXT: [`v=DKIM1; k=rsa; p=${DKIM_KEY}`] },
      [`_mta-sts.${GOOD}`]: { TXT: ['v=STSv1; id=20260101'] },
      [`mta-sts.${GOOD}`]: { A: ['192.0.2.44'] },
      [`_smtp._tls.${GOOD}`]: { TXT: [`v=TLSRPTv1; rua=mailto:tlsrpt@${GOOD}`] },
      [`default._bimi.${GOOD}`]: { TXT: [`v=BIMI1; l=https://bimi.${GOOD}/logo.svg; a=`] },
      [`bimi.${GOOD}`]: { A: ['192.0.2.45'] },
    },
  };
}

export function goodWorld(dns: DnsFixture = goodFixture()): WorldOptions {
  return {
    dns,
    https: {
      [`mta-sts.${GOOD}`]: {
        address: '192.0.2.44',
        routes: { '/.well-known/mta-sts.txt': { kind: 'body', body: `version: STSv1\nmode: enforce\nmx: mx1.${GOOD}\nmax_age: 1209600\n` } },
      },
      [`bimi.${GOOD}`]: { address: '192.0.2.45', routes: { '/logo.svg': { kind: 'body', body: LOGO, contentType: 'image/svg+xml' } } },
    },
    smtp: { [`mx1.${GOOD}`]: { address: '192.0.2.25' } },
  };
}
