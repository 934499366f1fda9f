/**
 * The one resolver interface every check uses (DESIGN.md "dns/").
 *
 * A query never throws for DNS-level trouble: NXDOMAIN, NODATA, SERVFAIL and
 * timeouts are all *outcomes*, so a check can tell "the record is absent" from
 * "we could not see" (CONTRACTS §2: unknown is `untested`, never `fail`).
 * Only an aborted signal rejects.
 */

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export interface TlsaData {
  usage: number;
  selector: number;
  matchingType: number;
  /** association data, lower-case hex */
  data: string;
}

export interface DsData {
  keyTag: number;
  algorithm: number;
  digestType: number;
  /** lower-case hex */
  digest: string;
}

export interface DnskeyData {
  flags: number;
  algorithm: number;
  /** base64 */
  key: string;
}

export interface CaaData {
  flags: number;
  tag: string;
  value: string;
}

/** Record data by type. TXT keeps its character-strings apart (RFC 7208 §3.3 needs them). */
export interface RDataMap {
  A: string;
  AAAA: string;
  MX: { preference: number; exchange: string };
  TXT: string[];
  SPF: string[];
  CNAME: string;
  PTR: string;
  NS: string;
  SOA: SoaData;
  TLSA: TlsaData;
  DS: DsData;
  DNSKEY: DnskeyData;
  CAA: CaaData;
}

export type RRType = keyof RDataMap;

export const RR_TYPES: readonly RRType[] = [
  'A', 'AAAA', 'MX', 'TXT', 'SPF', 'CNAME', 'PTR', 'NS', 'SOA', 'TLSA', 'DS', 'DNSKEY', 'CAA',
];

export interface Answer<T extends RRType = RRType> {
  /** owner name, lower case, no trailing dot */
  name: string;
  ttl: number;
  data: RDataMap[T];
}

/**
 * - `answer`: NOERROR with at least one record of the asked type
 * - `nodata`: NOERROR, name exists, no record of that type
 * - `nxdomain`: the name does not exist
 * - `servfail`, `refused`: the server answered with that rcode
 * - `timeout`: no usable answer within the budget (all tries, all servers)
 * - `error`: anything else (network error, FORMERR, malformed answer)
 */
export type DnsOutcome = 'answer' | 'nodata' | 'nxdomain' | 'servfail' | 'refused' | 'timeout' | 'error';

export interface ExtendedDnsError {
  code: number;
  text?: string;
}

export interface DnsResponse<T extends RRType = RRType> {
  name: string;
  type: T;
  outcome: DnsOutcome;
  /** DNS rcode name as the server sent it (`NOERROR`, `NXDOMAIN`, …); empty when there was no answer */
  rcode: string;
  answers: Answer<T>[];
  /** CNAME chain followed to reach the answer, in order (owner names, lower case) */
  cnames: string[];
  /** AD flag: the resolver vouches the answer was DNSSEC-validated (RFC 4035 §3.2.3) */
  ad: boolean;
  /** smallest TTL of the answer (or of the SOA minimum for negative answers), seconds */
  ttl: number;
  ede: ExtendedDnsError[];
  /** which server answered ("127.0.0.1:53", a DoH URL, "memory") */
  server?: string;
  /** a human-readable reason for timeout / error outcomes */
  error?: string;
}

export interface QueryOptions {
  signal?: AbortSignal;
  /** set the CD (checking disabled) bit: used for the DNSSEC bogus check */
  cd?: boolean;
}

export interface Resolver {
  query<T extends RRType>(name: string, type: T, options?: QueryOptions): Promise<DnsResponse<T>>;
}

/** True when the outcome says nothing about whether the record exists. */
export function isLookupFailure(outcome: DnsOutcome): boolean {
  return outcome === 'servfail' || outcome === 'refused' || outcome === 'timeout' || outcome === 'error';
}

/** Lower-case, strip trailing dots (the root stays "."): the form every name takes inside the checker. */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  if (!lower.endsWith('.')) return lower;
  const stripped = lower.replace(/\.+$/, '');
  return stripped === '' ? '.' : stripped;
}
