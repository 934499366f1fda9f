/**
 * The include/redirect tree of a domain's SPF, walked without a client address, to see what every
 * receiver will have to look up (RFC 7208 §4.6.4). Each record's lookups start as soon as the
 * record is parsed, siblings in parallel. DNS answers are memoised, so a record included twice
 * is fetched once but counted twice, as receivers count it.
 */
import type { DnsResponse, RRType, Resolver } from '../../dns/types.ts';
import { isLookupFailure } from '../../dns/types.ts';
import { transform, urlEscape, type MacroToken } from './macro.ts';
import { LOOKUP_MECHANISMS, parseSpf, type DomainSpec, type SpfMechanism, type SpfRecord, type SpfTerm } from './parse.ts';
import { selectSpfRecord, type SpfLookup, type SpfTxtRecord } from './record.ts';
import { toQueryName } from './names.ts';

/** Safety bounds for the walk; far beyond what any receiver evaluates. */
const MAX_NODES = 60;
const MAX_DEPTH = 12;

export type NodeStatus =
  | 'ok'
  /** the target publishes no SPF record */
  | 'no_spf'
  | 'multiple'
  /** its TXT lookup failed */
  | 'failed'
  /** the domain is already on the path from the root */
  | 'loop'
  /** the target depends on macros we cannot know without a message */
  | 'unresolved'
  /** the walk's safety bound was reached */
  | 'truncated';

export interface VoidLookup {
  /** the record's domain */
  domain: string;
  term: string;
  name: string;
  outcome: string;
}

export interface MxCount {
  domain: string;
  term: string;
  name: string;
  count: number;
}

export interface SpfNode {
  domain: string;
  via: 'root' | 'include' | 'redirect';
  /** the term in the parent record that led here */
  term: string | null;
  status: NodeStatus;
  /** for no_spf: why */
  absence?: 'nxdomain' | 'nodata' | 'no_spf';
  record?: SpfTxtRecord;
  /** several SPF records (status multiple) */
  records?: SpfTxtRecord[];
  parsed?: SpfRecord;
  /** DNS-querying terms a receiver evaluates in this record (include a mx ptr exists redirect) */
  ownLookups: number;
  /** this record and everything below it */
  totalLookups: number;
  children: SpfNode[];
}

export interface SpfTree {
  root: SpfNode;
  lookupCount: number;
  voidLookups: VoidLookup[];
  mxCounts: MxCount[];
  /** every lookup that failed while walking */
  failures: DnsResponse[];
  /** terms whose lookups depend on the message (macros other than %{d} and %{o}) */
  unboundedTerms: Array<{ domain: string; term: string }>;
  truncated: boolean;
}

/** The terms a receiver may evaluate: mechanisms up to the first `all`, and redirect when there is no `all` (§5.1, §6.1). */
export function effectiveTerms(record: SpfRecord): { mechanisms: SpfMechanism[]; redirect: SpfTerm | null } {
  const allAt = record.mechanisms.findIndex((m) => m.kind === 'all');
  if (allAt >= 0) return { mechanisms: record.mechanisms.slice(0, allAt + 1), redirect: null };
  return { mechanisms: record.mechanisms, redirect: record.redirect };
}

/** Letters whose value is known without a message when checking MAIL FROM of the root domain. */
const STATIC_LETTERS = new Set(['d', 'o']);

export function isStatic(tokens: readonly MacroToken[]): boolean {
  return tokens.every((t) => t.type === 'literal' || STATIC_LETTERS.has(t.letter));
}

/** Expand %{d} / %{o} statically; null if other macros are used or the name is unusable. */
export function staticTarget(spec: DomainSpec, domain: string, rootDomain: string): string | null {
  if (!isStatic(spec.tokens)) return null;
  let out = '';
  for (const t of spec.tokens) {
    if (t.type === 'literal') out += t.text;
    else {
      const v = transform(t.letter === 'd' ? domain : rootDomain, t);
      out += t.urlEscape ? urlEscape(v) : v;
    }
  }
  return toQueryName(out);
}

class TreeWalk {
  private readonly resolver: Resolver;
  private readonly signal: AbortSignal | undefined;
  private readonly rootDomain: string;
  private readonly answers = new Map<string, Promise<DnsResponse>>();
  private nodes = 0;
  readonly voidLookups: VoidLookup[] = [];
  readonly mxCounts: MxCount[] = [];
  readonly failures = new Map<string, DnsResponse>();
  readonly unboundedTerms: Array<{ domain: string; term: string }> = [];
  truncated = false;

  constructor(resolver: Resolver, rootDomain: string, signal?: AbortSignal) {
    this.resolver = resolver;
    this.rootDomain = rootDomain;
    this.signal = signal;
  }

  query<T extends RRType>(name: string, type: T): Promise<DnsResponse<T>> {
    const key = `${name} ${type}`;
    let p = this.answers.get(key);
    if (!p) {
      p = this.resolver.query(name, type, this.signal ? { signal: this.signal } : {});
      this.answers.set(key, p);
    }
    return (p as Promise<DnsResponse<T>>).then((r) => {
      if (isLookupFailure(r.outcome)) this.failures.set(key, r);
      return r;
    });
  }

