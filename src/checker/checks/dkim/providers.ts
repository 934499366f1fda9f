/**
 * Mail providers and the DKIM selectors they publish, recognised from the domain's MX hosts and
 * SPF includes. One table, one place: add a provider here and discovery picks it up.
 *
 * DKIM selectors cannot be listed from DNS (RFC 6376 §3.6.2.1), so these are guesses; a provider
 * whose selectors are random per customer carries a `note` instead.
 */

export interface MailProvider {
  name: string;
  /** MX host name suffixes (a host matches when it equals the suffix or ends with `.suffix`) */
  mx: string[];
  /** SPF include/redirect domain suffixes */
  spf: string[];
  /** selectors this provider publishes, most likely first */
  selectors: string[];
  /** caveat shown to the user, e.g. random selectors */
  note?: string;
  /** where the customer turns DKIM on or rotates the key */
  enable?: string;
}

export const MAIL_PROVIDERS: readonly MailProvider[] = [
  {
    name: 'Google Workspace',
    mx: ['aspmx.l.google.com', 'googlemail.com', 'smtp.google.com'],
    spf: ['_spf.google.com'],
    selectors: ['google'],
    enable: 'Google Admin console → Apps → Google Workspace → Gmail → Authenticate email',
  },
  {
    name: 'Microsoft 365',
    mx: ['mail.protection.outlook.com', 'mx.microsoft'],
    spf: ['spf.protection.outlook.com'],
    selectors: ['selector1', 'selector2'],
    enable: 'Microsoft Defender portal → Email authentication settings → DKIM (publish the two selector CNAMEs, then enable signing)',
  },
  {
    name: 'Mailchimp / Mandrill',
    mx: [],
    spf: ['servers.mcsv.net', 'spf.mandrillapp.com', 'mandrillapp.com'],
    selectors: ['k1', 'k2', 'k3', 'mte1', 'mte2', 'mandrill'],
    enable: 'Mailchimp → Domains → Authenticate (publish the k2/k3 CNAMEs)',
  },
  {
    name: 'SendGrid',
    mx: ['mx.sendgrid.net'],
    spf: ['sendgrid.net'],
    selectors: ['s1', 's2', 'smtpapi'],
    enable: 'SendGrid → Settings → Sender Authentication → Authenticate your domain',
  },
  {
    name: 'Zoho Mail',
    mx: ['zoho.com', 'zoho.eu', 'zoho.in', 'zoho.com.au', 'zoho.jp', 'zohomail.com'],
    spf: ['zoho.com', 'zoho.eu', 'zoho.in', 'zoho.com.au', 'zoho.jp', 'zohomail.com'],
    selectors: ['zmail', 'zoho'],
    note: 'Zoho lets each customer name the selector; zmail is only the suggested default.',
    enable: 'Zoho Mail Admin Console → Domains → Email Configuration → DKIM',
  },
  {
    name: 'Fastmail',
    mx: ['messagingengine.com'],
    spf: ['spf.messagingengine.com'],
    selectors: ['fm1', 'fm2', 'fm3'],
    enable: 'Fastmail → Settings → Domains (publish the fm1/fm2/fm3 CNAMEs)',
  },
  {
    name: 'Amazon SES',
    mx: [],
    spf: ['amazonses.com'],
    selectors: [],
    note: 'Amazon SES Easy DKIM uses random per-domain selectors (three 32-character tokens), so they cannot be guessed; give one with --dkim-selectors.',
    enable: 'Amazon SES console → Verified identities → the domain → Authentication (Easy DKIM)',
  },
  {
    name: 'Proton Mail',
    mx: ['protonmail.ch', 'proton.me'],
    spf: ['_spf.protonmail.ch'],
    selectors: ['protonmail', 'protonmail2', 'protonmail3'],
    enable: 'Proton Mail → Settings → Domain names → the domain → DKIM',
  },
  {
    name: 'Postmark',
    mx: ['inbound.postmarkapp.com'],
    spf: ['spf.mtasv.net'],
    selectors: [],
    note: 'Postmark selectors are dated per domain (like 20240101000000pm), so they cannot be guessed; give one with --dkim-selectors.',
    enable: 'Postmark → Sender Signatures → DNS Settings',
  },
  {
    name: 'Mailgun',
    mx: ['mailgun.org'],
    spf: ['mailgun.org'],
    selectors: ['mx', 'k1', 'smtp', 'pic', 'krs'],
    enable: 'Mailgun → Sending → Domains → DNS records',
  },
  {
    name: 'Brevo (Sendinblue)',
    mx: [],
    spf: ['spf.sendinblue.com', 'spf.brevo.com', 'sendinblue.com'],
    selectors: ['mail', 'brevo1', 'brevo2'],
    enable: 'Brevo → Senders, Domains & Dedicated IPs → Domains → Authenticate',
  },
  {
    name: 'Mailjet',
    mx: [],
    spf: ['spf.mailjet.com'],
    selectors: ['mailjet'],
    enable: 'Mailjet → Account settings → Domains → SPF/DKIM authentication',
  },
  {
    name: 'HubSpot',
    mx: [],
    spf: ['hubspotemail.net'],
    selectors: ['hs1', 'hs2'],
    enable: 'HubSpot → Settings → Domains & URLs → Email sending domains',
  },
  {
    name: 'Zendesk',
    mx: [],
    spf: ['mail.zendesk.com'],
    selectors: ['zendesk1', 'zendesk2'],
    enable: 'Zendesk Admin Center → Channels → Email → Digital signatures (DKIM)',
  },
  {
    name: 'iCloud Mail',
    mx: ['mail.icloud.com'],
    spf: ['icloud.com'],
    selectors: ['sig1'],
    enable: 'iCloud+ → Custom Email Domain (publish the sig1 CNAME)',
  },
  {
    name: 'Yandex 360',
    mx: ['mx.yandex.net', 'mx.yandex.ru'],
    spf: ['_spf.yandex.net'],
    selectors: ['mail'],
    enable: 'Yandex 360 admin → Domains → DKIM signature',
  },
  {
    name: 'Mimecast',
    mx: ['mimecast.com', 'mimecast.co.za'],
    spf: ['mimecast.com'],
    selectors: [],
    note: 'Mimecast selectors are chosen per customer (often dated, like mimecast20240101); give one with --dkim-selectors.',
    enable: 'Mimecast Administration → Gateway → Policies → DNS Authentication - Outbound',
  },
];

