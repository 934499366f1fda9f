/** Finding topics: dns.* and mx.* (CONTRACTS §3). */
import type { AreaTexts } from './text.ts';

export const DNS_TEXTS: AreaTexts<'dns'> = {
  'dns.nxdomain': {
    means: 'DNS says the domain does not exist (NXDOMAIN), so Posture skipped the other checks.',
    matters: 'Nothing can be sent to or checked for a name that does not exist. Often it is a typo, an expired registration or a broken delegation.',
    fix: 'Check the spelling. If the domain is yours, check that its registration is current and that the registrar lists the right name servers, and that those servers answer for it.',
  },
  'dns.lookup_failed': {
    means: 'A DNS query timed out or returned SERVFAIL, so the check that needed it is marked untested. Posture asserts nothing about that check.',
    matters: 'An untested check neither earns nor loses points. If the failure is real and lasting, other senders may be unable to see the record too; a DNSSEC validation failure also shows up as SERVFAIL.',
    fix: 'Run the check again, or try another resolver (--resolver). If it keeps failing, test the domain\'s name servers directly and check its DNSSEC status.',
    seeAlso: ['grade', 'dnssec'],
  },
};

export const MX_TEXTS: AreaTexts<'mx'> = {
  'mx.missing': {
    means: 'The domain has no MX record. Senders then fall back to its A/AAAA address (the "implicit MX").',
    matters: 'That address is usually a web server, so mail to the domain is queued, retried and bounced days later, or lands somewhere unexpected.',
    fix: 'If the domain receives mail, publish MX records for your mail servers. If it does not, publish a null MX ("MX 0 .").',
    seeAlso: ['null-mx'],
  },
  'mx.null_mx': {
    means: 'The domain publishes a null MX: it says it accepts no mail.',
    matters: 'This is fine for domains that receive no mail: senders fail at once instead of retrying.',
    fix: 'Nothing, if intended. A domain that sends no mail should also publish "v=spf1 -all" and a DMARC p=reject record.',
    seeAlso: ['mx'],
  },
  'mx.null_mx_with_other_mx': {
    means: 'The domain publishes a null MX ("MX 0 .") next to other MX records.',
    matters: 'RFC 7505 forbids this: a null MX must be the only MX record. Senders may treat the domain as accepting no mail, or ignore the null MX; either way delivery is unpredictable.',
    fix: 'Decide whether the domain receives mail. If it does, delete the null MX; if not, delete the other MX records.',
    seeAlso: ['mx'],
  },
  'mx.null_mx_but_sending': {
    means: 'The domain says it accepts no mail (null MX), yet its SPF record authorises servers to send as it.',
    matters: 'Replies and bounces to such mail cannot be delivered, and RFC 7505 §4.2 warns that receivers may reject mail from addresses whose domain publishes a null MX.',
    fix: 'If the domain sends mail, replace the null MX with real MX records. If it does not, change SPF to "v=spf1 -all".',
    seeAlso: ['spf'],
  },
  'mx.target_is_ip': {
    means: 'An MX record points at an IP address instead of a host name.',
    matters: 'An MX target must be a host name (RFC 5321 §5.1). Senders look it up as a name, so many find no address and cannot deliver to that MX.',
    fix: 'Give the server a host name with an A/AAAA record (e.g. mail.example.com) and point the MX record at that name.',
  },
  'mx.target_is_cname': {
    means: 'An MX record points at a name that is an alias (CNAME).',
    matters: 'RFC 2181 §10.3 says MX targets must not be aliases. Many senders follow the alias anyway, but not all do, so delivery can fail for some of them.',
    fix: 'Point the MX record at the canonical host name (the alias\'s final target), which has its own A/AAAA records.',
  },
  'mx.target_unresolvable': {
    means: 'An MX host name has no A or AAAA record, so it has no address.',
    matters: 'Senders cannot connect to that MX. If it is the only one, mail to the domain cannot be delivered.',
    fix: 'Publish A/AAAA records for the MX host, or remove the MX record if the host is gone.',
  },
  'mx.no_fcrdns': {
    means: 'An MX host\'s IP address has no reverse DNS (PTR) name, or that name does not resolve back to the same address.',
    matters: 'Receivers check forward-confirmed reverse DNS on servers that send mail. If this host also sends mail, much of it may be rejected or marked as spam.',
    fix: 'Ask whoever controls the IP address (your hosting or network provider) to set its PTR record to the host\'s name, and make sure that name has an A/AAAA record for the same address.',
  },
  'mx.no_ipv6': {
    means: 'None of the MX hosts has an IPv6 (AAAA) address.',
    matters: 'Mail still arrives over IPv4 from nearly all senders today; this is advisory. IPv6-only senders cannot reach you.',
    fix: 'If your mail provider or servers support IPv6, publish AAAA records for the MX hosts.',
  },
};
