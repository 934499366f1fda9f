/** Finding topics: mta_sts.* and tls_rpt.* (CONTRACTS §3; RFC 8461, RFC 8460). */
import type { AreaTexts } from './text.ts';

const NO_POLICY = 'Senders that have no cached copy of your policy behave as if you had no MTA-STS at all.';

export const MTA_STS_TEXTS: AreaTexts<'mta_sts'> = {
  'mta_sts.missing': {
    means: 'The domain has no MTA-STS record at _mta-sts.<domain>.',
    matters: 'Senders cannot know that you require authenticated TLS, so an attacker on the network can strip STARTTLS or impersonate your MX hosts and mail is still delivered.',
    fix: 'Publish a policy file at https://mta-sts.<domain>/.well-known/mta-sts.txt (start with mode: testing) and a TXT record "v=STSv1; id=<any new value>" at _mta-sts.<domain>. Add TLS-RPT to get reports.',
    seeAlso: ['tls-rpt'],
  },
  'mta_sts.record_invalid': {
    means: 'The TXT record at _mta-sts.<domain> is malformed (it must start "v=STSv1;" and carry an id= of 1 to 32 letters and digits), or there is more than one such record.',
    matters: 'RFC 8461 §3.1 tells senders to assume there is no policy when the record is invalid or not unique.',
    fix: 'Publish exactly one record, e.g. "v=STSv1; id=20260101T000000".',
  },
  'mta_sts.policy_host_unreachable': {
    means: 'Posture could not connect to https://mta-sts.<domain>: the name has no address, or the connection failed.',
    matters: `Senders cannot fetch the policy. ${NO_POLICY}`,
    fix: 'Publish an A/AAAA (or CNAME) record for mta-sts.<domain> pointing at a web server that serves HTTPS on port 443, or use a hosted MTA-STS service.',
  },
  'mta_sts.policy_cert_invalid': {
    means: 'The HTTPS certificate of mta-sts.<domain> is not valid: expired, not issued by a publicly trusted CA, or not covering that name.',
    matters: `RFC 8461 §3.3 requires a valid certificate for the policy host, so senders discard the policy. ${NO_POLICY}`,
    fix: 'Serve mta-sts.<domain> with a publicly trusted certificate whose names include mta-sts.<domain>, and renew it automatically.',
  },
  'mta_sts.policy_redirect': {
    means: 'The policy URL answers with a redirect (HTTP 3xx).',
    matters: `RFC 8461 §3.3 forbids senders to follow redirects, so they get no policy. ${NO_POLICY}`,
    fix: 'Serve the file directly at https://mta-sts.<domain>/.well-known/mta-sts.txt with status 200. Watch for automatic redirects, e.g. to "www." or to add a trailing slash.',
  },
  'mta_sts.policy_http_error': {
    means: 'Fetching the policy did not return HTTP 200 (for example 404 or 500).',
    matters: `Senders accept the policy only with status 200. ${NO_POLICY}`,
    fix: 'Make https://mta-sts.<domain>/.well-known/mta-sts.txt return the policy with status 200.',
  },
  'mta_sts.policy_content_type': {
    means: 'The policy is not served with the media type text/plain.',
    matters: 'RFC 8461 §3.2 specifies text/plain. Many senders accept other types, but a strict sender may reject the policy.',
    fix: 'Configure the web server to send "Content-Type: text/plain" for /.well-known/mta-sts.txt.',
  },
  'mta_sts.policy_too_large': {
    means: 'The policy file is larger than 64 KiB.',
    matters: 'Senders limit how much they download, so they may cut the policy short or reject it. A policy needs only a few lines.',
    fix: 'Serve only the policy: version, mode, mx and max_age lines. Check that the URL is not returning a web page instead.',
  },
  'mta_sts.policy_invalid': {
    means: 'The policy file does not parse: version must be STSv1, mode enforce, testing or none, max_age a number of seconds up to 31557600, and MX hosts given as mx: lines.',
    matters: `Senders discard an invalid policy. ${NO_POLICY}`,
    fix: 'Serve lines of the form "key: value", e.g. "version: STSv1", "mode: enforce", "mx: mail.<domain>", "max_age: 604800". Change the id= in the TXT record after fixing it.',
  },
  'mta_sts.mode_testing': {
    means: 'The MTA-STS policy is in testing mode.',
    matters: 'Senders check your MX hosts and report failures through TLS-RPT, but still deliver when the checks fail. Mail is not yet protected from downgrade attacks.',
    fix: 'Once TLS-RPT reports show no failures, change the policy to "mode: enforce" and publish a new id= in the TXT record.',
    aliases: ['mta sts testing'],
    seeAlso: ['tls-rpt'],
  },
  'mta_sts.mode_none': {
    means: 'The MTA-STS policy has mode: none.',
    matters: 'Senders treat the domain as having no active policy. This is how a policy is withdrawn; it protects nothing.',
    fix: 'If you are retiring MTA-STS, keep mode none until the old max_age has passed, then remove it. Otherwise switch to testing, then enforce, and publish a new id=.',
  },
  'mta_sts.max_age_short': {
    means: 'The policy\'s max_age is shorter than a week.',
    matters: 'Senders cache the policy for max_age seconds. RFC 8461 §3.2 expects weeks or more, because a short cache gives an attacker more chances to block the policy fetch and make senders forget it.',
    fix: 'Once the policy is stable, set max_age to at least 604800 (one week); many use 1209600 (two weeks) to 31557600 (one year).',
  },
  'mta_sts.mx_not_covered': {
    means: 'An MX host matches none of the policy\'s mx: patterns. A pattern "*.example.net" covers exactly one extra label (a.example.net, not a.b.example.net).',
    matters: 'Senders enforcing the policy refuse to deliver to that MX host (in testing mode they only report it).',
    fix: 'Add an mx: line for the host (or a wildcard that covers it), then publish a new id= in the TXT record so senders refetch the policy.',
  },
};

export const TLS_RPT_TEXTS: AreaTexts<'tls_rpt'> = {
  'tls_rpt.missing': {
    means: 'The domain has no TLS-RPT record at _smtp._tls.<domain>.',
    matters: 'Senders cannot report TLS failures when delivering to you, so problems with MTA-STS, DANE or your certificates stay invisible until mail goes missing.',
    fix: 'Publish a TXT record at _smtp._tls.<domain>: "v=TLSRPTv1; rua=mailto:tls-reports@<domain>".',
  },
  'tls_rpt.multiple_records': {
    means: 'There is more than one TLS-RPT record (starting "v=TLSRPTv1") at _smtp._tls.<domain>.',
    matters: 'RFC 8460 §3 tells senders to assume you do not use TLS-RPT when there is not exactly one record, so no reports are sent.',
    fix: 'Merge them into one record; several report addresses go in one rua=, separated by commas.',
  },
  'tls_rpt.record_invalid': {
    means: 'The TLS-RPT record is malformed: it must start with "v=TLSRPTv1;" and contain a rua= tag.',
    matters: 'Senders ignore an invalid record, so no reports are sent.',
    fix: 'Publish "v=TLSRPTv1; rua=mailto:tls-reports@<domain>".',
  },
  'tls_rpt.invalid_rua': {
    means: 'The rua= tag of the TLS-RPT record holds no valid mailto: or https: address.',
    matters: 'Senders have nowhere to send reports.',
    fix: 'Use rua=mailto:<address> or rua=https://<report endpoint>.',
  },
};
