/** Finding topics: dnssec.* and dane.* (CONTRACTS §3; RFC 4033-4035, RFC 8624, RFC 7672, RFC 7671). */
import type { AreaTexts } from './text.ts';

export const DNSSEC_TEXTS: AreaTexts<'dnssec'> = {
  'dnssec.unsigned': {
    means: 'The domain\'s DNS answers are not DNSSEC-validated: the zone is not signed, or its parent has no DS record for it.',
    matters: 'Anyone who can tamper with DNS answers on the way can forge your MX, SPF, DMARC or MTA-STS records, and DANE is not possible.',
    fix: 'Turn on DNSSEC signing at your DNS provider, then publish the DS record it gives you at your registrar.',
  },
  'dnssec.bogus': {
    means: 'DNSSEC validation of the domain fails: signatures do not match the published keys, have expired, or the DS record at the parent points at a key the zone no longer uses.',
    matters: 'Validating resolvers, which serve a large share of internet users, answer SERVFAIL: for them the domain does not resolve at all, so mail to and from it fails.',
    fix: 'Urgent. Make the DS record at your registrar match the zone\'s current key, or have your DNS provider re-sign the zone. If that cannot be done quickly, remove the DS record (the zone becomes unsigned rather than broken).',
  },
  'dnssec.mx_zone_unsigned': {
    means: 'The zone of one of your MX hosts is not DNSSEC-signed.',
    matters: 'DANE needs the MX host\'s zone to be signed, so DANE cannot protect mail to that host. When your mail provider runs the MX host, only the provider can change this.',
    fix: 'If you run that zone, sign it. Otherwise, ask your provider whether it supports DNSSEC and DANE.',
    seeAlso: ['dane'],
  },
  'dnssec.weak_algorithm': {
    means: 'The zone is signed with an algorithm RFC 8624 §3.1 does not recommend for signing, such as RSA/MD5, DSA or RSA/SHA-1.',
    matters: 'Some of these are breakable or no longer validated by resolvers; a signature resolvers do not validate protects nothing.',
    fix: 'Roll the zone over to algorithm 13 (ECDSA P-256 with SHA-256) or 8 (RSA/SHA-256). An algorithm rollover must follow a careful sequence; most DNS providers do it for you.',
  },
};

export const DANE_TEXTS: AreaTexts<'dane'> = {
  'dane.missing': {
    means: 'None of your MX hosts publishes TLSA records at _25._tcp.<mx host>.',
    matters: 'DANE is optional and needs DNSSEC-signed MX zones. Without it (or MTA-STS), senders cannot tell a genuine MX certificate from a forged one.',
    fix: 'If the MX hosts\' zones are signed, publish a "3 1 1" TLSA record (SHA-256 of the server\'s public key) for each, plus one for the next key before you change it.',
  },
  'dane.tlsa_insecure': {
    means: 'TLSA records exist for an MX host, but its zone is not DNSSEC-validated.',
    matters: 'RFC 7672 §2.2: senders use TLSA records only when DNSSEC validates them, so these protect nothing and may mislead you.',
    fix: 'Sign the MX host\'s zone (and publish its DS record), or remove the TLSA records.',
  },
  'dane.mismatch': {
    means: 'No TLSA record of an MX host matches the certificate that host actually serves.',
    matters: 'Senders that validate DANE will not deliver to that host and keep the mail queued, so mail is delayed and then bounced. This usually follows a certificate or key change that skipped the TLSA update.',
    fix: 'Urgent. Publish a TLSA record matching the certificate the host serves now (for "3 1 1", the SHA-256 of its public key). In future, publish the next key\'s record beside the current one and wait for caches to expire before switching.',
  },
  'dane.pkix_usage': {
    means: 'A TLSA record uses certificate usage 0 (PKIX-TA) or 1 (PKIX-EE).',
    matters: 'RFC 7672 §3.1.3 says these should not be used for SMTP: senders have no agreed set of trusted CAs, so such records may be treated as unusable.',
    fix: 'Use usage 3 (DANE-EE, e.g. "3 1 1 <hash>") or usage 2 (DANE-TA, e.g. "2 1 1 <hash of the issuing CA key>").',
  },
  'dane.nonrecommended_params': {
    means: 'A TLSA record uses parameters other than the recommended ones, such as selector 0 (the whole certificate) or matching type 0 (the full data rather than a hash).',
    matters: 'They work, but are fragile or bulky: with selector 0 the record must change at every certificate renewal, even when the key stays the same.',
    fix: 'Prefer "3 1 1" (the server\'s public key, SHA-256) or "2 1 1" (the issuing CA\'s public key, SHA-256).',
  },
  'dane.no_rollover': {
    means: 'An MX host has a single TLSA record: nothing is published for the next key.',
    matters: 'When the key or certificate changes, the record no longer matches until DNS is updated and caches expire; DANE senders stop delivering in the meantime.',
    fix: 'Publish a record for the next key beside the current one (or pair "3 1 1" with a "2 1 1" for the issuing CA), and update DNS before each key change.',
  },
};
