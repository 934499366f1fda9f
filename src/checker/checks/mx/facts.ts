/**
 * Where a domain's mail goes: its MX records and each exchange's addresses.
 *
 * Shared by the MX, MTA-STS, STARTTLS and DANE checks through `resolveMxHosts(ctx)`,
 * memoised per context so every caller shares one computation.
 */
import type { CheckContext } from '../../check.ts';
import type { DnsOutcome, DnsResponse } from '../../dns/types.ts';
import { canonicalName, isLookupFailure } from '../../dns/types.ts';
import { ipLiteralOf } from './addresses.ts';
import { lookupFor, type Lookup } from './lookup.ts';

/** At most this many distinct exchanges are examined; a hostile zone cannot make us do 1,000 lookups. */
export const MAX_MX_HOSTS = 16;

/**
 * - `hosts`: at least one MX record names a mail host (a null MX beside them is flagged by `hasNullMx`)
 * - `null_mx`: the domain publishes only the null MX `.` (RFC 7505 §3): it accepts no mail
 * - `implicit`: no MX, but the domain has A/AAAA: mail goes there (RFC 5321 §5.1)
 * - `none`: no MX and no A/AAAA (or the domain does not exist: see `isNxdomain`)
 * - `lookup_failed`: the MX query (or, without MX, the A/AAAA fallback) failed: nothing is known
 */
export type MxOutcome = 'hosts' | 'null_mx' | 'implicit' | 'none' | 'lookup_failed';

export interface MxRecord {
  preference: number;
  /** lower case, no trailing dot; `.` for the root (null MX) */
  exchange: string;
}

/** One A or AAAA lookup of a host. */
export interface AddressLookup {
  outcome: DnsOutcome;
  addresses: string[];
  /** CNAME owners followed before the answer */
  cnames: string[];
  response: DnsResponse<'A' | 'AAAA'>;
}

/**
 * - `resolved`: at least one address
 * - `unresolvable`: A and AAAA both NXDOMAIN/NODATA
 * - `lookup_failed`: no address, and at least one of A/AAAA failed
 * - `ip_literal`: the exchange is an IP address, not looked up
 */
export type HostStatus = 'resolved' | 'unresolvable' | 'lookup_failed' | 'ip_literal';

export interface MxHostFacts {
  /** the exchange as published (for the implicit MX: the domain itself) */
  name: string;
  /** lowest preference the host is listed at */
  preference: number;
  /** the address the exchange spells, when it is an IP literal */
  ipLiteral: string | null;
  /** the A or AAAA lookup of the exchange followed a CNAME (RFC 2181 §10.3) */
  isCname: boolean;
  /** the name the alias leads to, when it could be seen */
  canonicalName: string | null;
  a: AddressLookup | null;
  aaaa: AddressLookup | null;
  /** A then AAAA addresses */
  addresses: string[];
  status: HostStatus;
}

export interface MxFacts {
  domain: string;
  outcome: MxOutcome;
  /** the domain's own MX query said NXDOMAIN: the orchestrator reports `dns.nxdomain` */
  isNxdomain: boolean;
  mxResponse: DnsResponse<'MX'>;
  /** every MX record, by preference then exchange */
  records: MxRecord[];
  /** a `.` exchange is among the records */
  hasNullMx: boolean;
  /** distinct non-null exchanges examined, in preference order (for `implicit`, the domain itself) */
  hosts: MxHostFacts[];
  /** exchanges beyond MAX_MX_HOSTS, not examined */
  skippedHosts: string[];
}

interface MxPlan {
  facts: Promise<MxFacts>;
  /** each examined host's facts as soon as that host is resolved (for per-host pipelines) */
  hosts: Promise<HostsAsResolved>;
}

export interface HostsAsResolved {
  outcome: MxOutcome;
  hosts: Array<Promise<MxHostFacts>>;
}

const plans = new WeakMap<CheckContext, MxPlan>();

function planFor(ctx: CheckContext): MxPlan {
  let plan = plans.get(ctx);
  if (!plan) {
    const started = startMx(ctx);
    plan = {
      hosts: started.then((s) => ({ outcome: s.facts.outcome, hosts: s.hosts })),
      facts: started.then(async (s) => ({ ...s.facts, hosts: await Promise.all(s.hosts) })),
    };
    // only aborts reject; a caller that never asks for one of these must not leave an unhandled rejection
    plan.hosts.catch(ignore);
    plan.facts.catch(ignore);
    plans.set(ctx, plan);
  }
  return plan;
}

function ignore(): void {}

/** The domain's MX facts, computed once per context. */
export function resolveMxHosts(ctx: CheckContext): Promise<MxFacts> {
  return planFor(ctx).facts;
}

/**
 * The examined hosts, each settling on its own: a caller can start work on the
 * first host (e.g. its PTR lookups) without waiting for the slowest one.
 */
export function mxHostsAsResolved(ctx: CheckContext): Promise<HostsAsResolved> {
  return planFor(ctx).hosts;
}

