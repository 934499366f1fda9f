/**
 * Where a domain's DMARC policy lives: its own `_dmarc.<domain>` TXT, or — when it
 * has none — a parent's, found by the DMARCbis DNS tree walk (§4.10.1, at most 8
 * queries, honouring psd=y/psd=n for the organizational domain, §4.10.2).
 */
import { isLookupFailure } from '../../dns/types.ts';
import type { DnsOutcome, DnsResponse, QueryOptions, RRType } from '../../dns/types.ts';
import { isDmarcRecord, parseDmarc } from './parse.ts';

export type Lookup = <T extends RRType>(name: string, type: T) => Promise<DnsResponse<T>>;

export function lookupWith(resolver: { query<T extends RRType>(n: string, t: T, o?: QueryOptions): Promise<DnsResponse<T>> }, signal: AbortSignal): Lookup {
  const asked = new Map<string, Promise<DnsResponse>>();
  return <T extends RRType>(name: string, type: T): Promise<DnsResponse<T>> => {
    const key = `${name.toLowerCase()} ${type}`;
    let pending = asked.get(key);
    if (!pending) {
      pending = resolver.query(name, type, { signal });
      asked.set(key, pending);
    }
    return pending as Promise<DnsResponse<T>>;
  };
}

/** The TXT records at one `_dmarc.<domain>` name, split into DMARC records and the rest. */
export interface DmarcTxtSet {
  /** the domain the records belong to (without `_dmarc.`) */
  domain: string;
  /** `_dmarc.<domain>` */
  name: string;
  response: DnsResponse<'TXT'>;
  /** records starting with `v=DMARC1` (RFC 7489 §6.6.3 step 3), strings joined */
  records: string[];
  /** any other TXT records at the name */
  others: string[];
}

/** TXT character-strings of one record are joined without separator (RFC 7489 §6.6.3 / RFC 7208 §3.3). */
export function txtTexts(response: DnsResponse<'TXT'>): string[] {
  return response.answers.map((a) => a.data.join(''));
}

export function readTxtSet(domain: string, response: DnsResponse<'TXT'>): DmarcTxtSet {
  const texts = txtTexts(response);
  return {
    domain,
    name: `_dmarc.${domain}`,
    response,
    records: texts.filter(isDmarcRecord),
    others: texts.filter((t) => !isDmarcRecord(t)),
  };
}

export async function fetchDmarcTxt(lookup: Lookup, domain: string): Promise<DmarcTxtSet> {
  return readTxtSet(domain, await lookup(`_dmarc.${domain}`, 'TXT'));
}

/**
 * The names the DMARCbis tree walk queries after the starting domain (§4.10.1 steps 5–8):
 * with 8 or more labels jump to the last 7, then drop one label at a time down to
 * the top-level domain. With the first query that makes at most 8.
 */
export function treeWalkTargets(domain: string): string[] {
  const labels = domain.split('.').filter((l) => l !== '');
  const targets: string[] = [];
  let keep = labels.length >= 8 ? 7 : labels.length - 1;
  for (; keep >= 1; keep--) targets.push(labels.slice(labels.length - keep).join('.'));
  return targets;
}

export interface WalkStep {
  name: string;
  outcome: DnsOutcome;
  /** how many v=DMARC1 records answered */
  dmarcRecords: number;
  /** the psd tag of the single record, when there is one */
  psd?: string;
}

export type WalkResult =
  /** the policy record that applies to the domain, found at a parent */
  | { kind: 'found'; at: DmarcTxtSet; text: string; organizationalDomain: string; viaPsd: boolean; steps: WalkStep[] }
  /** every queried name answered and none holds a usable record */
  | { kind: 'absent'; steps: WalkStep[] }
  /** a query the answer depends on failed: we cannot say */
  | { kind: 'failed'; response: DnsResponse<'TXT'>; steps: WalkStep[] };

/**
 * Walk up from `domain` (whose own `_dmarc` has no record). All queries go out at once;
 * the answers are then read nearest first, as DMARCbis §4.10.1 orders them:
 * - several DMARC records at one name are discarded (step 7) and the walk goes on;
 * - a record with psd=n or psd=y ends the walk (step 7);
 * - the organizational domain is the psd=n name, one label below a psd=y name, or
 *   else the shortest name with a record (§4.10.2), and its record is the policy
 *   that applies; with psd=y and no record one label below, the PSD's record applies.
 */
export async function walkTree(lookup: Lookup, domain: string): Promise<WalkResult> {
  const targets = treeWalkTargets(domain);
  const sets = await Promise.all(targets.map((t) => fetchDmarcTxt(lookup, t)));
  const steps: WalkStep[] = [];
  const collected: Array<{ index: number; set: DmarcTxtSet; text: string; psd: string | undefined }> = [];
  for (const [index, set] of sets.entries()) {
    const step: WalkStep = { name: set.name, outcome: set.response.outcome, dmarcRecords: set.records.length };
    steps.push(step);
    if (isLookupFailure(set.response.outcome)) return { kind: 'failed', response: set.response, steps };
    if (set.records.length !== 1) continue;
    const text = set.records[0] ?? '';
    const psd = parseDmarc(text).values.psd;
    if (psd) step.psd = psd;
    collected.push({ index, set, text, psd });
    if (psd === 'y' || psd === 'n') break;
  }
  const last = collected.at(-1);
  if (!last) return { kind: 'absent', steps };
  if (last.psd === 'y') {
    // §4.10.2: the organizational domain is one label below the public suffix domain
    const labels = domain.split('.');
    const psdLabels = last.set.domain.split('.').length;
    const organizationalDomain = labels.slice(labels.length - psdLabels - 1).join('.');
    const atOrg = collected.find((c) => c.set.domain === organizationalDomain);
    const chosen = atOrg ?? last;
    return { kind: 'found', at: chosen.set, text: chosen.text, organizationalDomain, viaPsd: !atOrg, steps };
  }
  return { kind: 'found', at: last.set, text: last.text, organizationalDomain: last.set.domain, viaPsd: false, steps };
}
