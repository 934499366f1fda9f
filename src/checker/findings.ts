/**
 * The finding catalog: every code of CONTRACTS §3 with its default severity and
 * the spec section it comes from. Checks create findings only through `finding()`,
 * so a code's severity and reference live in exactly one place.
 */
import type { Finding, Severity } from './types.ts';

interface CodeInfo {
  severity: Severity;
  ref: string;
  title: string;
}

const c = (severity: Severity, ref: string, title: string): CodeInfo => ({ severity, ref, title });

export const FINDINGS = {
  // dns
  'dns.nxdomain': c('fail', 'RFC 1035 §4.1.1; RFC 8020', 'The domain does not exist'),
  'dns.lookup_failed': c('info', 'RFC 1035 §4.1.1; RFC 8914', 'A DNS lookup failed (timeout or SERVFAIL)'),

  // mx
  'mx.missing': c('warn', 'RFC 5321 §5.1', 'No MX record (mail falls back to the A/AAAA record)'),
  'mx.null_mx': c('info', 'RFC 7505 §3', 'Null MX: the domain accepts no mail'),
  'mx.null_mx_with_other_mx': c('fail', 'RFC 7505 §3', 'Null MX published next to other MX records'),
  'mx.null_mx_but_sending': c('warn', 'RFC 7505 §4.2', 'Null MX while SPF authorises senders'),
  'mx.target_is_ip': c('fail', 'RFC 5321 §5.1; RFC 7505 §3', 'MX target is an IP address, not a host name'),
  'mx.target_is_cname': c('fail', 'RFC 2181 §10.3; RFC 5321 §5.1', 'MX target is an alias (CNAME)'),
  'mx.target_unresolvable': c('fail', 'RFC 5321 §5.1', 'MX target has no A/AAAA address'),
  'mx.no_fcrdns': c('warn', 'RFC 8601 §3; M3AAWG sender best practices', 'MX address has no forward-confirmed reverse DNS'),
  'mx.no_ipv6': c('info', 'RFC 3596; internet.nl MailIpv6MxAaaa', 'No MX host has an IPv6 address'),

  // spf
  'spf.missing': c('fail', 'RFC 7208 §4.5', 'No SPF record'),
  'spf.multiple_records': c('fail', 'RFC 7208 §4.5; §3.2', 'More than one SPF record'),
  'spf.syntax_error': c('fail', 'RFC 7208 §4.6; §12', 'SPF record has a syntax error'),
  'spf.unknown_mechanism': c('fail', 'RFC 7208 §4.6.1; §5', 'SPF record uses an unknown mechanism'),
  'spf.invalid_ip_or_cidr': c('fail', 'RFC 7208 §5.6', 'SPF ip4/ip6 address or prefix is invalid'),
  'spf.too_many_lookups': c('fail', 'RFC 7208 §4.6.4', 'SPF needs more than 10 DNS lookups'),
  'spf.lookups_near_limit': c('warn', 'RFC 7208 §4.6.4', 'SPF is close to the 10-lookup limit'),
  'spf.too_many_void_lookups': c('fail', 'RFC 7208 §4.6.4', 'SPF has more than 2 void lookups'),
  'spf.mx_too_many_hosts': c('fail', 'RFC 7208 §4.6.4', 'An SPF mx term resolves to more than 10 MX hosts'),
  'spf.include_target_no_spf': c('fail', 'RFC 7208 §5.2', 'An SPF include points at a domain without SPF'),
  'spf.redirect_target_no_spf': c('fail', 'RFC 7208 §6.1', 'The SPF redirect target has no SPF'),
  'spf.loop': c('fail', 'RFC 7208 §4.6.4; §5.2', 'SPF include/redirect loop'),
  'spf.pass_all': c('fail', 'RFC 7208 §5.1', 'SPF authorises the whole internet (+all)'),
  'spf.neutral_all': c('warn', 'RFC 7208 §8.2', 'SPF ends in ?all (neutral): it asserts nothing'),
  'spf.softfail_all': c('info', 'RFC 7208 §8.5', 'SPF ends in ~all (softfail)'),
  'spf.no_all_or_redirect': c('warn', 'RFC 7208 §4.7', 'SPF has neither an all mechanism nor a redirect'),
  'spf.terms_after_all': c('warn', 'RFC 7208 §5.1', 'SPF has terms after all that are never evaluated'),
  'spf.redirect_ignored': c('warn', 'RFC 7208 §6.1', 'SPF redirect is ignored because all is present'),
  'spf.ptr_used': c('warn', 'RFC 7208 §5.5', 'SPF uses the ptr mechanism'),
  'spf.string_too_long': c('fail', 'RFC 7208 §3.3; RFC 1035 §3.3.14', 'A TXT character-string is longer than 255 bytes'),
  'spf.record_too_large': c('warn', 'RFC 7208 §3.4', 'SPF record is larger than 450 bytes'),
  'spf.deprecated_rrtype': c('warn', 'RFC 7208 §3.1; §14.1', 'SPF published as the deprecated SPF (type 99) record'),
  'spf.macros_unbounded': c('info', 'RFC 7208 §7', 'SPF uses macros: lookups depend on the message'),

  // dmarc
  'dmarc.missing': c('fail', 'RFC 7489 §6.6.3', 'No DMARC record'),
  'dmarc.inherited': c('info', 'RFC 7489 §6.6.3; DMARCbis §4.10', 'DMARC policy comes from a parent domain'),
  'dmarc.multiple_records': c('fail', 'RFC 7489 §6.6.3', 'More than one DMARC record'),
  'dmarc.syntax_error': c('fail', 'RFC 7489 §6.4', 'DMARC record has a syntax error'),
  'dmarc.invalid_tag_value': c('fail', 'RFC 7489 §6.3', 'A DMARC tag has an invalid value'),
  'dmarc.duplicate_tag': c('fail', 'RFC 7489 §6.4; DMARCbis §4.7', 'A DMARC tag appears twice'),
  'dmarc.unknown_tag': c('info', 'RFC 7489 §6.3', 'DMARC record has an unknown tag'),
  'dmarc.policy_none': c('warn', 'RFC 7489 §6.3', 'DMARC policy is none (monitoring only)'),
  'dmarc.subdomain_policy_weaker': c('warn', 'RFC 7489 §6.3; DMARCbis §4.7', 'DMARC subdomain policy is weaker than the domain policy'),
  'dmarc.pct_partial': c('warn', 'RFC 7489 §6.3', 'DMARC policy applies to only part of the mail (pct<100)'),
  'dmarc.deprecated_tags': c('info', 'DMARCbis §4.7 (pct, rf, ri removed)', 'DMARC record uses tags DMARCbis removed'),
  'dmarc.no_rua': c('warn', 'RFC 7489 §7.2', 'DMARC has no aggregate report address (rua)'),
  'dmarc.invalid_report_uri': c('fail', 'RFC 7489 §6.2; §6.3', 'A DMARC report URI is invalid'),
  'dmarc.external_report_unauthorized': c('warn', 'RFC 7489 §7.1', 'External DMARC report destination has not authorised reports'),
  'dmarc.report_domain_no_mx': c('warn', 'RFC 7489 §7.1; RFC 5321 §5.1', 'DMARC report address domain accepts no mail'),
  'dmarc.misplaced_or_polluted': c('warn', 'RFC 7489 §6.1; §6.6.3', 'DMARC record misplaced, or other TXT records beside it'),
  'dmarc.alignment_strict': c('info', 'RFC 7489 §3.1', 'DMARC uses strict alignment'),

  // dkim
  'dkim.not_found': c('warn', 'RFC 6376 §3.6.2', 'No DKIM key found at the selectors tried'),
  'dkim.domainkey_nxdomain': c('info', 'RFC 6376 §3.6.2.1; RFC 8020', '_domainkey does not exist'),
  'dkim.key_revoked': c('info', 'RFC 6376 §3.6.1', 'DKIM key revoked (empty p=)'),
  'dkim.key_too_short': c('fail', 'RFC 8301 §3.2', 'DKIM RSA key shorter than 1024 bits'),
  'dkim.key_1024': c('warn', 'RFC 8301 §3.2', 'DKIM RSA key shorter than 2048 bits'),
  'dkim.sha1_only': c('fail', 'RFC 8301 §3.1', 'DKIM key allows only SHA-1'),
  'dkim.testing_mode': c('warn', 'RFC 6376 §3.6.1', 'DKIM key in testing mode (t=y)'),
  'dkim.invalid_record': c('fail', 'RFC 6376 §3.6.1; RFC 8463 §4', 'DKIM key record is invalid'),
  'dkim.service_type_excludes_email': c('warn', 'RFC 6376 §3.6.1', 'DKIM key service type excludes email'),

  // mta_sts
  'mta_sts.missing': c('warn', 'RFC 8461 §3.1', 'No MTA-STS policy'),
  'mta_sts.record_invalid': c('fail', 'RFC 8461 §3.1', 'MTA-STS TXT record is invalid'),
  'mta_sts.policy_host_unreachable': c('fail', 'RFC 8461 §3.3', 'MTA-STS policy host unreachable'),
  'mta_sts.policy_cert_invalid': c('fail', 'RFC 8461 §3.3', 'MTA-STS policy host certificate is invalid'),
  'mta_sts.policy_redirect': c('fail', 'RFC 8461 §3.3', 'MTA-STS policy URL redirects'),
  'mta_sts.policy_http_error': c('fail', 'RFC 8461 §3.3', 'MTA-STS policy fetch did not return 200'),
  'mta_sts.policy_content_type': c('warn', 'RFC 8461 §3.2', 'MTA-STS policy is not served as text/plain'),
  'mta_sts.policy_too_large': c('fail', 'RFC 8461 §3.3', 'MTA-STS policy is larger than 64 KiB'),
  'mta_sts.policy_invalid': c('fail', 'RFC 8461 §3.2', 'MTA-STS policy file is invalid'),
  'mta_sts.mode_testing': c('warn', 'RFC 8461 §5', 'MTA-STS in testing mode'),
  'mta_sts.mode_none': c('info', 'RFC 8461 §5', 'MTA-STS mode none (policy withdrawn)'),
  'mta_sts.max_age_short': c('warn', 'RFC 8461 §3.2', 'MTA-STS max_age is shorter than a week'),
  'mta_sts.mx_not_covered': c('fail', 'RFC 8461 §4.1', 'An MX host is not covered by the MTA-STS policy'),

  // tls_rpt
  'tls_rpt.missing': c('warn', 'RFC 8460 §3', 'No TLS-RPT record'),
  'tls_rpt.multiple_records': c('fail', 'RFC 8460 §3', 'More than one TLS-RPT record'),
  'tls_rpt.record_invalid': c('fail', 'RFC 8460 §3', 'TLS-RPT record is invalid'),
  'tls_rpt.invalid_rua': c('fail', 'RFC 8460 §3', 'TLS-RPT rua is invalid'),

  // dnssec
  'dnssec.unsigned': c('warn', 'RFC 4033 §2; RFC 4035', 'Domain is not DNSSEC-signed'),
  'dnssec.bogus': c('fail', 'RFC 4035 §5.5', 'DNSSEC validation fails (bogus)'),
  'dnssec.mx_zone_unsigned': c('warn', 'RFC 7672 §2.2', 'An MX host zone is not DNSSEC-signed'),
  'dnssec.weak_algorithm': c('warn', 'RFC 8624 §3.1', 'DNSSEC uses a weak algorithm'),

  // dane
  'dane.missing': c('info', 'RFC 7672 §1.3', 'No DANE TLSA records for the MX hosts'),
  'dane.tlsa_insecure': c('fail', 'RFC 7672 §2.2', 'TLSA records without DNSSEC'),
  'dane.mismatch': c('fail', 'RFC 7672 §3.1; RFC 6698 §2.1', 'No TLSA record matches the certificate served'),
  'dane.pkix_usage': c('warn', 'RFC 7672 §3.1.3', 'TLSA uses PKIX usages (0/1)'),
  'dane.nonrecommended_params': c('info', 'RFC 7671 §5', 'TLSA parameters are not the recommended ones'),
  'dane.no_rollover': c('info', 'RFC 7671 §8', 'TLSA has no record for the next key'),

  // bimi
  'bimi.missing': c('info', 'BIMI draft-brand-indicators-for-message-identification §4', 'No BIMI record'),
  'bimi.record_invalid': c('fail', 'BIMI draft §4.2', 'BIMI record is invalid'),
  'bimi.dmarc_not_enforced': c('fail', 'BIMI draft §4.1', 'BIMI requires an enforcing DMARC policy'),
  'bimi.svg_invalid': c('fail', 'BIMI SVG Tiny PS profile', 'BIMI logo is not valid SVG Tiny PS'),
  'bimi.svg_not_square': c('warn', 'BIMI SVG Tiny PS profile', 'BIMI logo is not square'),
  'bimi.no_vmc': c('warn', 'BIMI draft §4.2 (a=)', 'BIMI has no mark certificate'),
  'bimi.vmc_invalid': c('fail', 'BIMI VMC guidelines', 'BIMI mark certificate is invalid'),

  // starttls
  'starttls.unreachable': c('info', 'RFC 5321 §3.1', 'MX port 25 unreachable from here'),
  'starttls.not_offered': c('fail', 'RFC 3207 §4', 'MX does not offer STARTTLS'),
  'starttls.handshake_failed': c('fail', 'RFC 3207 §4', 'STARTTLS handshake failed'),
  'starttls.legacy_protocol': c('warn', 'RFC 8996', 'MX negotiates TLS older than 1.2'),
  'starttls.no_tls13': c('info', 'RFC 8446; RFC 9325 §3.1.1', 'MX does not offer TLS 1.3'),
  'starttls.weak_cipher': c('warn', 'RFC 9325 §4.1', 'MX negotiates a weak cipher'),
  'starttls.cert_untrusted': c('warn', 'RFC 5280; RFC 8461 §4.2', 'MX certificate is not publicly trusted'),
  'starttls.cert_hostname_mismatch': c('warn', 'RFC 9525; RFC 8461 §4.2', 'MX certificate does not match its host name'),
  'starttls.cert_expired': c('warn', 'RFC 5280 §4.1.2.5', 'MX certificate has expired'),
  'starttls.cert_expiring': c('info', 'RFC 5280 §4.1.2.5', 'MX certificate expires within 14 days'),
  'starttls.cert_weak_key': c('warn', 'RFC 9325 §4.3', 'MX certificate key is weak'),
} as const satisfies Record<string, CodeInfo>;

export type FindingCode = keyof typeof FINDINGS;

export const FINDING_CODES = Object.keys(FINDINGS) as FindingCode[];

export function isFindingCode(code: string): code is FindingCode {
  return Object.hasOwn(FINDINGS, code);
}

/** Build a finding with the catalog's severity and reference (both overridable: e.g. MTA-STS enforce escalates). */
export function finding(
  code: FindingCode,
  message: string,
  fix: string,
  overrides: { severity?: Severity; ref?: string } = {},
): Finding {
  const info = FINDINGS[code];
  return {
    code,
    severity: overrides.severity ?? info.severity,
    message,
    fix,
    ref: overrides.ref ?? info.ref,
  };
}