export interface ProviderMatch {
  provider: string;
  /** what matched, e.g. "MX aspmx.l.google.com" or "SPF include:_spf.google.com" */
  matchedBy: string[];
  selectors: string[];
  note?: string;
  enable?: string;
}

function matchesSuffix(host: string, suffix: string): boolean {
  return host === suffix || host.endsWith(`.${suffix}`);
}

/** The providers the MX hosts and SPF include/redirect domains point at, in table order. */
export function matchProviders(mxHosts: readonly string[], spfDomains: readonly string[]): ProviderMatch[] {
  const matches: ProviderMatch[] = [];
  for (const p of MAIL_PROVIDERS) {
    const matchedBy = [
      ...mxHosts.filter((h) => p.mx.some((s) => matchesSuffix(h, s))).map((h) => `MX ${h}`),
      ...spfDomains.filter((d) => p.spf.some((s) => matchesSuffix(d, s))).map((d) => `SPF ${d}`),
    ];
    if (matchedBy.length === 0) continue;
    matches.push({
      provider: p.name,
      matchedBy,
      selectors: [...p.selectors],
      ...(p.note ? { note: p.note } : {}),
      ...(p.enable ? { enable: p.enable } : {}),
    });
  }
  return matches;
}

/**
 * The include: and redirect= domains of the domain's SPF record(s) (RFC 7208 §5.2, §6.1),
 * lower case. Only the top level: enough to recognise a provider.
 */
export function spfIncludeDomains(txtRecords: readonly string[]): string[] {
  const out: string[] = [];
  for (const record of txtRecords) {
    if (!/^v=spf1(\s|$)/i.test(record.trim())) continue;
    for (const term of record.trim().split(/\s+/)) {
      const m = /^[+?~-]?include:(.+)$/i.exec(term) ?? /^redirect=(.+)$/i.exec(term);
      const target = m?.[1]?.toLowerCase().replace(/\.$/, '');
      if (target && !out.includes(target)) out.push(target);
    }
  }
  return out;
}
