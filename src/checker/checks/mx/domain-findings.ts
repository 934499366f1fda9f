/** Findings about whether and how the domain accepts mail: NXDOMAIN, no MX, null MX. */
import { finding } from '../../findings.ts';
import type { Finding } from '../../types.ts';
import type { MxFacts, MxHostFacts } from './facts.ts';

/** What the domain's SPF says, as far as we could see. */
export interface SpfSeen {
  /** the SPF records found; empty when there are none or the TXT lookup failed */
  records: string[];
  /** true/false when seen; null when the TXT lookup failed */
  authorisesSenders: boolean | null;
}

export function nxdomain(domain: string): Finding {
  return finding(
    'dns.nxdomain',
    `${domain} does not exist: its name servers answer NXDOMAIN, so it can neither receive nor (credibly) send mail.`,
    `Check the spelling of ${domain}; if it is yours, make sure it is registered and delegated to name servers that serve its zone.`,
  );
}

// RFC 5321 §5.1: without MX, mail goes to the domain's own A/AAAA ("implicit MX").
export function mxMissing(facts: MxFacts, spf: SpfSeen): Finding {
  const domain = facts.domain;
  const host: MxHostFacts | undefined = facts.hosts[0];
  const nullMxAlternative =
    spf.authorisesSenders === false
      ? ` If ${domain} sends and receives no mail, publish a null MX instead: \`${domain}. MX 0 .\``
      : '';
  if (facts.outcome === 'implicit' && host) {
    return finding(
      'mx.missing',
      `${domain} publishes no MX record. Senders fall back to its address (${host.addresses.join(', ')}) as an implicit MX (RFC 5321 §5.1), ` +
        `so mail goes to whatever server answers there, and policies such as MTA-STS cannot name it.`,
      `Name the host that should receive mail for ${domain}, e.g. \`${domain}. MX 10 ${domain}.\` if that server is the mail server.${nullMxAlternative}`,
    );
  }
  if (facts.outcome === 'lookup_failed' && host) {
    return finding(
      'mx.missing',
      `${domain} publishes no MX record. Whether senders could fall back to its A/AAAA address (implicit MX, RFC 5321 §5.1) is unknown: that lookup failed.`,
      `Publish an MX record naming the host that receives mail for ${domain}, e.g. \`${domain}. MX 10 mail.${domain}.\`${nullMxAlternative}`,
    );
  }
  return finding(
    'mx.missing',
    `${domain} publishes no MX record and has no A/AAAA address either, so mail to ${domain} cannot be delivered; senders keep retrying for days before bouncing.`,
    `If ${domain} should receive mail, publish \`${domain}. MX 10 mail.${domain}.\` and give that host an address (\`mail.${domain}. A <IPv4 address>\`).${nullMxAlternative}`,
  );
}

// RFC 7505 §3: a null MX is exactly one MX record, preference 0, exchange ".".
export function nullMx(facts: MxFacts): Finding {
  const domain = facts.domain;
  const record = facts.records[0];
  const preference = record?.preference ?? 0;
  const oddPreference =
    preference === 0
      ? ''
      : ` Its preference is ${preference}, not 0 as RFC 7505 §3 requires; publish \`${domain}. MX 0 .\` so every sender recognises it.`;
  return finding(
    'mx.null_mx',
    `${domain} publishes a null MX (\`${domain}. MX ${preference} .\`): it declares that it accepts no mail, so senders fail at once instead of retrying.${oddPreference}`,
    preference === 0
      ? `Nothing to do if ${domain} should not receive mail. To receive mail, replace the null MX with your mail host, e.g. \`${domain}. MX 10 mail.${domain}.\``
      : `Replace it with \`${domain}. MX 0 .\`.`,
  );
}

export function nullMxWithOtherMx(facts: MxFacts): Finding {
  const domain = facts.domain;
  const others = facts.records.filter((r) => r.exchange !== '.');
  const nulls = facts.records.filter((r) => r.exchange === '.');
  const nullLines = nulls.map((r) => `\`${domain}. MX ${r.preference} .\``).join(', ');
  const otherLines = others.map((r) => `\`${domain}. MX ${r.preference} ${r.exchange}.\``).join(', ');
  return finding(
    'mx.null_mx_with_other_mx',
    `${domain} publishes the null MX ${nullLines} beside ${others.length} other MX record${others.length === 1 ? '' : 's'} (${others
      .map((r) => `${r.preference} ${r.exchange}`)
      .join(', ')}). A null MX must be the only MX record (RFC 7505 §3); senders may treat ${domain} as accepting no mail, or try the "." host.`,
    `If ${domain} receives mail, delete ${nullLines}. If it accepts no mail, delete ${otherLines} and keep only \`${domain}. MX 0 .\`.`,
  );
}

// RFC 7505 §4.2: a domain with a null MX SHOULD NOT be used in MAIL FROM or From:.
export function nullMxButSending(domain: string, spfRecords: string[]): Finding {
  const shown = spfRecords.map((r) => `\`${r}\``).join(' and ');
  return finding(
    'mx.null_mx_but_sending',
    `${domain} publishes a null MX (it accepts no mail) but its SPF record ${shown} authorises servers to send as ${domain}. ` +
      `Bounces and replies to that mail cannot be delivered, and receivers may reject mail from a domain that accepts none (RFC 7505 §4.2).`,
    `If ${domain} sends no mail, replace its SPF record with \`${domain}. TXT "v=spf1 -all"\`. ` +
      `If it does send mail, replace the null MX with the host that receives its bounces, e.g. \`${domain}. MX 10 mail.${domain}.\``,
  );
}
