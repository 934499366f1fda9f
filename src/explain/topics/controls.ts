/**
 * Control topics: one per control Posture checks (plus null MX, which has its own RFC).
 * Each says what the control is, the problem it solves, how it works and how to deploy it
 * safely, in at most 150 words, then the specification sections it rests on.
 */
import type { CheckId } from '../../checker/types.ts';

export interface ControlText {
  id: string;
  title: string;
  /** the report check whose result gives a contextual answer */
  check: CheckId;
  aliases: string[];
  /** what it is and the problem it solves */
  what: string;
  how: string;
  deploy: string;
  refs: string[];
  seeAlso: string[];
}

export const CONTROLS: readonly ControlText[] = [
  {
    id: 'mx',
    title: 'MX records',
    check: 'mx',
    aliases: ['mx record', 'mx records', 'mail exchanger', 'mail exchange', 'mail servers', 'inbound mail'],
    what:
      'MX records name the servers that receive mail for a domain. Without them, senders guess: they fall back to the domain\'s own address, which is rarely a mail server.',
    how:
      'A sender looks up the MX records of the recipient\'s domain and tries the hosts in order of preference, lowest number first. Each MX target must be a host name (not an IP address, not a CNAME alias) with an A or AAAA record.',
    deploy:
      'List every host that accepts your mail, with a backup at a higher preference number if you have one. A domain that receives no mail should publish a null MX instead.',
    refs: ['RFC 5321 §5.1', 'RFC 2181 §10.3'],
    seeAlso: ['null-mx', 'starttls', 'mta-sts'],
  },
  {
    id: 'null-mx',
    title: 'Null MX (RFC 7505)',
    check: 'mx',
    aliases: ['null mx', 'null mx record', 'no mail', 'rfc 7505', 'rfc7505', 'parked domain'],
    what:
      'A null MX says "this domain accepts no mail". Without it, senders fall back to the domain\'s A/AAAA address and keep retrying mail that can never be delivered.',
    how:
      'It is a single MX record with preference 0 and target "." (example.com. MX 0 .). Senders that see it fail delivery at once instead of queuing the message.',
    deploy:
      'Use it on domains that never receive mail, with no other MX records beside it. Domains that send no mail should also publish "v=spf1 -all" and a DMARC policy of reject, so nobody can send in their name. Do not use it on a domain that sends mail: replies and bounces could not reach you.',
    refs: ['RFC 7505 §3', 'RFC 7505 §4'],
    seeAlso: ['mx', 'spf', 'dmarc'],
  },
  {
    id: 'spf',
    title: 'SPF (Sender Policy Framework)',
    check: 'spf',
    aliases: ['sender policy framework', 'spf record', 'spf policy', 'rfc 7208', 'rfc7208'],
    what:
      'SPF lists the servers allowed to send mail using your domain in the envelope sender (the SMTP MAIL FROM address, where bounces go). It lets receivers spot mail from servers you never authorised.',
    how:
      'You publish one TXT record starting "v=spf1" with terms such as ip4:, include: and mx, and a final "all". A receiver checks the connecting IP against the terms, left to right; the first match gives the result. Evaluation may cause at most 10 DNS-querying terms, counting nested includes.',
    deploy:
      'List every service that sends as you (mail provider, newsletters, ticketing). Start with ~all, move to -all when reports show nothing legitimate is missing, and keep lookups under 10. SPF alone does not protect the visible From: address; DMARC does that.',
    refs: ['RFC 7208 §3', 'RFC 7208 §4.6.4', 'RFC 7208 §5'],
    seeAlso: ['dmarc', 'dkim'],
  },
  {
    id: 'dkim',
    title: 'DKIM (DomainKeys Identified Mail)',
    check: 'dkim',
    aliases: ['domainkeys', 'domain keys', 'domainkeys identified mail', 'dkim key', 'dkim record', 'dkim selector', 'dkim signature', 'rfc 6376', 'rfc6376'],
    what:
      'DKIM signs outgoing mail with a key that belongs to your domain, so receivers can check that a message was not forged or altered on the way. Unlike SPF, a signature usually survives forwarding.',
    how:
      'Your mail server adds a DKIM-Signature header naming a domain (d=) and a selector (s=). Receivers fetch the public key from the TXT record at selector._domainkey.domain and verify the signature.',
    deploy:
      'Have every service that sends as you sign with your domain, using RSA keys of 2048 bits (or Ed25519 alongside RSA). Rotate keys by publishing a new selector, switching signing to it, then emptying the old key\'s p= tag. Selectors cannot be listed from DNS, so Posture can only find the keys it guesses or is told (--dkim-selectors).',
    refs: ['RFC 6376 §3.5', 'RFC 6376 §3.6', 'RFC 8301 §3', 'RFC 8463'],
    seeAlso: ['dmarc', 'spf'],
  },
  {
    id: 'dmarc',
    title: 'DMARC',
    check: 'dmarc',
    aliases: [
      'domain based message authentication reporting and conformance',
      'domain-based message authentication, reporting and conformance',
      'dmarc record', 'dmarc policy', 'rfc 7489', 'rfc7489', 'dmarcbis',
    ],
    what:
      'DMARC protects the From: address people actually see. It tells receivers what to do with mail that claims to be from your domain but fails authentication, and sends you reports about who sends as you.',
    how:
      'You publish a TXT record at _dmarc.yourdomain, e.g. "v=DMARC1; p=reject; rua=mailto:reports@yourdomain". A message passes when SPF or DKIM passes for a domain aligned with the From: domain. Otherwise the receiver applies your policy: none (deliver), quarantine (spam folder) or reject.',
    deploy:
      'Start with p=none and a rua address, read the aggregate reports, and fix every legitimate sender until it passes. Then move to quarantine and finally reject. Set sp= for subdomains if they should differ.',
    refs: ['RFC 7489 §3.1', 'RFC 7489 §6.3', 'RFC 7489 §6.6.3', 'RFC 7489 §7.2'],
    seeAlso: ['spf', 'dkim', 'bimi'],
  },
  {
    id: 'mta-sts',
    title: 'MTA-STS (SMTP MTA Strict Transport Security)',
    check: 'mta_sts',
    aliases: [
      'strict transport', 'strict transport security', 'smtp mta strict transport security',
      'mta sts policy', 'mta-sts policy', 'rfc 8461', 'rfc8461',
    ],
    what:
      'MTA-STS lets a domain require that mail to it travel over TLS to a verified server. Plain STARTTLS is opportunistic: an attacker on the network can strip it or impersonate your MX, and most senders would still deliver.',
    how:
      'You publish a TXT record at _mta-sts.yourdomain ("v=STSv1; id=…") and a policy file at https://mta-sts.yourdomain/.well-known/mta-sts.txt listing the mode (enforce, testing or none), your MX host patterns and max_age. Senders cache the policy; in enforce mode they deliver only to matching MX hosts with a valid certificate.',
    deploy:
      'Give every MX a publicly trusted certificate for its name. Start in testing mode with TLS-RPT reports, then switch to enforce. Change id= whenever the policy changes. To retire it, publish mode none before removing it.',
    refs: ['RFC 8461 §3', 'RFC 8461 §4', 'RFC 8461 §5'],
    seeAlso: ['tls-rpt', 'starttls', 'dane'],
  },
  {
    id: 'tls-rpt',
    title: 'TLS-RPT (SMTP TLS Reporting)',
    check: 'tls_rpt',
    aliases: ['tls rpt', 'tls reporting', 'smtp tls reporting', 'tls report', 'tls reports', 'rfc 8460', 'rfc8460'],
    what:
      'TLS-RPT asks sending mail servers to tell you when they could not set up a secure TLS connection to your MX hosts. Without it, TLS failures under MTA-STS or DANE go unnoticed until mail stops arriving.',
    how:
      'You publish one TXT record at _smtp._tls.yourdomain, e.g. "v=TLSRPTv1; rua=mailto:tls-reports@yourdomain". Senders that support it send daily aggregate reports (JSON) of successful and failed TLS sessions to the mailto: or https: address given.',
    deploy:
      'Publish it before or together with MTA-STS or DANE, and make sure someone (or a reporting service) reads the reports. It is harmless on its own.',
    refs: ['RFC 8460 §3', 'RFC 8460 §4'],
    seeAlso: ['mta-sts', 'dane', 'starttls'],
  },
  {
    id: 'dnssec',
    title: 'DNSSEC',
    check: 'dnssec',
    aliases: ['dns security extensions', 'dns security', 'signed zone', 'rfc 4033', 'rfc4033'],
    what:
      'DNSSEC signs your DNS records so resolvers can tell genuine answers from forged ones. Every email control here lives in DNS, so forged DNS answers can undo them all.',
    how:
      'Your DNS host signs each record set (RRSIG records) with keys published as DNSKEY records; a DS record at your registrar links your keys to the parent zone, forming a chain of trust up to the root. Validating resolvers reject answers whose signatures do not check out.',
    deploy:
      'Use your DNS provider\'s automatic signing, then publish the DS record at your registrar. Mistakes (a stale DS after changing DNS provider, expired signatures) make the whole domain fail to resolve for validating resolvers, so when changing DNS provider remove the DS first (or follow the providers\' key-transfer procedure), and monitor signing.',
    refs: ['RFC 4033 §2', 'RFC 4035 §5', 'RFC 8624 §3.1'],
    seeAlso: ['dane'],
  },
  {
    id: 'dane',
    title: 'DANE for SMTP (TLSA records)',
    check: 'dane',
    aliases: ['tlsa', 'tlsa record', 'tlsa records', 'dane smtp', 'dns based authentication of named entities', 'rfc 7672', 'rfc7672'],
    what:
      'DANE publishes, in DNSSEC-signed DNS, which certificate or key your MX hosts use. Senders that support it then insist on TLS and accept only that certificate, which defeats STARTTLS stripping and impersonation of your MX hosts.',
    how:
      'For each MX host you publish TLSA records at _25._tcp.mxhost. "3 1 1 <hash>" pins the server\'s own public key; "2 1 1 <hash>" pins the CA that issues it. TLSA records only count when the MX host\'s zone is DNSSEC-signed.',
    deploy:
      'Sign the MX host\'s zone first. Before any certificate or key change, publish a TLSA record for the next key beside the current one, wait for caches to expire, then switch. A stale TLSA record makes DANE senders stop delivering to you.',
    refs: ['RFC 7672 §2.2', 'RFC 7672 §3.1', 'RFC 6698 §2.1', 'RFC 7671 §8'],
    seeAlso: ['dnssec', 'starttls', 'mta-sts'],
  },
  {
    id: 'bimi',
    title: 'BIMI (Brand Indicators for Message Identification)',
    check: 'bimi',
    aliases: ['brand indicators', 'brand indicators for message identification', 'vmc', 'verified mark certificate', 'mark certificate', 'logo', 'bimi logo'],
    what:
      'BIMI lets mailbox providers show your logo next to mail that passes DMARC. It is branding, not protection, and it is still an Internet-Draft rather than an RFC.',
    how:
      'You publish a TXT record at default._bimi.yourdomain, e.g. "v=BIMI1; l=https://…/logo.svg; a=https://…/vmc.pem". l= points to the logo in the SVG Tiny PS format; a= points to a mark certificate that proves you own the logo. Each mailbox provider decides whether to show it.',
    deploy:
      'Enforce DMARC first (quarantine or reject). Produce a square SVG Tiny PS logo, and get a mark certificate if the providers you care about require one; several large providers do.',
    refs: ['draft-brand-indicators-for-message-identification §4'],
    seeAlso: ['dmarc'],
  },
  {
    id: 'starttls',
    title: 'STARTTLS',
    check: 'starttls',
    aliases: ['start tls', 'smtp tls', 'tls', 'encryption', 'smtp encryption', 'rfc 3207', 'rfc3207'],
    what:
      'STARTTLS upgrades an SMTP connection to an encrypted TLS connection, so mail is not readable on its way to your MX hosts.',
    how:
      'Your MX host advertises STARTTLS in its EHLO reply; the sender issues the command and both sides perform a TLS handshake before the message is sent. On its own it is opportunistic: senders usually fall back to plain text and do not check the certificate, so an attacker on the network can strip it. MTA-STS or DANE close that gap.',
    deploy:
      'Enable STARTTLS on every MX host with TLS 1.2 or 1.3, strong ciphers and a publicly trusted certificate that names the host (MTA-STS needs that). Renew certificates before they expire.',
    refs: ['RFC 3207 §4', 'RFC 8996', 'RFC 9325 §3', 'RFC 8461 §4.2'],
    seeAlso: ['mta-sts', 'dane', 'tls-rpt'],
  },
];
