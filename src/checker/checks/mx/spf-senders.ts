/**
 * Does the domain's SPF authorise anyone to send? Needed for RFC 7505 §4.2: a domain
 * that publishes a null MX SHOULD NOT be used as a sending domain.
 *
 * TODO: use `spfAuthorisesSenders(record)` from `src/checker/checks/spf/index.ts`
 * once the SPF module exports it, so the rule lives in one place.
 */

/** The SPF records among a name's TXT records (RFC 7208 §4.5: `v=spf1` then a space or the end). */
export function spfRecordsIn(txt: string[][]): string[] {
  return txt.map((strings) => strings.join('')).filter((r) => /^v=spf1(\s|$)/i.test(r));
}

/**
 * True when the record can yield `pass` for some sender: a pass-qualified mechanism
 * before the first `all` (RFC 7208 §4.6.2, §5.1), `+all`, or a `redirect=` that
 * hands the decision to another domain (RFC 7208 §6.1). `v=spf1 -all` is false; so
 * are `~all` and `?all` alone, which never pass anyone.
 */
export function authorisesSenders(record: string): boolean {
  const terms = record.trim().split(/\s+/).slice(1);
  let redirect = false;
  for (const term of terms) {
    const modifier = /^([a-z][a-z0-9_.-]*)=/i.exec(term);
    if (modifier) {
      if (modifier[1]?.toLowerCase() === 'redirect') redirect = true;
      continue;
    }
    const qualifier = '+-~?'.includes(term[0] ?? '') ? term[0] : '+';
    const mechanism = term.replace(/^[+\-~?]/, '').split(/[:/]/)[0]?.toLowerCase();
    // terms after `all` are never evaluated, and `all` makes redirect ignored (RFC 7208 §5.1, §6.1)
    if (mechanism === 'all') return qualifier === '+';
    if (qualifier === '+') return true;
  }
  return redirect;
}
