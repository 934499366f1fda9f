/**
 * Does the domain's SPF authorise anyone to send? Needed for RFC 7505 §4.2: a domain
 * that publishes a null MX SHOULD NOT be used as a sending domain.
 * The rule itself is `spfAuthorisesSenders` in the SPF module.
 */

/** The SPF records among a name's TXT records (RFC 7208 §4.5: `v=spf1` then a space or the end). */
export function spfRecordsIn(txt: string[][]): string[] {
  return txt.map((strings) => strings.join('')).filter((r) => /^v=spf1(\s|$)/i.test(r));
}
