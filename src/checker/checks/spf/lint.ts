/**
 * SPF findings (CONTRACTS §3 `spf.*`) from what was seen: the root lookup, the include/redirect
 * tree, the SPF (type 99) RRset and the MX set (for the suggested record).
 */
import type { DnsResponse } from '../../dns/types.ts';
import { finding } from '../../findings.ts';
import type { Finding } from '../../types.ts';
import { fixForParseError, reorderAllLast, rewrite, splitForTxt, zoneTxt } from './fixes.ts';
import { describeParseError, isSpfVersion, type SpfMechanism, type SpfParseError, type SpfRecord, type SpfTerm } from './parse.ts';
import type { SpfLookup, SpfTxtRecord } from './record.ts';
import { effectiveTerms, nodesOf, type SpfNode, type SpfTree } from './tree.ts';

export const LOOKUP_LIMIT = 10;
export const NEAR_LIMIT = 8;
export const VOID_LIMIT = 2;
export const MX_LIMIT = 10;
/** §3.4: keep the answer within 512 octets: about 450 bytes of record */
export const RECORD_SIZE_LIMIT = 450;
const STRING_LIMIT = 255;

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The suggested record for a domain without SPF: its MX may send, nobody else (RFC 7208 §5.4, §5.1). */
export function suggestedRecord(mx: DnsResponse<'MX'> | null): { record: string; why: string } {
  if (mx?.outcome === 'answer') {
    const hosts = mx.answers.map((a) => a.data.exchange).filter((h) => h && h !== '.');
    if (hosts.length) {
      return { record: 'v=spf1 mx -all', why: `it lets your MX hosts (${hosts.join(', ')}) send and refuses everyone else; add include: for any mail service that sends as you` };
    }
    return { record: 'v=spf1 -all', why: 'the domain publishes a null MX, so it should send no mail at all' };
  }
  if (mx && (mx.outcome === 'nodata' || mx.outcome === 'nxdomain')) {
    return { record: 'v=spf1 -all', why: 'the domain has no MX, so nothing suggests it sends mail; if it does, list its senders before -all' };
  }
  return { record: 'v=spf1 mx -all', why: 'it lets the domain\'s MX hosts send and refuses everyone else (use "v=spf1 -all" if it sends no mail)' };
}

function parseErrorFinding(e: SpfParseError, where: string): Finding {
  const code = e.kind === 'unknown_mechanism' ? 'spf.unknown_mechanism' : e.kind === 'invalid_ip_or_cidr' ? 'spf.invalid_ip_or_cidr' : 'spf.syntax_error';
  return finding(
    code,
    `${where} is invalid ${describeParseError(e)}. Receivers treat the whole record as a permanent error (permerror), so SPF protects nothing.`,
    fixForParseError(e),
  );
}

function multipleFinding(domain: string, records: SpfTxtRecord[], where: string): Finding {
  // merge: every non-all mechanism once, then the first record's all (or -all), modifiers dropped
  const seen = new Set<string>();
  const merged: string[] = [];
  let all: string | undefined;
  for (const r of records) {
    for (const term of r.text.split(' ').slice(1).filter(Boolean)) {
      if (/^[+\-~?]?all$/i.test(term)) all ??= term;
      else if (!term.includes('=') && !seen.has(term.toLowerCase())) {
        seen.add(term.toLowerCase());
        merged.push(term);
      }
    }
  }
  return finding(
    'spf.multiple_records',
    `${where} publishes ${records.length} SPF records (${records.map((r) => `"${r.text}"`).join(', ')}); receivers must treat that as a permanent error (permerror), so none of them counts.`,
    `Replace them with one TXT record at ${domain}: ${['v=spf1', ...merged, all ?? '-all'].join(' ')}`,
  );
}

function allQualifierFindings(root: SpfNode): Finding[] {
  // the effective all: the root's, or along its redirect chain (§6.1)
  let node: SpfNode | undefined = root;
  let via = '';
  while (node?.parsed) {
    const all = node.parsed.mechanisms.find((m) => m.kind === 'all');
    if (all) return qualifierFinding(all, node, root, via);
    if (!node.parsed.redirect) return [];
    via = ` (reached through redirect=${node.domain === root.domain ? '' : `${node.domain} → `}${node.parsed.redirect.value})`;
    node = node.children.find((c) => c.via === 'redirect');
  }
  return [];
}

