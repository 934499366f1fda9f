/** Finding a domain's SPF record (RFC 7208 §4.4, §4.5): TXT only, "v=spf1" then space or end. */
import type { DnsResponse, Resolver } from '../../dns/types.ts';
import { isLookupFailure } from '../../dns/types.ts';
import { isSpfVersion } from './parse.ts';

export interface SpfTxtRecord {
  /** the character-strings joined with nothing between them (§3.3) */
  text: string;
  /** the character-strings as published */
  strings: string[];
}

export type SpfLookup =
  | { kind: 'found'; record: SpfTxtRecord; response: DnsResponse<'TXT'> }
  /** no SPF record: `nxdomain` (the name does not exist), `nodata` (no TXT), `no_spf` (TXT, none of them SPF) */
  | { kind: 'none'; reason: 'nxdomain' | 'nodata' | 'no_spf'; response: DnsResponse<'TXT'> }
  | { kind: 'multiple'; records: SpfTxtRecord[]; response: DnsResponse<'TXT'> }
  /** the TXT lookup failed: nothing is known */
  | { kind: 'failed'; response: DnsResponse<'TXT'> };

/** Select the SPF record from a TXT answer (§4.5). */
export function selectSpfRecord(response: DnsResponse<'TXT'>): SpfLookup {
  if (isLookupFailure(response.outcome)) return { kind: 'failed', response };
  if (response.outcome === 'nxdomain') return { kind: 'none', reason: 'nxdomain', response };
  if (response.outcome === 'nodata' || response.answers.length === 0) return { kind: 'none', reason: 'nodata', response };
  const records = response.answers
    .map((a) => ({ text: a.data.join(''), strings: a.data }))
    .filter((r) => isSpfVersion(r.text));
  if (records.length === 0) return { kind: 'none', reason: 'no_spf', response };
  if (records.length > 1) return { kind: 'multiple', records, response };
  return { kind: 'found', record: records[0]!, response };
}

/**
 * Look up `domain`'s SPF record. Only TXT is queried: the SPF RR type is not used for
 * evaluation (§3.1, §4.4).
 */
export async function findSpfRecord(resolver: Resolver, domain: string, signal?: AbortSignal): Promise<SpfLookup> {
  const response = await resolver.query(domain, 'TXT', signal ? { signal } : {});
  return selectSpfRecord(response);
}
