/**
 * The policy and TXT record we suggest: built from the domain's real MX set
 * (RFC 8461 §3.1–3.3), starting in testing mode (§5) with a one-week max_age.
 */
import { isIP } from 'node:net';
import { getDomain } from 'tldts';
import { ONE_WEEK } from './policy.ts';

/** A fresh id: the UTC time as YYYYMMDDhhmmss (§3.1: 1–32 letters and digits). */
export function freshId(now: Date = new Date()): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function parentOf(host: string): string | null {
  const dot = host.indexOf('.');
  return dot < 0 ? null : host.slice(dot + 1);
}

/**
 * mx: patterns covering exactly `hosts`: a wildcard only where two or more
 * hosts share a parent (and the parent is not a public suffix: never `*.com`),
 * otherwise the full host name. Order follows the hosts (their MX preference).
 */
export function suggestPatterns(hosts: readonly string[]): string[] {
  // an MX given as an IP literal can never match an mx: pattern (RFC 8461 §4.1 matches names); mx.target_is_ip covers it
  const names = [...new Set(hosts.map((h) => h.toLowerCase().replace(/\.$/, '')))].filter((h) => isIP(h.replace(/^\[|\]$/g, '')) === 0);
  const byParent = new Map<string, number>();
  for (const h of names) {
    const parent = parentOf(h);
    if (parent) byParent.set(parent, (byParent.get(parent) ?? 0) + 1);
  }
  const out: string[] = [];
  for (const h of names) {
    const parent = parentOf(h);
    const shared = parent !== null && (byParent.get(parent) ?? 0) >= 2 && getDomain(parent, { allowPrivateDomains: true }) !== null;
    const pattern = shared ? `*.${parent}` : h;
    if (!out.includes(pattern)) out.push(pattern);
  }
  return out;
}

export interface SuggestedPolicy {
  url: string;
  /** the file, LF line endings, final newline */
  policy: string;
  patterns: string[];
  id: string;
  /** zone-file line */
  txtRecord: string;
}

export function policyUrl(domain: string): string {
  return `https://mta-sts.${domain}/.well-known/mta-sts.txt`;
}

/**
 * The policy file for `hosts` (null when the MX set is unknown: placeholders
 * are used and the text says so).
 */
export function suggestPolicy(domain: string, hosts: readonly string[] | null, now: Date = new Date()): SuggestedPolicy {
  const patterns = hosts && hosts.length > 0 ? suggestPatterns(hosts) : [`<your MX host, e.g. mail.${domain}>`];
  const policy = ['version: STSv1', 'mode: testing', ...patterns.map((p) => `mx: ${p}`), `max_age: ${ONE_WEEK}`, ''].join('\n');
  const id = freshId(now);
  return {
    url: policyUrl(domain),
    policy,
    patterns,
    id,
    txtRecord: `_mta-sts.${domain}. TXT "v=STSv1; id=${id}"`,
  };
}

/** The complete "publish MTA-STS" fix text. */
export function publishFix(domain: string, hosts: readonly string[] | null, now: Date = new Date()): string {
  const s = suggestPolicy(domain, hosts, now);
  return [
    `Serve this file with status 200 and "Content-Type: text/plain" at ${s.url} (no redirects; mta-sts.${domain} needs an A/AAAA record and a publicly trusted certificate for that name):`,
    '',
    s.policy.trimEnd(),
    '',
    'Then publish the TXT record:',
    '',
    s.txtRecord,
    '',
    `Add TLS-RPT (_smtp._tls.${domain}) to receive failure reports. When they show no failures for a couple of weeks, change the file to "mode: enforce" (and raise max_age, e.g. to 1209600 or more), then publish a new id= in the TXT record.`,
  ].join('\n');
}
