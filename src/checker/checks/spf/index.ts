/**
 * The `spf` check (CONTRACTS §3): find the record (TXT only, RFC 7208 §4.5), walk its whole
 * include/redirect tree, and lint it. A failed lookup anywhere makes the check `untested`.
 */
import type { CheckContext } from '../../check.ts';
import { lookupFailed, result, sortFindings, untested } from '../../check.ts';
import { FINDINGS } from '../../findings.ts';
import type { DnsResponse } from '../../dns/types.ts';
import type { CheckResult, Finding } from '../../types.ts';
import { lintSpf } from './lint.ts';
import { parseSpf, type SpfRecord } from './parse.ts';
import { findSpfRecord, type SpfLookup } from './record.ts';
import { effectiveTerms, treeEvidence, walkSpfTree } from './tree.ts';

export { checkHost, type CheckHostInput, type CheckHostResult, type SpfResult } from './evaluate.ts';
export { findSpfRecord, type SpfLookup, type SpfTxtRecord } from './record.ts';
export { parseSpf, type SpfRecord } from './parse.ts';
export { spfIdentity } from './names.ts';

/**
 * Does this record authorise anyone to send (RFC 7505 §4.2 asks of null-MX domains)? True when
 * some evaluated term can yield `pass`: a pass-qualified mechanism before the first `all`
 * (RFC 7208 §4.6.2, §5.1), `+all`, or a redirect that hands the decision elsewhere (§6.1).
 * `v=spf1 -all`, `~all` and `?all` alone authorise nobody. An invalid record counts as
 * authorising, since it does not say "nobody".
 */
export function spfAuthorisesSenders(record: string | SpfRecord): boolean {
  const parsed = typeof record === 'string' ? parseSpf(record) : record;
  if (parsed.errors.length) return true;
  const { mechanisms, redirect } = effectiveTerms(parsed);
  return redirect !== null || mechanisms.some((m) => m.qualifier === '+');
}

function termsEvidence(record: SpfRecord): Array<Record<string, unknown>> {
  return record.terms.map((t) => (t.type === 'modifier'
    ? { modifier: t.name, value: t.value, text: t.text }
    : { mechanism: t.kind, qualifier: t.qualifier, text: t.text }));
}

function summaryOf(lookup: SpfLookup, lookups: number | null, findings: readonly Finding[]): string {
  if (lookup.kind === 'failed') return 'SPF could not be checked';
  if (lookups !== null && lookups > 10) return `SPF needs ${lookups} DNS lookups; receivers stop at 10`;
  // findings arrive worst first: the worst one's title says what matters most
  const worst = sortFindings([...findings])[0];
  if (worst && worst.severity !== 'info') return FINDINGS[worst.code].title;
  const used = lookups === null ? '' : ` (${lookups} of 10 DNS lookups)`;
  return worst ? `SPF record is valid${used}; ${FINDINGS[worst.code].title.toLowerCase()}` : `SPF record is valid${used}`;
}

export async function checkSpf(ctx: CheckContext): Promise<CheckResult> {
  const { domain, resolver, signal } = ctx;
  const opts = { signal };
  // independent lookups at once: the record, the deprecated SPF type, and MX for a suggested record
  const [lookup, spfRr, mx] = await Promise.all([
    findSpfRecord(resolver, domain, signal),
    resolver.query(domain, 'SPF', opts),
    resolver.query(domain, 'MX', opts),
  ]);
  const evidence: Record<string, unknown> = {};
  if (spfRr.outcome === 'answer') evidence.spfTypeRecords = spfRr.answers.map((a) => a.data.join(''));

  if (lookup.kind === 'failed') {
    return untested('spf', `SPF could not be checked: the TXT lookup for ${domain} failed`, [lookupFailed(lookup.response)], evidence);
  }
  if (lookup.kind === 'multiple') evidence.records = lookup.records.map((r) => ({ record: r.text, strings: r.strings }));

  const tree = lookup.kind === 'found' ? await walkSpfTree(resolver, domain, lookup, signal) : null;
  if (lookup.kind === 'found' && tree) {
    const rec = tree.root.parsed ?? parseSpf(lookup.record.text);
    Object.assign(evidence, {
      record: lookup.record.text,
      strings: lookup.record.strings,
      terms: termsEvidence(rec),
      lookupCount: tree.lookupCount,
      voidLookupCount: tree.voidLookups.length,
      voidLookups: tree.voidLookups,
      tree: treeEvidence(tree.root),
    });
    if (rec.errors.length) evidence.errors = rec.errors;
    if (tree.truncated) evidence.truncated = true;
    if (tree.failures.length) {
      return untested(
        'spf',
        `SPF could not be fully checked: ${tree.failures.length === 1 ? 'a lookup' : `${tree.failures.length} lookups`} in its include tree failed`,
        tree.failures.map((r) => lookupFailed(r as DnsResponse)),
        evidence,
      );
    }
  }
  const findings = lintSpf({ domain, lookup, tree, spfRr, mx: mx.outcome === 'answer' || mx.outcome === 'nodata' || mx.outcome === 'nxdomain' ? mx : null });
  return result('spf', summaryOf(lookup, tree?.lookupCount ?? null, findings), findings, evidence);
}
