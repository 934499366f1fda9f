/** Suggested SPF records, computed from what the domain publishes. */
import type { SpfParseError, SpfRecord, SpfTerm } from './parse.ts';

/** The record with `remove` terms dropped and `replace` terms swapped (matched by identity). */
export function rewrite(record: SpfRecord, change: { remove?: readonly SpfTerm[]; replace?: ReadonlyMap<SpfTerm, string> }): string {
  const parts = ['v=spf1'];
  for (const t of record.terms) {
    if (change.remove?.includes(t)) continue;
    parts.push(change.replace?.get(t) ?? t.text);
  }
  return parts.join(' ');
}

/** Mechanisms first, the first `all` after every other mechanism, modifiers last. */
export function reorderAllLast(record: SpfRecord): string {
  const all = record.mechanisms.find((m) => m.kind === 'all');
  const others = record.mechanisms.filter((m) => m.kind !== 'all');
  const modifiers = record.terms.filter((t) => t.type === 'modifier');
  return ['v=spf1', ...others.map((t) => t.text), ...(all ? [all.text] : []), ...modifiers.map((t) => t.text)].join(' ');
}

/** Split a record into ≤255-byte character-strings at term boundaries, as a zone file writes them. */
export function splitForTxt(text: string, max = 255): string[] {
  const words = text.split(' ');
  const out: string[] = [];
  let current = '';
  for (const w of words) {
    const candidate = current ? `${current} ${w}` : w;
    if (Buffer.byteLength(candidate) <= max) {
      current = candidate;
      continue;
    }
    if (current) out.push(`${current} `);
    current = w;
    while (Buffer.byteLength(current) > max) {
      out.push(current.slice(0, max));
      current = current.slice(max);
    }
  }
  if (current) out.push(current);
  // a string ending in a space keeps the space so the joined record is unchanged (§3.3)
  return out;
}

export function zoneTxt(strings: readonly string[]): string {
  return strings.map((s) => `"${s.replace(/(["\\])/g, '\\$1')}"`).join(' ');
}

const MECHANISMS = ['all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists', 'redirect', 'exp'];

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/** A concrete correction for a parse error, where one can be guessed. */
export function fixForParseError(e: SpfParseError): string {
  const term = e.term.replace(/^[+\-~?]/, '');
  const name = (/^[A-Za-z][A-Za-z0-9]*/.exec(term)?.[0] ?? '').toLowerCase();
  const rest = term.slice(name.length);
  if (e.kind === 'unknown_mechanism') {
    if ((name === 'redirect' || name === 'exp') && rest.startsWith(':')) return `Write "${name}=${rest.slice(1)}" (a modifier takes "="), not "${e.term}".`;
    const guess = MECHANISMS.filter((m) => m.length > 1 && editDistance(name, m) <= 2).sort((x, y) => editDistance(name, x) - editDistance(name, y))[0];
    if (guess) return `Did you mean "${e.term.replace(new RegExp(`^([+\\-~?]?)${name}`, 'i'), `$1${guess}`)}"? Valid mechanisms are all, include, a, mx, ptr, ip4, ip6 and exists; otherwise remove "${e.term}".`;
    return `Remove "${e.term}" or replace it with a valid mechanism (all, include, a, mx, ip4, ip6, exists).`;
  }
  if (e.kind === 'invalid_ip_or_cidr') {
    return `Correct "${e.term}": ip4: takes a dotted quad with an optional /0-32 prefix (ip4:192.0.2.0/24), ip6: an IPv6 address with an optional /0-128 prefix (ip6:2001:db8::/32); a and mx take /prefix4 and //prefix6.`;
  }
  return `Correct "${e.term}" (${e.reason}); terms are separated by single spaces and use visible ASCII only.`;
}
