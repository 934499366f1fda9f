/**
 * RFC 7208 check_host(): the SPF result for one client address.
 *
 * DNS trouble never throws here: a failed lookup is a `temperror` (§2.6.6, §5), an absent one is
 * observed as such. Processing limits (§4.6.4): 10 DNS-querying terms, 2 void lookups, 10 MX and
 * 10 PTR names per term. Loops end at the lookup limit.
 */
import type { DnsResponse, RRType, Resolver } from '../../dns/types.ts';
import { isLookupFailure } from '../../dns/types.ts';
import { expandMacros, parseMacroString, type MacroValues } from './macro.ts';
import {
  LOOKUP_MECHANISMS, describeParseError, parseSpf,
  type DomainSpec, type Qualifier, type SpfMechanism, type SpfRecord,
} from './parse.ts';
import { findSpfRecord } from './record.ts';
import { isValidInitialDomain, parseClientIp, reverseName, sameNetwork, toQueryName, type ClientIp } from './names.ts';

export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'permerror' | 'temperror';

export interface SpfLimits {
  /** DNS-querying mechanisms and modifiers per check (§4.6.4) */
  lookups: number;
  /** lookups that return no records (§4.6.4) */
  voidLookups: number;
  /** MX names per mx term; more is a permerror (§4.6.4) */
  mxNames: number;
  /** PTR names looked at per ptr term or %{p}; the rest are ignored (§4.6.4) */
  ptrNames: number;
}

export const DEFAULT_SPF_LIMITS: SpfLimits = { lookups: 10, voidLookups: 2, mxNames: 10, ptrNames: 10 };

export interface CheckHostInput {
  /** the SMTP client address */
  ip: string;
  /** <domain>: the domain of the sender, or the HELO name */
  domain: string;
  /** <sender>: MAIL FROM, or postmaster@HELO for the null reverse-path */
  sender: string;
  helo: string;
  resolver: Resolver;
  signal?: AbortSignal;
  /** %{r} in explanations: the checking host's name; "unknown" when absent */
  receiver?: string;
  now?: Date;
  limits?: Partial<SpfLimits>;
}

export interface CheckHostResult {
  result: SpfResult;
  /** the term that decided the result, as written (e.g. "-all", "include:_spf.example.com"), "default" when none matched */
  mechanism: string | null;
  /** the expanded exp= text, for a fail (§6.2) */
  explanation?: string;
  /** why a permerror/temperror/none happened, in plain English */
  reason?: string;
}

const QUALIFIER_RESULT: Record<Qualifier, SpfResult> = { '+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral' };

/** Ends evaluation with permerror or temperror. */
class Abort extends Error {
  readonly result: 'permerror' | 'temperror';
  readonly mechanism: string | null;
  constructor(result: 'permerror' | 'temperror', reason: string, mechanism: string | null = null) {
    super(reason);
    this.result = result;
    this.mechanism = mechanism;
  }
}

function describeOutcome(r: DnsResponse): string {
  return r.outcome === 'timeout' ? 'timed out' : r.outcome === 'error' ? (r.error ?? 'failed') : r.outcome.toUpperCase();
}

class Evaluation {
  readonly input: CheckHostInput;
  readonly ip: ClientIp;
  readonly limits: SpfLimits;
  readonly localPart: string;
  readonly senderDomain: string;
  lookups = 0;
  voids = 0;
  private validated: Promise<string> | null = null;

  constructor(input: CheckHostInput, ip: ClientIp) {
    this.input = input;
    this.ip = ip;
    this.limits = { ...DEFAULT_SPF_LIMITS, ...input.limits };
    const at = input.sender.lastIndexOf('@');
    this.localPart = at > 0 ? input.sender.slice(0, at) : 'postmaster';
    this.senderDomain = at >= 0 ? input.sender.slice(at + 1) : input.sender || input.domain;
  }

  query<T extends RRType>(name: string, type: T): Promise<DnsResponse<T>> {
    return this.input.resolver.query(name, type, this.input.signal ? { signal: this.input.signal } : {});
  }

  macroValues(domain: string): MacroValues {
    return {
      sender: this.input.sender,
      localPart: this.localPart,
      senderDomain: this.senderDomain,
      domain,
      ip: this.ip,
      helo: this.input.helo,
      receiver: this.input.receiver ?? 'unknown',
      now: this.input.now ?? new Date(),
      validatedDomain: () => (this.validated ??= this.validatedDomain()),
    };
  }

  /** Count a DNS-querying term (§4.6.4). */
  countLookup(term: string): void {
    this.lookups++;
    if (this.lookups > this.limits.lookups) {
      throw new Abort('permerror', `more than ${this.limits.lookups} DNS-querying mechanisms and modifiers (include, a, mx, ptr, exists, redirect)`, term);
    }
  }

  /** A lookup that found nothing (NODATA or NXDOMAIN) counts as void (§4.6.4). */
  countVoid(term: string): void {
    this.voids++;
    if (this.voids > this.limits.voidLookups) {
      throw new Abort('permerror', `more than ${this.limits.voidLookups} DNS lookups returned no records (void lookups)`, term);
    }
  }