function qualifierFinding(all: SpfMechanism, node: SpfNode, root: SpfNode, via: string): Finding[] {
  const rec = node.parsed!;
  const own = node === root;
  const strict = (q: string): string => (own ? rewrite(rec, { replace: new Map([[all as SpfTerm, q]]) }) : `redirect to a record ending in ${q}, or publish your own record ending in ${q} instead of redirect=`);
  switch (all.qualifier) {
    case '+':
      return [finding(
        'spf.pass_all',
        `The SPF record of ${node.domain} ends in "${all.text}"${via}: every server on the internet passes SPF for ${root.domain}, so anyone can send as it.`,
        `List your senders and refuse the rest: ${strict('-all')}`,
      )];
    case '?':
      return [finding(
        'spf.neutral_all',
        `The SPF record of ${node.domain} ends in "?all"${via}: mail from unlisted servers gets "neutral", which asserts nothing, so spoofed mail is not flagged.`,
        `Once every legitimate sender is listed, publish: ${strict('-all')} (or ~all while you check reports)`,
      )];
    case '~':
      return [finding(
        'spf.softfail_all',
        `The SPF record of ${node.domain} ends in "~all"${via}: unlisted servers get "softfail", which receivers usually accept and mark; with DMARC enforcement that is fine.`,
        `When DMARC reports show all your senders pass, you can publish: ${strict('-all')}`,
      )];
    default:
      return [];
  }
}

/** Findings about the root record's own shape (§4.7, §5.1, §6.1, §3.4). */
function rootRecordFindings(domain: string, rec: SpfRecord, strings: string[]): Finding[] {
  const out: Finding[] = [];
  const allAt = rec.mechanisms.findIndex((m) => m.kind === 'all');
  if (allAt < 0 && !rec.redirect) {
    out.push(finding(
      'spf.no_all_or_redirect',
      `The SPF record of ${domain} has neither an "all" mechanism nor "redirect=": mail from unlisted servers gets the default result "neutral", which asserts nothing.`,
      `End the record with -all: ${rewrite(rec, {})} -all`,
    ));
  }
  if (allAt >= 0) {
    const after = rec.mechanisms.slice(allAt + 1);
    if (after.length) {
      out.push(finding(
        'spf.terms_after_all',
        `In the SPF record of ${domain}, ${after.map((m) => `"${m.text}"`).join(', ')} come${after.length === 1 ? 's' : ''} after "${rec.mechanisms[allAt]!.text}"; "all" always matches, so they are never evaluated.`,
        `Move them before the all: ${reorderAllLast(rec)}`,
      ));
    }
    if (rec.redirect) {
      const all = rec.mechanisms[allAt]!;
      out.push(finding(
        'spf.redirect_ignored',
        `The SPF record of ${domain} has both "${all.text}" and "${rec.redirect.text}": "all" always matches first, so the redirect is never used.`,
        `Either drop the redirect: ${rewrite(rec, { remove: [rec.redirect] })} — or, to use ${rec.redirect.value}'s policy, drop the all: ${rewrite(rec, { remove: [all] })}`,
      ));
    }
  }
  const size = bytes(rec.text);
  if (size > RECORD_SIZE_LIMIT) {
    const own = rec.mechanisms.filter((m) => m.kind !== 'all');
    const half = Math.ceil(own.length / 2);
    const moved = own.slice(half);
    const all = rec.mechanisms.find((m) => m.kind === 'all');
    const main = ['v=spf1', ...own.slice(0, half).map((m) => m.text), `include:_spf.${domain}`, ...(all ? [all.text] : []), ...rec.terms.filter((t) => t.type === 'modifier').map((t) => t.text)].join(' ');
    out.push(finding(
      'spf.record_too_large',
      `The SPF record of ${domain} is ${size} bytes (in ${plural(strings.length, 'string')}); above about ${RECORD_SIZE_LIMIT} bytes the DNS answer may not fit in 512 octets and needs TCP, which some receivers do not use.`,
      `Move part of it to a subdomain (this costs one lookup): publish at _spf.${domain}: "v=spf1 ${moved.map((m) => m.text).join(' ')}" and change ${domain} to: ${main}`,
    ));
  }
  return out;
}

function stringFindings(node: SpfNode, root: string): Finding[] {
  const records = node.record ? [node.record] : node.records ?? [];
  const out: Finding[] = [];
  for (const r of records) {
    const long = r.strings.filter((s) => bytes(s) > STRING_LIMIT);
    if (!long.length) continue;
    const where = node.domain === root ? `The SPF record of ${root}` : `The SPF record of ${node.domain} (reached from ${root})`;
    out.push(finding(
      'spf.string_too_long',
      `${where} has a TXT string of ${long.map((s) => `${bytes(s)} bytes`).join(', ')}; a DNS character-string holds at most 255, so the record cannot be served as published.`,
      `Publish it as several strings of at most 255 bytes (they are joined without spaces): ${node.domain}. TXT ${zoneTxt(splitForTxt(r.text))}`,
    ));
  }
  return out;
}