  async visit(domain: string, via: SpfNode['via'], term: string | null, path: readonly string[], first?: SpfLookup): Promise<SpfNode> {
    const node: SpfNode = { domain, via, term, status: 'ok', ownLookups: 0, totalLookups: 0, children: [] };
    if (path.includes(domain)) {
      node.status = 'loop';
      return node;
    }
    if (++this.nodes > MAX_NODES || path.length > MAX_DEPTH) {
      this.truncated = true;
      node.status = 'truncated';
      return node;
    }
    const lookup = first ?? selectSpfRecord(await this.query(domain, 'TXT'));
    switch (lookup.kind) {
      case 'failed':
        node.status = 'failed';
        return node;
      case 'none':
        node.status = 'no_spf';
        node.absence = lookup.reason;
        return node;
      case 'multiple':
        node.status = 'multiple';
        node.records = lookup.records;
        return node;
      case 'found':
        break;
    }
    node.record = lookup.record;
    const parsed = parseSpf(lookup.record.text);
    node.parsed = parsed;
    const { mechanisms, redirect } = effectiveTerms(parsed);
    node.ownLookups = mechanisms.filter((m) => LOOKUP_MECHANISMS.has(m.kind)).length + (redirect ? 1 : 0);
    const here = [...path, domain];

    const children: Array<Promise<SpfNode | null>> = [];
    for (const m of mechanisms) children.push(this.term(m, domain, here));
    if (redirect?.type === 'modifier' && redirect.domainSpec) {
      children.push(this.follow(redirect.domainSpec, domain, 'redirect', redirect.text, here));
    }
    node.children = (await Promise.all(children)).filter((c): c is SpfNode => c !== null);
    node.totalLookups = node.ownLookups + node.children.reduce((n, c) => n + c.totalLookups, 0);
    return node;
  }

  private async follow(spec: DomainSpec, domain: string, via: 'include' | 'redirect', term: string, path: readonly string[]): Promise<SpfNode> {
    const target = staticTarget(spec, domain, this.rootDomain);
    if (!target) {
      if (!isStatic(spec.tokens)) this.unboundedTerms.push({ domain, term });
      return { domain: spec.text, via, term, status: 'unresolved', ownLookups: 0, totalLookups: 0, children: [] };
    }
    return this.visit(target, via, term, path);
  }

  /** Resolve one mechanism for what the lint needs: child records, void lookups, MX counts. */
  private async term(m: SpfMechanism, domain: string, path: readonly string[]): Promise<SpfNode | null> {
    if (m.kind === 'include') return this.follow(m.domainSpec, domain, 'include', m.text, path);
    if (m.kind !== 'a' && m.kind !== 'mx' && m.kind !== 'exists' && m.kind !== 'ptr') return null;
    const spec = m.domainSpec;
    if (spec && !isStatic(spec.tokens)) {
      this.unboundedTerms.push({ domain, term: m.text });
      return null;
    }
    // ptr needs the client address: nothing to resolve without one
    if (m.kind === 'ptr') return null;
    const name = spec ? staticTarget(spec, domain, this.rootDomain) : domain;
    if (!name) return null;
    const addVoid = (r: DnsResponse): void => {
      this.voidLookups.push({ domain, term: m.text, name, outcome: r.outcome === 'nxdomain' ? 'NXDOMAIN' : 'no records' });
    };
    if (m.kind === 'mx') {
      const r = await this.query(name, 'MX');
      if (isLookupFailure(r.outcome)) return null;
      if (r.answers.length === 0) addVoid(r);
      else this.mxCounts.push({ domain, term: m.text, name, count: r.answers.length });
      return null;
    }
    if (m.kind === 'exists') {
      // §5.7: exists always asks for A
      const r = await this.query(name, 'A');
      if (!isLookupFailure(r.outcome) && r.answers.length === 0) addVoid(r);
      return null;
    }
    // a: void when the name has neither A nor AAAA (a receiver asks for one of them, by client family)
    const [a, aaaa] = await Promise.all([this.query(name, 'A'), this.query(name, 'AAAA')]);
    if (isLookupFailure(a.outcome) || isLookupFailure(aaaa.outcome)) return null;
    if (a.answers.length === 0 && aaaa.answers.length === 0) addVoid(a.outcome === 'nxdomain' ? a : aaaa);
    return null;
  }
}

/** Walk `domain`'s SPF tree. `root` is the root record lookup when the caller already has it. */
export async function walkSpfTree(resolver: Resolver, domain: string, root: SpfLookup, signal?: AbortSignal): Promise<SpfTree> {
  const walk = new TreeWalk(resolver, domain, signal);
  const node = await walk.visit(domain, 'root', null, [], root);
  return {
    root: node,
    lookupCount: node.totalLookups,
    voidLookups: walk.voidLookups,
    mxCounts: walk.mxCounts,
    failures: [...walk.failures.values()],
    unboundedTerms: walk.unboundedTerms,
    truncated: walk.truncated,
  };
}

/** Every node of the tree, depth first. */
export function nodesOf(node: SpfNode): SpfNode[] {
  return [node, ...node.children.flatMap(nodesOf)];
}

/** A JSON-friendly view for the report's evidence. */
export function treeEvidence(node: SpfNode): Record<string, unknown> {
  const out: Record<string, unknown> = { domain: node.domain, via: node.via, status: node.status, lookups: node.totalLookups };
  if (node.term) out.term = node.term;
  if (node.record) out.record = node.record.text;
  if (node.records) out.records = node.records.map((r) => r.text);
  if (node.absence) out.absence = node.absence;
  if (node.children.length) out.children = node.children.map(treeEvidence);
  return out;
}
