/** Finding topics: dmarc.* (CONTRACTS §3; RFC 7489 and DMARCbis). */
import type { AreaTexts } from './text.ts';

export const DMARC_TEXTS: AreaTexts<'dmarc'> = {
  'dmarc.missing': {
    means: 'No DMARC record was found at _dmarc.<domain>, nor at its organizational (parent) domain.',
    matters: 'Receivers have no policy for mail that forges your domain in the From: line, so they judge it on their own, and you get no reports about who sends as you.',
    fix: 'Publish a TXT record at _dmarc.<domain>, starting with monitoring: "v=DMARC1; p=none; rua=mailto:dmarc-reports@<domain>". Move to quarantine and then reject once the reports show your legitimate mail passes.',
    aliases: ['no dmarc'],
  },
  'dmarc.inherited': {
    means: 'This domain has no DMARC record of its own; the policy comes from a parent (organizational) domain\'s record.',
    matters: 'This is normal for subdomains. The parent\'s sp= tag (or p= when there is no sp=) decides what happens to mail that fails, so check that it is the policy you want here.',
    fix: 'Nothing, if the inherited policy fits. To give this domain its own policy or report address, publish a record at _dmarc.<this domain>.',
  },
  'dmarc.multiple_records': {
    means: 'There is more than one TXT record starting with "v=DMARC1" at _dmarc.<domain>.',
    matters: 'RFC 7489 §6.6.3 says receivers then apply no DMARC policy at all, exactly as if there were no record.',
    fix: 'Merge them into one record and delete the others.',
  },
  'dmarc.syntax_error': {
    means: 'The DMARC record cannot be parsed: for example "v=DMARC1" is not first, or tags are not "name=value" pairs separated by semicolons.',
    matters: 'Receivers may discard a malformed record, or read only part of it, so the policy you meant is not reliably applied.',
    fix: 'Rewrite it in the form "v=DMARC1; p=reject; rua=mailto:dmarc-reports@<domain>", with v=DMARC1 first.',
  },
  'dmarc.invalid_tag_value': {
    means: 'A DMARC tag has a value it cannot take, for example p=rejct, adkim=x or pct=150.',
    matters: 'Receivers ignore or misread the tag. An invalid p= in particular means the policy falls back to none, or DMARC is not applied at all (RFC 7489 §6.6.3).',
    fix: 'Use the allowed values: p and sp are none, quarantine or reject; adkim and aspf are r or s; pct is 0 to 100.',
  },
  'dmarc.duplicate_tag': {
    means: 'The same tag appears twice in the DMARC record.',
    matters: 'The specifications do not say which one wins, so receivers may disagree, or treat the record as invalid.',
    fix: 'Keep one occurrence of each tag.',
  },
  'dmarc.unknown_tag': {
    means: 'The DMARC record has a tag that DMARC does not define.',
    matters: 'Receivers ignore unknown tags (RFC 7489 §6.3). Often it is a misspelling, such as "rue" for "rua", and the setting you meant is not in effect.',
    fix: 'Correct the spelling, or remove the tag.',
  },
  'dmarc.policy_none': {
    means: 'The DMARC policy is p=none: monitoring only.',
    matters: 'Receivers deliver mail that fails DMARC as usual, so forged mail in your name is not stopped. It is the right first step, because you get reports, but it protects no one yet.',
    fix: 'Read the aggregate reports, make every legitimate sender pass SPF or DKIM with alignment, then move to p=quarantine and later p=reject.',
    aliases: ['p=none', 'dmarc none', 'dmarc p=none', 'dmarc policy none'],
  },
  'dmarc.subdomain_policy_weaker': {
    means: 'The subdomain policy (sp=, or np= for names that do not exist) is weaker than the main policy p=.',
    matters: 'Forgers can use any subdomain, even one that does not exist such as billing.<domain>, and get the weaker treatment.',
    fix: 'Remove sp= (subdomains then get p=), or set it as strict as p=. Give a subdomain that needs a different policy its own DMARC record.',
  },
  'dmarc.pct_partial': {
    means: 'The record has pct= below 100, so the policy applies only to that share of failing mail.',
    matters: 'The rest gets the next weaker policy (reject becomes quarantine, quarantine becomes none). DMARCbis removes pct, so receivers following it may ignore this tag.',
    fix: 'Raise pct to 100 or remove the tag once the partial rollout shows no problems.',
  },
  'dmarc.deprecated_tags': {
    means: 'The record uses pct=, rf= or ri=, tags that DMARCbis (the DMARC revision) removes.',
    matters: 'Receivers that follow DMARCbis ignore them. Harmless unless you rely on pct= for a gradual rollout, which those receivers will not honour.',
    fix: 'Remove them when convenient. DMARCbis offers t=y (testing) in place of a pct= rollout.',
  },
  'dmarc.no_rua': {
    means: 'The DMARC record has no rua= address for aggregate reports.',
    matters: 'Without reports you cannot see who sends mail as your domain, or whether your own mail passes, which makes moving to an enforcing policy guesswork.',
    fix: 'Add rua=mailto:<address> pointing at a mailbox or a DMARC report service you read.',
  },
  'dmarc.invalid_report_uri': {
    means: 'A rua= or ruf= entry is not a valid report URI, e.g. a bare address without "mailto:".',
    matters: 'Receivers cannot send reports to an address they cannot parse, so you lose the reports.',
    fix: 'Write each address as a URI, comma-separated: rua=mailto:dmarc@<domain>,mailto:other@<domain>.',
  },
  'dmarc.external_report_unauthorized': {
    means: 'Reports go to an address in another organization\'s domain, and that domain has not published the record that authorises it to receive them.',
    matters: 'RFC 7489 §7.1 has receivers check for that record first; without it they do not send the reports.',
    fix: 'Have the destination domain publish a TXT record "v=DMARC1" at <your domain>._report._dmarc.<destination domain>. Report services usually do this for their customers.',
  },
  'dmarc.report_domain_no_mx': {
    means: 'The domain of a rua= or ruf= address publishes no MX record.',
    matters: 'Reports mailed there may not be delivered, so you lose your view of who sends as you.',
    fix: 'Use a report address whose domain receives mail, or add MX records to that domain.',
  },
  'dmarc.misplaced_or_polluted': {
    means: 'A DMARC record was found at the domain itself instead of at _dmarc.<domain>, or other TXT records sit beside the DMARC record at _dmarc.',
    matters: 'A record at the domain itself has no effect. Other TXT records at _dmarc are ignored by the specification but usually signal a mistake, and some tools misread them.',
    fix: 'Publish the DMARC record only at _dmarc.<domain>, and remove unrelated TXT records from that name.',
  },
  'dmarc.alignment_strict': {
    means: 'The record sets adkim=s or aspf=s: strict alignment, which needs an exact domain match rather than the same organizational domain.',
    matters: 'Mail authenticated for a subdomain (common with newsletter and bounce-handling services, e.g. bounces.<domain>) then fails DMARC. Fine if all your senders use the exact domain.',
    fix: 'Nothing, if deliberate. Otherwise remove adkim and aspf (relaxed is the default).',
  },
};
