/** Pasteable DMARC records computed from what a domain publishes today. */
import type { DmarcRecord, PolicyValue } from './parse.ts';

/** Tag order of a record we suggest: v and p first (RFC 7489 §6.3), the rest as RFC 7489 §6.4 lists them. */
const ORDER = ['p', 'sp', 'np', 'adkim', 'aspf', 'pct', 'fo', 'rf', 'ri', 'rua', 'ruf', 'psd', 't'] as const;
type OrderedTag = (typeof ORDER)[number];

/** Tag overrides: a string sets the value, null removes the tag. */
export type RecordChanges = Partial<Record<OrderedTag, string | null>>;

export function defaultRuaFor(domain: string): string {
  return `mailto:dmarc-reports@${domain}`;
}

/**
 * The record with only its valid tags (first of duplicates, no unknown or invalid
 * values, no invalid URIs), with `changes` applied, and a p tag always present.
 */
export function correctedRecordText(record: DmarcRecord, changes: RecordChanges = {}): string {
  const current: Partial<Record<OrderedTag, string>> = {};
  const v = record.values;
  if (v.p) current.p = v.p;
  if (v.sp) current.sp = v.sp;
  if (v.np) current.np = v.np;
  if (v.adkim) current.adkim = v.adkim;
  if (v.aspf) current.aspf = v.aspf;
  if (v.pct !== undefined) current.pct = String(v.pct);
  if (v.fo) current.fo = v.fo.join(':');
  if (v.rf) current.rf = v.rf.join(':');
  if (v.ri !== undefined) current.ri = String(v.ri);
  if (record.rua.length) current.rua = record.rua.map((u) => u.raw).join(',');
  if (record.ruf.length) current.ruf = record.ruf.map((u) => u.raw).join(',');
  if (v.psd) current.psd = v.psd;
  if (v.t) current.t = v.t;
  for (const [tag, value] of Object.entries(changes) as Array<[OrderedTag, string | null | undefined]>) {
    if (value === undefined) continue;
    if (value === null) delete current[tag];
    else current[tag] = value;
  }
  if (!current.p) current.p = 'none';
  const parts = ['v=DMARC1'];
  for (const tag of ORDER) {
    const value = current[tag];
    if (value !== undefined) parts.push(`${tag}=${value}`);
  }
  return parts.join('; ');
}

/** A zone-file style line for `_dmarc.<domain>`. */
export function txtLine(domain: string, text: string): string {
  return `_dmarc.${domain} TXT "${text}"`;
}

export function correctedRecordLine(domain: string, record: DmarcRecord, changes: RecordChanges = {}): string {
  return txtLine(domain, correctedRecordText(record, changes));
}

/** The staged path for a domain without DMARC: monitor, then quarantine, then reject. */
export function stagedPath(domain: string): string {
  const rua = defaultRuaFor(domain);
  const step = (p: PolicyValue): string => txtLine(domain, `v=DMARC1; p=${p}; rua=${rua}`);
  return (
    `Publish ${step('none')} (create the mailbox dmarc-reports@${domain}, or use your report provider's address). ` +
    `Once the aggregate reports show all your legitimate mail passing SPF or DKIM aligned, change it to ${step('quarantine')}, ` +
    `and finally to ${step('reject')}.`
  );
}

/** The next step up from a policy. */
export function strongerPolicy(policy: PolicyValue): PolicyValue {
  return policy === 'none' ? 'quarantine' : 'reject';
}
