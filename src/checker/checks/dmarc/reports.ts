/**
 * Report destinations of a DMARC record (rua/ruf): is an external destination
 * authorised to receive the reports (RFC 7489 §7.1), and does its domain accept mail?
 * Every domain is asked once, all of them in parallel.
 */
import { getDomain } from 'tldts';
import { isLookupFailure } from '../../dns/types.ts';
import type { Lookup } from './discovery.ts';
import { txtTexts } from './discovery.ts';
import { isDmarcRecord } from './parse.ts';
import type { ReportUri } from './parse.ts';

export type AuthorizationStatus =
  /** same organizational domain: no authorisation needed */
  | 'same_organization'
  /** `<domain>._report._dmarc.<dest>` holds a v=DMARC1 record (or a wildcard does) */
  | 'authorized'
  /** the name answered without a v=DMARC1 record */
  | 'unauthorized'
  /** the lookup failed: unknown */
  | 'lookup_failed';

export type MailStatus = 'accepts_mail' | 'no_mail' | 'null_mx' | 'lookup_failed';

export interface ReportDestination {
  tag: 'rua' | 'ruf';
  uri: string;
  address: string;
  domain: string;
  authorization: AuthorizationStatus;
  /** the name queried for the authorisation record, when one was needed */
  authorizationName?: string;
  mail: MailStatus;
}

/** The RFC 7489 organizational domain: the registrable domain per the Public Suffix List (§3.2). */
export function organizationalDomain(name: string): string {
  return getDomain(name) ?? name;
}

/** RFC 7489 §7.1: the name a destination publishes to accept reports about `policyDomain`. */
export function authorizationName(policyDomain: string, destination: string): string {
  return `${policyDomain}._report._dmarc.${destination}`;
}

async function authorizationOf(lookup: Lookup, policyDomain: string, destination: string): Promise<AuthorizationStatus> {
  if (organizationalDomain(destination) === organizationalDomain(policyDomain)) return 'same_organization';
  const response = await lookup(authorizationName(policyDomain, destination), 'TXT');
  if (isLookupFailure(response.outcome)) return 'lookup_failed';
  // "at least one TXT resource record that begins with v=DMARC1" (RFC 7489 §7.1 step 3)
  return txtTexts(response).some(isDmarcRecord) ? 'authorized' : 'unauthorized';
}

/** A null MX (RFC 7505 §3): a single exchange "." */
function isNullExchange(exchange: string): boolean {
  return exchange === '' || exchange === '.';
}

/**
 * Whether mail to `domain` can be delivered: an MX, or else an implicit MX through
 * A/AAAA (RFC 5321 §5.1). A failed lookup says nothing.
 */
async function mailStatusOf(lookup: Lookup, domain: string): Promise<MailStatus> {
  const [mx, a] = await Promise.all([lookup(domain, 'MX'), lookup(domain, 'A')]);
  if (isLookupFailure(mx.outcome)) return 'lookup_failed';
  if (mx.outcome === 'answer') {
    return mx.answers.every((r) => isNullExchange(r.data.exchange)) ? 'null_mx' : 'accepts_mail';
  }
  if (mx.outcome === 'nxdomain') return 'no_mail';
  if (isLookupFailure(a.outcome)) return 'lookup_failed';
  if (a.outcome === 'answer') return 'accepts_mail';
  const aaaa = await lookup(domain, 'AAAA');
  if (isLookupFailure(aaaa.outcome)) return 'lookup_failed';
  return aaaa.outcome === 'answer' ? 'accepts_mail' : 'no_mail';
}

export async function assessDestinations(lookup: Lookup, policyDomain: string, uris: readonly ReportUri[]): Promise<ReportDestination[]> {
  const domains = [...new Set(uris.map((u) => u.domain))];
  const facts = new Map(
    await Promise.all(
      domains.map(async (d) => {
        const [authorization, mail] = await Promise.all([authorizationOf(lookup, policyDomain, d), mailStatusOf(lookup, d)]);
        return [d, { authorization, mail }] as const;
      }),
    ),
  );
  return uris.map((u) => {
    const f = facts.get(u.domain) ?? { authorization: 'lookup_failed' as const, mail: 'lookup_failed' as const };
    const dest: ReportDestination = { tag: u.tag, uri: u.uri, address: u.address, domain: u.domain, authorization: f.authorization, mail: f.mail };
    if (f.authorization !== 'same_organization') dest.authorizationName = authorizationName(policyDomain, u.domain);
    return dest;
  });
}
