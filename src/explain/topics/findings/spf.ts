/** Finding topics: spf.* (CONTRACTS §3; RFC 7208). */
import type { AreaTexts } from './text.ts';

const PERMERROR =
  'Receivers get a permerror for the whole record: SPF never passes for any of your mail, and DMARC has to rely on DKIM alone.';

export const SPF_TEXTS: AreaTexts<'spf'> = {
  'spf.missing': {
    means: 'The domain has no TXT record starting with "v=spf1".',
    matters: 'Receivers cannot tell which servers may send as your domain, so SPF gives the result "none" and cannot help DMARC pass. Forgers are not stopped by SPF either.',
    fix: 'Publish one TXT record at the domain listing your senders, e.g. "v=spf1 include:<your provider> -all". A domain that sends no mail should publish "v=spf1 -all".',
  },
  'spf.multiple_records': {
    means: 'The domain has more than one TXT record starting with "v=spf1".',
    matters: `RFC 7208 allows exactly one. ${PERMERROR}`,
    fix: 'Merge them into a single record: combine the mechanisms (ip4:, include: …) and keep one "all" at the end. Delete the others.',
  },
  'spf.syntax_error': {
    means: 'The SPF record does not follow the grammar in RFC 7208, for example a stray character, a missing colon or a misspelt term.',
    matters: PERMERROR,
    fix: 'Correct the record at the position the report points to. Terms are separated by single spaces, e.g. "v=spf1 ip4:192.0.2.0/24 include:_spf.example.net -all".',
  },
  'spf.unknown_mechanism': {
    means: 'The SPF record contains a term that is not an SPF mechanism (all, include, a, mx, ptr, ip4, ip6, exists) or a modifier (name=value).',
    matters: PERMERROR,
    fix: 'Fix the spelling (a common mistake is "ipv4:" for "ip4:") or remove the term.',
  },
  'spf.invalid_ip_or_cidr': {
    means: 'An ip4: or ip6: term holds an invalid address or prefix length, or an IPv6 address under ip4: (or the reverse).',
    matters: PERMERROR,
    fix: 'Write IPv4 ranges as ip4:192.0.2.0/24 (prefix up to 32) and IPv6 as ip6:2001:db8::/32 (prefix up to 128).',
  },
  'spf.too_many_lookups': {
    means: 'Evaluating the SPF record needs more than 10 DNS-querying terms (include, a, mx, ptr, exists, redirect), counting every nested include.',
    matters: `RFC 7208 §4.6.4 stops at 10. ${PERMERROR}`,
    fix: 'Remove includes for services you no longer use, replace a and mx with ip4:/ip6: ranges where the addresses are stable, and drop ptr. Flattening includes into IP ranges works but must be kept up to date.',
    aliases: ['spf lookup limit', 'too many dns lookups', 'spf 10 lookups'],
  },
  'spf.lookups_near_limit': {
    means: 'Evaluating the SPF record needs 8 to 10 DNS-querying terms, close to the limit of 10.',
    matters: 'It works today, but one more include, or a provider adding a nested include to theirs, pushes it over the limit and SPF breaks.',
    fix: 'Make headroom now: remove unused includes and replace a/mx terms with ip4:/ip6: ranges where the addresses are stable.',
  },
  'spf.too_many_void_lookups': {
    means: 'More than two DNS lookups made while evaluating SPF returned no answer (the name does not exist, or has no record of the type asked).',
    matters: `RFC 7208 §4.6.4 says receivers should stop after two such void lookups. ${PERMERROR}`,
    fix: 'Remove include, a, mx and exists terms that point at names with no records, typically old providers or hosts that were taken down.',
  },
  'spf.mx_too_many_hosts': {
    means: 'An mx term in the SPF record refers to a domain with more than 10 MX hosts.',
    matters: `RFC 7208 §4.6.4 limits the address lookups one mx term may cause to 10; beyond that the mx mechanism is a permerror. ${PERMERROR}`,
    fix: 'Replace the mx term with the ip4:/ip6: ranges of the servers that actually send mail.',
  },
  'spf.include_target_no_spf': {
    means: 'An include: term names a domain that has no SPF record.',
    matters: `Under RFC 7208 §5.2 an include of a domain without SPF is a permerror. ${PERMERROR}`,
    fix: 'Check the include against your provider\'s current instructions (names change), or remove it if you no longer use that service.',
  },
  'spf.redirect_target_no_spf': {
    means: 'The redirect= modifier names a domain that has no SPF record.',
    matters: `RFC 7208 §6.1 makes that a permerror. ${PERMERROR}`,
    fix: 'Point redirect= at a domain that publishes SPF, or replace the redirect with your own mechanisms and an "all".',
  },
  'spf.loop': {
    means: 'The SPF record includes or redirects to itself, directly or through a chain of other records.',
    matters: `Evaluation can never finish; receivers stop at the lookup limit with a permerror. ${PERMERROR}`,
    fix: 'Follow the chain of include: and redirect= terms and remove the one that leads back to a record already visited.',
  },
  'spf.pass_all': {
    means: 'The SPF record ends in "+all" or a bare "all": every server on the internet is authorised to send as your domain.',
    matters: 'A forger who uses your domain as the envelope sender passes SPF, and that pass is aligned with your domain, so it satisfies DMARC too.',
    fix: 'Replace "+all" or "all" with "-all" (or "~all" while you confirm that every legitimate sender is listed).',
    aliases: ['plus all', '+all'],
  },
  'spf.neutral_all': {
    means: 'The SPF record ends in "?all" (neutral): for servers not listed it asserts nothing.',
    matters: 'Receivers treat a neutral result like no SPF at all, so forged mail from unlisted servers is not marked down by SPF.',
    fix: 'Once every legitimate sender is listed, end the record with "-all" (or "~all").',
    aliases: ['question mark all', '?all'],
  },
  'spf.softfail_all': {
    means: 'The SPF record ends in "~all" (softfail): unlisted servers are probably not authorised.',
    matters: 'This is a common and acceptable setting, especially with an enforcing DMARC policy. Without DMARC, receivers usually accept softfailed mail, perhaps marking it as suspicious.',
    fix: 'Nothing urgent. Change to "-all" when you are sure every legitimate sender is listed, and rely on DMARC for enforcement.',
    aliases: ['tilde all', '~all', 'softfail'],
  },
  'spf.no_all_or_redirect': {
    means: 'The SPF record has neither an "all" mechanism nor a redirect= modifier.',
    matters: 'Mail from servers that match nothing gets the default result "neutral", so the record says nothing about forgers.',
    fix: 'End the record with "-all" (or "~all").',
  },
  'spf.terms_after_all': {
    means: 'The SPF record has mechanisms after "all".',
    matters: 'Evaluation stops at "all", so everything after it is ignored. Usually a sign that a sender was added in the wrong place and is not really authorised.',
    fix: 'Move those terms before "all", which should be the last mechanism.',
  },
  'spf.redirect_ignored': {
    means: 'The SPF record has both an "all" mechanism and a redirect= modifier.',
    matters: 'RFC 7208 ignores redirect= when "all" is present, so the record you redirect to is never consulted.',
    fix: 'Keep one: remove "all" if the redirect target should decide, or remove redirect= if your own record is complete.',
  },
  'spf.ptr_used': {
    means: 'The SPF record uses the ptr mechanism, which authorises servers by their reverse DNS name.',
    matters: 'RFC 7208 §5.5 says ptr should not be published: it is slow, unreliable and puts load on reverse DNS servers. Some receivers skip it, so those servers may fail SPF.',
    fix: 'Replace ptr with the ip4:/ip6: ranges (or a/mx terms) of the servers concerned.',
  },
  'spf.string_too_long': {
    means: 'A single string inside the SPF TXT record is longer than 255 bytes.',
    matters: 'DNS allows at most 255 bytes per string in a TXT record (RFC 7208 §3.3). A longer string is invalid: DNS software and receivers may reject, truncate or misread the record.',
    fix: 'Split the record into several quoted strings of at most 255 bytes in the same TXT record, e.g. "v=spf1 … " "include:… -all". Receivers join them without adding spaces, so keep a space where it is needed.',
  },
  'spf.record_too_large': {
    means: 'The SPF record is longer than 450 bytes.',
    matters: 'RFC 7208 §3.4 advises keeping SPF answers small enough to fit a 512-byte DNS reply. Larger answers may need a retry over TCP, which some networks and receivers handle badly.',
    fix: 'Shorten it: remove unused senders and merge ip4:/ip6: ranges.',
  },
  'spf.deprecated_rrtype': {
    means: 'The domain publishes an SPF record of DNS type SPF (99).',
    matters: 'RFC 7208 discontinued that record type; receivers only read TXT records. A type-99 record is at best ignored and may be out of step with the TXT one.',
    fix: 'Make sure the policy is in a TXT record, then delete the type-99 SPF record.',
  },
  'spf.macros_unbounded': {
    means: 'The SPF record uses macros (such as %{i} or %{l}), which are filled in from each message.',
    matters: 'Which names get looked up depends on the sender and the connecting address, so Posture cannot count the lookups exactly. Macros are valid but easy to get wrong.',
    fix: 'Nothing, if intended (some providers use macros deliberately). Otherwise replace them with fixed mechanisms.',
  },
};