/** True for the root exchange: resolvers give it as '' or '.'. */
export function isRootExchange(exchange: string): boolean {
  return exchange === '' || exchange === '.';
}

interface StartedMx {
  facts: Omit<MxFacts, 'hosts'>;
  hosts: Array<Promise<MxHostFacts>>;
}

/** The MX query, then every examined host's A/AAAA lookups started at once. */
async function startMx(ctx: CheckContext): Promise<StartedMx> {
  const lookup = lookupFor(ctx);
  const domain = canonicalName(ctx.domain);
  const mxResponse = await lookup(domain, 'MX');
  const base = { domain, mxResponse, isNxdomain: false, records: [], hasNullMx: false, skippedHosts: [] };

  switch (mxResponse.outcome) {
    case 'answer':
      break;
    case 'nxdomain':
      return { facts: { ...base, outcome: 'none', isNxdomain: true }, hosts: [] };
    case 'nodata':
      return implicitMx(lookup, domain, base);
    default:
      return { facts: { ...base, outcome: 'lookup_failed' }, hosts: [] };
  }

  const records = sortRecords(mxResponse.answers.map((a) => a.data));
  const hasNullMx = records.some((r) => r.exchange === '.');
  const real = records.filter((r) => r.exchange !== '.');
  if (real.length === 0) return { facts: { ...base, outcome: 'null_mx', records, hasNullMx }, hosts: [] };

  // one entry per exchange, at its lowest preference (records are sorted)
  const distinct = real.filter((r, i) => real.findIndex((x) => x.exchange === r.exchange) === i);
  const skippedHosts = distinct.slice(MAX_MX_HOSTS).map((r) => r.exchange);
  const hosts = distinct.slice(0, MAX_MX_HOSTS).map((r) => resolveHost(lookup, r));
  return { facts: { ...base, outcome: 'hosts', records, hasNullMx, skippedHosts }, hosts };
}

function sortRecords(data: Array<{ preference: number; exchange: string }>): MxRecord[] {
  return data
    .map((d) => ({
      preference: d.preference,
      exchange: isRootExchange(d.exchange) ? '.' : canonicalName(d.exchange),
    }))
    .sort((x, y) => x.preference - y.preference || x.exchange.localeCompare(y.exchange));
}

/**
 * No MX: mail goes to the domain's own A/AAAA (RFC 5321 §5.1, "implicit MX").
 * The outcome needs the addresses, so this one waits for its host.
 */
async function implicitMx(
  lookup: Lookup,
  domain: string,
  base: Omit<MxFacts, 'outcome' | 'hosts'>,
): Promise<StartedMx> {
  const host = resolveHost(lookup, { preference: 0, exchange: domain });
  const status = (await host).status;
  const outcome: MxOutcome = status === 'resolved' ? 'implicit' : status === 'lookup_failed' ? 'lookup_failed' : 'none';
  return { facts: { ...base, outcome }, hosts: [host] };
}

async function resolveHost(lookup: Lookup, record: MxRecord): Promise<MxHostFacts> {
  const name = record.exchange;
  const ipLiteral = ipLiteralOf(name);
  if (ipLiteral) {
    return {
      name, preference: record.preference, ipLiteral, isCname: false, canonicalName: null,
      a: null, aaaa: null, addresses: [], status: 'ip_literal',
    };
  }
  const [a, aaaa] = await Promise.all([addressLookup(lookup, name, 'A'), addressLookup(lookup, name, 'AAAA')]);
  const addresses = [...a.addresses, ...aaaa.addresses];
  const isCname = a.cnames.length > 0 || aaaa.cnames.length > 0;
  const canonical = isCname ? await aliasTarget(lookup, a, aaaa) : null;
  let status: HostStatus = 'resolved';
  if (addresses.length === 0) {
    status = isLookupFailure(a.outcome) || isLookupFailure(aaaa.outcome) ? 'lookup_failed' : 'unresolvable';
  }
  return {
    name, preference: record.preference, ipLiteral: null, isCname, canonicalName: canonical,
    a, aaaa, addresses, status,
  };
}

async function addressLookup(lookup: Lookup, name: string, type: 'A' | 'AAAA'): Promise<AddressLookup> {
  const response = await lookup(name, type);
  return {
    outcome: response.outcome,
    addresses: response.answers.map((r) => r.data),
    cnames: response.cnames,
    response,
  };
}

/**
 * Where a CNAME'd exchange really lives: the owner of the address records, or,
 * when the alias leads to no address, the target of the last CNAME in the chain.
 */
async function aliasTarget(lookup: Lookup, a: AddressLookup, aaaa: AddressLookup): Promise<string | null> {
  const owner = a.response.answers[0]?.name ?? aaaa.response.answers[0]?.name;
  if (owner) return owner;
  const chain = a.cnames.length > 0 ? a.cnames : aaaa.cnames;
  const last = chain[chain.length - 1];
  if (!last) return null;
  const cname = await lookup(last, 'CNAME');
  return cname.answers[0]?.data ?? null;
}