function lookupFindings(tree: SpfTree, rootRecord: SpfRecord): Finding[] {
  const n = tree.lookupCount;
  const root = tree.root;
  const costly = [...root.children]
    .filter((c) => c.totalLookups > 0 || c.status === 'ok')
    .map((c) => ({ term: c.term ?? c.domain, cost: c.totalLookups + 1 }))
    .sort((a, b) => b.cost - a.cost);
  const local = effectiveTerms(rootRecord).mechanisms.filter((m) => m.kind === 'a' || m.kind === 'mx' || m.kind === 'ptr' || m.kind === 'exists');
  const costs = [
    ...costly.map((c) => `${c.term} (${plural(c.cost, 'lookup')})`),
    ...local.map((m) => `${m.text} (1 lookup)`),
  ].slice(0, 5).join(', ');
  if (n > LOOKUP_LIMIT) {
    return [finding(
      'spf.too_many_lookups',
      `SPF for ${root.domain} needs ${n} DNS lookups (include, a, mx, ptr, exists and redirect, counted through every include); receivers stop at ${LOOKUP_LIMIT} and return permerror, so SPF fails for legitimate mail.`,
      `Cut ${n - LOOKUP_LIMIT} or more: the costliest terms are ${costs}. Drop includes for services you no longer use, replace a/mx terms with the ip4:/ip6: addresses they stand for, or move a sending service to a subdomain with its own SPF record.`,
    )];
  }
  if (n >= NEAR_LIMIT) {
    return [finding(
      'spf.lookups_near_limit',
      `SPF for ${root.domain} needs ${n} of the ${LOOKUP_LIMIT} DNS lookups receivers allow; one more include from a provider could push it over and make SPF fail.`,
      `Keep headroom: the costliest terms are ${costs}. Replace a/mx terms with ip4:/ip6: addresses and remove includes you no longer need.`,
    )];
  }
  return [];
}

export interface SpfLintInput {
  domain: string;
  lookup: SpfLookup;
  tree: SpfTree | null;
  /** the SPF (type 99) RRset, null when not looked up */
  spfRr: DnsResponse<'SPF'> | null;
  mx: DnsResponse<'MX'> | null;
}