  /** A lookup a mechanism needs: failure is temperror (§5), empty is void. */
  async mechanismQuery<T extends RRType>(name: string, type: T, term: string): Promise<DnsResponse<T>> {
    const r = await this.query(name, type);
    if (isLookupFailure(r.outcome)) throw new Abort('temperror', `the ${type} lookup for ${name} ${describeOutcome(r)}`, term);
    if (r.outcome === 'nxdomain' || r.answers.length === 0) this.countVoid(term);
    return r;
  }

  async expandDomain(spec: DomainSpec | null, domain: string): Promise<string | null> {
    if (!spec) return domain;
    return toQueryName(await expandMacros(spec.tokens, this.macroValues(domain)));
  }

  /** The A (IPv4 client) or AAAA (IPv6 client) lookup for `name`; the caller decides what a failure means. */
  async addresses(name: string): Promise<DnsResponse<'A'> | DnsResponse<'AAAA'>> {
    return this.ip.kind() === 'ipv4' ? this.query(name, 'A') : this.query(name, 'AAAA');
  }

  /**
   * The PTR names of the client whose A/AAAA records lead back to it (§5.5), at most the
   * first 10 looked at (§4.6.4). DNS errors skip a name; a failed PTR lookup gives none.
   */
  async validatedNames(term: string | null): Promise<string[]> {
    const r = await this.query(reverseName(this.ip), 'PTR');
    if (isLookupFailure(r.outcome)) return [];
    if (term && (r.outcome === 'nxdomain' || r.answers.length === 0)) this.countVoid(term);
    const names = r.answers.slice(0, this.limits.ptrNames).map((a) => a.data);
    const checks = await Promise.all(names.map(async (name) => {
      const addrs = await this.addresses(name);
      if (isLookupFailure(addrs.outcome)) return false;
      return addrs.answers.some((a) => sameNetwork(this.ip, a.data, this.ip.kind() === 'ipv4' ? 32 : 128));
    }));
    return names.filter((_, i) => checks[i]);
  }

  /** %{p} (§7.3): prefer <domain> itself, then a subdomain of it, then any validated name. */
  private async validatedDomain(): Promise<string> {
    const names = await this.validatedNames(null);
    const domain = this.input.domain.toLowerCase();
    return names.find((n) => n === domain) ?? names.find((n) => n.endsWith(`.${domain}`)) ?? names[0] ?? 'unknown';
  }

  async matches(m: SpfMechanism, domain: string): Promise<boolean> {
    switch (m.kind) {
      case 'all':
        return true;
      case 'ip4':
      case 'ip6':
        // an IPv4 client never matches ip6, nor an IPv6 client ip4 (§5.6)
        if ((m.kind === 'ip4') !== (this.ip.kind() === 'ipv4')) return false;
        return sameNetwork(this.ip, m.network, m.prefix);
      case 'a': {
        const name = await this.expandDomain(m.domainSpec, domain);
        if (!name) return false;
        const r = await this.mechanismQuery(name, this.ip.kind() === 'ipv4' ? 'A' : 'AAAA', m.text);
        const prefix = this.ip.kind() === 'ipv4' ? m.cidr4 : m.cidr6;
        return r.answers.some((a) => sameNetwork(this.ip, a.data as string, prefix));
      }
      case 'mx': {
        const name = await this.expandDomain(m.domainSpec, domain);
        if (!name) return false;
        const r = await this.mechanismQuery(name, 'MX', m.text);
        // §4.6.4: more than 10 MX names is a permerror
        if (r.answers.length > this.limits.mxNames) {
          throw new Abort('permerror', `${name} has ${r.answers.length} MX records; an mx mechanism may look at ${this.limits.mxNames} at most`, m.text);
        }
        // a null MX (RFC 7505, exchange ".") names no host
        const hosts = r.answers.map((a) => a.data.exchange).filter((h) => h !== '' && h !== '.');
        const prefix = this.ip.kind() === 'ipv4' ? m.cidr4 : m.cidr6;
        const answers = await Promise.all(hosts.map((h) => this.addresses(h)));
        for (const a of answers) {
          if (isLookupFailure(a.outcome)) throw new Abort('temperror', `the ${a.type} lookup for MX host ${a.name} ${describeOutcome(a)}`, m.text);
          if (a.answers.some((x) => sameNetwork(this.ip, x.data, prefix))) return true;
        }
        return false;
      }
      case 'ptr': {
        const target = await this.expandDomain(m.domainSpec, domain);
        if (!target) return false;
        const names = await this.validatedNames(m.text);
        return names.some((n) => n === target || n.endsWith(`.${target}`));
      }
      case 'exists': {
        const name = await this.expandDomain(m.domainSpec, domain);
        if (!name) return false;
        // §5.7: always an A query, whatever the client's family
        const r = await this.mechanismQuery(name, 'A', m.text);
        return r.answers.length > 0;
      }
      case 'include': {
        const name = await this.expandDomain(m.domainSpec, domain);
        if (!name) throw new Abort('permerror', `include target "${m.domainSpec.text}" is not a valid domain name`, m.text);
        const inner = await this.checkHost(name, false);
        // §5.2 table
        switch (inner.result) {
          case 'pass': return true;
          case 'fail': case 'softfail': case 'neutral': return false;
          case 'temperror': throw new Abort('temperror', `include:${name}: ${inner.reason ?? 'temporary error'}`, m.text);
          case 'permerror': throw new Abort('permerror', `include:${name}: ${inner.reason ?? 'permanent error'}`, m.text);
          case 'none': throw new Abort('permerror', `include:${name} has no SPF record`, m.text);
        }
      }
    }
  }

