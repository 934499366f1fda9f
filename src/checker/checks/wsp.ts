/**
 * White space as the TXT-record grammars of RFC 8461 §3.1 and RFC 8460 §3 define it:
 * `*WSP` = spaces and tabs only.
 */

/** Remove leading and trailing *WSP (a loop: /[ \t]+$/ is quadratic on long runs of blanks). */
export function trimWsp(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && (s[start] === ' ' || s[start] === '\t')) start++;
  while (end > start && (s[end - 1] === ' ' || s[end - 1] === '\t')) end--;
  return s.slice(start, end);
}