export function lintSpf({ domain, lookup, tree, spfRr, mx }: SpfLintInput): Finding[] {
  const findings: Finding[] = [];
  const type99 = spfRr?.outcome === 'answer' ? spfRr.answers.map((a) => a.data.join('')) : [];

  if (type99.length) {
    const txt = lookup.kind === 'found' ? lookup.record.text : null;
    findings.push(finding(
      'spf.deprecated_rrtype',
      `${domain} publishes ${plural(type99.length, 'record')} of the SPF type (99): ${type99.map((r) => `"${r}"`).join(', ')}. RFC 7208 removed that type; receivers only read TXT${txt ? '' : ', so this policy is not seen at all'}.`,
      txt
        ? `Delete the SPF-type record(s) at ${domain}; keep the TXT record "${txt}".`
        : `Publish the policy as a TXT record at ${domain} ("${type99.find(isSpfVersion) ?? 'v=spf1 -all'}") and delete the SPF-type record.`,
    ));
  }

  if (lookup.kind === 'none') {
    const s = suggestedRecord(mx);
    const seen = lookup.reason === 'nxdomain' ? `${domain} does not exist in the DNS` : lookup.reason === 'nodata' ? `${domain} has no TXT records` : `none of the TXT records at ${domain} starts with "v=spf1"`;
    findings.push(finding(
      'spf.missing',
      `No SPF record: ${seen}. Receivers get the result "none" and cannot tell your servers from forgers.`,
      `Publish a TXT record at ${domain}: ${s.record} — ${s.why}.`,
    ));
    return findings;
  }
  if (lookup.kind === 'multiple') {
    findings.push(multipleFinding(domain, lookup.records, domain));
    for (const r of lookup.records) findings.push(...stringFindings({ domain, via: 'root', term: null, status: 'multiple', record: r, ownLookups: 0, totalLookups: 0, children: [] }, domain));
    return findings;
  }
  if (lookup.kind !== 'found' || !tree?.root.parsed) return findings;

  const root = tree.root;
  const rec = root.parsed!;
  for (const e of rec.errors.slice(0, 5)) findings.push(parseErrorFinding(e, `The SPF record of ${domain}`));
  findings.push(...allQualifierFindings(root));
  findings.push(...rootRecordFindings(domain, rec, lookup.record.strings));

  for (const node of nodesOf(root)) {
    findings.push(...stringFindings(node, domain));
    if (node === root) continue;
    const parent = `${node.via === 'include' ? 'included' : 'reached'} by "${node.term}"`;
    const where = `The SPF record of ${node.domain} (${parent})`;
    if (node.status === 'no_spf') {
      const seen = node.absence === 'nxdomain' ? `${node.domain} does not exist` : node.absence === 'nodata' ? `${node.domain} has no TXT records` : `${node.domain} has TXT records but none is SPF`;
      const code = node.via === 'include' ? 'spf.include_target_no_spf' : 'spf.redirect_target_no_spf';
      const owner = parentOf(root, node);
      const fixed = owner?.parsed ? rewrite(owner.parsed, { remove: owner.parsed.terms.filter((t) => t.text === node.term) }) : null;
      findings.push(finding(
        code,
        `"${node.term}" points at a domain without SPF: ${seen}. Receivers return permerror for ${node.via === 'include' ? 'the include' : 'the redirect'}, so SPF fails for every message.`,
        `Check the name in your provider's documentation and correct it, or remove the term${fixed ? ` (${owner!.domain}: ${fixed})` : ''}.`,
      ));
    } else if (node.status === 'loop') {
      const owner = parentOf(root, node);
      findings.push(finding(
        'spf.loop',
        `"${node.term}" in the SPF record of ${owner?.domain ?? domain} leads back to ${node.domain}, which is already being evaluated: receivers go round until the ${LOOKUP_LIMIT}-lookup limit and return permerror.`,
        `Remove "${node.term}" from the SPF record of ${owner?.domain ?? domain}${owner?.parsed ? `: ${rewrite(owner.parsed, { remove: owner.parsed.terms.filter((t) => t.text === node.term) })}` : ''}.`,
      ));
    } else if (node.status === 'multiple' && node.records) {
      findings.push(multipleFinding(node.domain, node.records, `${node.domain} (${parent})`));
    } else if (node.parsed) {
      for (const e of node.parsed.errors.slice(0, 3)) findings.push(parseErrorFinding(e, where));
    }
  }

  findings.push(...lookupFindings(tree, rec));

  if (tree.voidLookups.length > VOID_LIMIT) {
    const list = tree.voidLookups.map((v) => `"${v.term}" in ${v.domain} (${v.name}: ${v.outcome})`).join(', ');
    const ownVoid = tree.voidLookups.filter((v) => v.domain === domain).map((v) => v.term);
    findings.push(finding(
      'spf.too_many_void_lookups',
      `${tree.voidLookups.length} lookups in the SPF of ${domain} find nothing: ${list}. Receivers allow ${VOID_LIMIT} and then return permerror.`,
      ownVoid.length
        ? `Remove the terms that point at nothing: ${rewrite(rec, { remove: rec.terms.filter((t) => ownVoid.includes(t.text)) })}`
        : 'Ask the owners of the included records to remove terms that point at names without records, or stop including them.',
    ));
  }

  for (const mxCount of tree.mxCounts.filter((c) => c.count > MX_LIMIT)) {
    findings.push(finding(
      'spf.mx_too_many_hosts',
      `"${mxCount.term}" in the SPF record of ${mxCount.domain} looks up ${mxCount.name}, which has ${mxCount.count} MX records; an mx mechanism may use at most ${MX_LIMIT}, so receivers return permerror.`,
      `Replace "${mxCount.term}" with ip4:/ip6: ranges for the servers that actually send mail, or a:host terms for at most a few of them.`,
    ));
  }

  const ptrs = nodesOf(root).flatMap((n) => (n.parsed ? effectiveTerms(n.parsed).mechanisms.filter((m) => m.kind === 'ptr').map((m) => ({ n, m })) : []));
  if (ptrs.length) {
    const own = ptrs.filter((p) => p.n === root).map((p) => p.m as SpfTerm);
    findings.push(finding(
      'spf.ptr_used',
      `SPF uses the ptr mechanism (${ptrs.map((p) => `"${p.m.text}" in ${p.n.domain}`).join(', ')}): it is slow, unreliable and RFC 7208 says it should not be used; some receivers skip it.`,
      own.length
        ? `Replace it with ip4:/ip6: (or a:) terms for your sending servers, e.g. ${rewrite(rec, { remove: own })} plus those terms before the all.`
        : 'Ask the owner of that record to replace ptr with ip4:/ip6: terms, or include a different record.',
    ));
  }

  if (tree.unboundedTerms.length) {
    findings.push(finding(
      'spf.macros_unbounded',
      `SPF uses macros that depend on each message (${tree.unboundedTerms.map((u) => `"${u.term}" in ${u.domain}`).join(', ')}), so the lookups counted here (${tree.lookupCount}) are a lower bound: the targets of those terms can only be known per message.`,
      'No change is needed if the macros are intended (e.g. per-sender exists: checks); make sure each possible target keeps the whole evaluation within 10 lookups.',
    ));
  }
  return findings;
}

function parentOf(root: SpfNode, child: SpfNode): SpfNode | undefined {
  for (const n of nodesOf(root)) if (n.children.includes(child)) return n;
  return undefined;
}
