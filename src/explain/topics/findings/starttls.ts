/** Finding topics: starttls.* (CONTRACTS §3; RFC 3207, RFC 8996, RFC 9325, RFC 5280). */
import type { AreaTexts } from './text.ts';

const MTA_STS_NOTE = 'Most senders do not check MX certificates, but senders enforcing MTA-STS do, and refuse to deliver.';

export const STARTTLS_TEXTS: AreaTexts<'starttls'> = {
  'starttls.unreachable': {
    means: 'Posture could not connect to port 25 of an MX host, so STARTTLS (and DANE matching) is untested.',
    matters: 'Many networks, cloud providers and home ISPs block outgoing port 25, so this usually says more about where Posture runs than about your server. It asserts nothing about the domain.',
    fix: 'Run Posture from a network that allows outgoing port 25. If it still fails, check that the MX host is up and accepts connections on port 25.',
  },
  'starttls.not_offered': {
    means: 'An MX host does not advertise STARTTLS in its reply to EHLO.',
    matters: 'Mail to that host travels unencrypted, readable and changeable by anyone on the path. Senders enforcing MTA-STS or DANE for your domain will not deliver to it.',
    fix: 'Enable STARTTLS on the mail server with a certificate for its host name, or ask your mail provider.',
  },
  'starttls.handshake_failed': {
    means: 'An MX host offers STARTTLS, but the TLS handshake fails.',
    matters: 'Many senders then retry without encryption, or give up; senders that require TLS cannot deliver.',
    fix: 'Check the server\'s TLS configuration: certificate and key files, enabled protocol versions (1.2 and 1.3) and cipher suites. Its logs usually say why.',
  },
  'starttls.legacy_protocol': {
    means: 'An MX host negotiates a TLS version older than 1.2 (TLS 1.0, 1.1 or SSL).',
    matters: 'RFC 8996 deprecates TLS 1.0 and 1.1; they have known weaknesses, and a peer that only speaks them gets weak protection.',
    fix: 'Enable TLS 1.2 and 1.3 and disable older versions in the mail server\'s configuration.',
  },
  'starttls.no_tls13': {
    means: 'An MX host does not offer TLS 1.3.',
    matters: 'TLS 1.2 is still acceptable, so this is advisory. TLS 1.3 is faster and removes older, weaker options.',
    fix: 'Enable TLS 1.3 if your mail server and TLS library support it.',
  },
  'starttls.weak_cipher': {
    means: 'An MX host negotiates a weak cipher suite, for example one using RC4 or 3DES, or one without forward secrecy.',
    matters: 'RFC 9325 §4.1 recommends against such cipher suites: they weaken the encryption of your incoming mail.',
    fix: 'Restrict the server to modern suites: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305.',
  },
  'starttls.cert_untrusted': {
    means: 'An MX host\'s certificate does not chain to a publicly trusted CA (for example it is self-signed, or intermediate certificates are missing).',
    matters: MTA_STS_NOTE,
    fix: 'Use a certificate from a public CA (such as a free ACME one) and serve the full chain, intermediates included.',
  },
  'starttls.cert_hostname_mismatch': {
    means: 'An MX host\'s certificate does not include the host name the MX record points to.',
    matters: MTA_STS_NOTE,
    fix: 'Get a certificate that lists the MX host name, or point the MX record at a name the certificate covers.',
  },
  'starttls.cert_expired': {
    means: 'An MX host\'s certificate has expired.',
    matters: MTA_STS_NOTE,
    fix: 'Renew the certificate, install it and reload the mail server. Automate renewal.',
  },
  'starttls.cert_expiring': {
    means: 'An MX host\'s certificate expires within 14 days.',
    matters: 'Once it expires, senders enforcing MTA-STS stop delivering to that host.',
    fix: 'Renew it now, and check that automatic renewal (if any) also reloads the mail server.',
  },
  'starttls.cert_weak_key': {
    means: 'An MX host\'s certificate has a weak key, for example RSA shorter than 2048 bits.',
    matters: 'RFC 9325 §4.3 advises against short keys: they lower the protection of the TLS connection.',
    fix: 'Issue a new certificate with an RSA key of at least 2048 bits or an ECDSA P-256 key.',
  },
};
