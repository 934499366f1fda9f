/**
 * MX host matching (RFC 8461 §4.1): "MX patterns are either fully specified
 * names or wildcard names with '*.' as the left-most label, which matches
 * exactly one label" — `*.example.com` matches `mail.example.com`, but neither
 * `example.com` nor `a.b.example.com`. Comparison is case-insensitive and
 * anchored at both ends (no substring matches); trailing dots are ignored.
 */

function normal(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** Does `host` match `pattern`? */
export function mxMatches(pattern: string, host: string): boolean {
  const p = normal(pattern);
  const h = normal(host);
  if (p.startsWith('*.')) {
    const suffix = p.slice(1); // ".example.com"
    if (!h.endsWith(suffix)) return false;
    const label = h.slice(0, h.length - suffix.length);
    return label.length > 0 && !label.includes('.');
  }
  return p === h;
}

/** The first pattern that covers `host`, or null. */
export function coveringPattern(patterns: readonly string[], host: string): string | null {
  return patterns.find((p) => mxMatches(p, host)) ?? null;
}