  /** §6.2: the explanation for a fail; any problem means no explanation. */
  async explain(record: SpfRecord, domain: string): Promise<string | undefined> {
    const spec = record.exp?.domainSpec;
    if (!spec) return undefined;
    try {
      const name = await this.expandDomain(spec, domain);
      if (!name) return undefined;
      const r = await this.query(name, 'TXT');
      if (r.outcome !== 'answer' || r.answers.length !== 1) return undefined;
      const parsed = parseMacroString(r.answers[0]!.data.join(''), 'explain');
      if (!parsed.ok) return undefined;
      return await expandMacros(parsed.tokens, this.macroValues(domain));
    } catch (e) {
      if (e instanceof Abort) return undefined;
      throw e;
    }
  }

  /** check_host() for one domain (§4). Explanation only where wanted (not inside include, §6.2). */
  async checkHost(domain: string, wantExplanation: boolean): Promise<CheckHostResult> {
    try {
      return await this.evaluate(domain, wantExplanation);
    } catch (e) {
      if (e instanceof Abort) return { result: e.result, mechanism: e.mechanism, reason: e.message };
      throw e;
    }
  }

  private async evaluate(domain: string, wantExplanation: boolean): Promise<CheckHostResult> {
    // §4.3: a malformed domain gives none
    if (!isValidInitialDomain(domain)) return { result: 'none', mechanism: null, reason: `"${domain}" is not a valid domain name` };
    const lookup = await findSpfRecord(this.input.resolver, domain, this.input.signal);
    switch (lookup.kind) {
      case 'failed':
        return { result: 'temperror', mechanism: null, reason: `the TXT lookup for ${domain} ${describeOutcome(lookup.response)}` };
      case 'none':
        return { result: 'none', mechanism: null, reason: lookup.reason === 'nxdomain' ? `${domain} does not exist` : `${domain} has no SPF record` };
      case 'multiple':
        return { result: 'permerror', mechanism: null, reason: `${domain} has ${lookup.records.length} SPF records; there must be one (§4.5)` };
      case 'found':
        break;
    }
    const record = parseSpf(lookup.record.text);
    const error = record.errors[0];
    if (error) return { result: 'permerror', mechanism: null, reason: `the SPF record of ${domain} is invalid ${describeParseError(error)}` };

    for (const m of record.mechanisms) {
      if (LOOKUP_MECHANISMS.has(m.kind)) this.countLookup(m.text);
      if (!(await this.matches(m, domain))) continue;
      const result = QUALIFIER_RESULT[m.qualifier];
      const out: CheckHostResult = { result, mechanism: m.text };
      if (result === 'fail' && wantExplanation) {
        const explanation = await this.explain(record, domain);
        if (explanation !== undefined) out.explanation = explanation;
      }
      return out;
    }

    if (record.redirect?.domainSpec) {
      // §6.1: redirect applies only when no mechanism matched; its result is the result
      const term = record.redirect.text;
      this.countLookup(term);
      const target = await this.expandDomain(record.redirect.domainSpec, domain);
      if (!target) throw new Abort('permerror', `redirect target "${record.redirect.value}" is not a valid domain name`, term);
      const inner = await this.checkHost(target, wantExplanation);
      if (inner.result === 'none') return { result: 'permerror', mechanism: term, reason: `redirect=${target}: ${inner.reason ?? 'no SPF record'}` };
      return inner;
    }
    // §4.7: nothing matched and no redirect
    return { result: 'neutral', mechanism: 'default' };
  }
}

/** RFC 7208 check_host() (§4). Throws TypeError only for an unparseable `ip`. */
export async function checkHost(input: CheckHostInput): Promise<CheckHostResult> {
  const ip = parseClientIp(input.ip);
  if (!ip) throw new TypeError(`not an IP address: ${input.ip}`);
  const evaluation = new Evaluation(input, ip);
  try {
    return await evaluation.checkHost(input.domain, true);
  } catch (e) {
    // §4.6.4: exceeding the time budget SHOULD give temperror
    if (input.signal?.aborted) return { result: 'temperror', mechanism: null, reason: 'the SPF evaluation ran out of time' };
    throw e;
  }
}
