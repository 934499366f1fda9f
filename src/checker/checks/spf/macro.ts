/**
 * SPF macros (RFC 7208 §7): parsing a macro-string and expanding it.
 *
 *   macro-string = *( macro-expand / macro-literal )
 *   macro-expand = ( "%{" macro-letter transformers *delimiter "}" ) / "%%" / "%_" / "%-"
 *   macro-literal = %x21-24 / %x26-7E          ; visible characters except "%"
 *   explain-string = *( macro-string / SP )
 */
import ipaddr from 'ipaddr.js';

/** Where the string appears: that decides which letters and characters are allowed. */
export type MacroContext = 'domain' | 'explain' | 'modifier';

export type MacroLetter = 's' | 'l' | 'o' | 'd' | 'i' | 'p' | 'h' | 'c' | 'r' | 't' | 'v';

export interface MacroLiteral {
  type: 'literal';
  text: string;
  /** came from "%%", "%_" or "%-" (a macro-expand in the ABNF) */
  escape: boolean;
}

export interface MacroExpand {
  type: 'macro';
  /** lower case */
  letter: MacroLetter;
  /** upper-case letter in the source: URL-escape the value (§7.3) */
  urlEscape: boolean;
  /** number of right-hand parts to keep; null = all */
  digits: number | null;
  reverse: boolean;
  /** delimiters to split on; "." when none given */
  delimiters: string;
  /** the source text, e.g. "%{l2r-}" */
  text: string;
}

export type MacroToken = MacroLiteral | MacroExpand;

export type MacroParse =
  | { ok: true; tokens: MacroToken[] }
  | { ok: false; position: number; reason: string };

// §7.1: c, r and t are allowed only in explanation text (exp= TXT).
const DOMAIN_LETTERS = 'slodiphv';
const ALL_LETTERS = 'slodiphcrtv';
const DELIMITERS = '.-+,/_=';

function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x21 || code > 0x7e) return `character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `"${ch}"`;
}

/** Parse a macro-string (§7.1). `position` in errors is relative to `input`. */
export function parseMacroString(input: string, context: MacroContext): MacroParse {
  const tokens: MacroToken[] = [];
  const letters = context === 'domain' ? DOMAIN_LETTERS : ALL_LETTERS;
  let literal = '';
  const flush = (): void => {
    if (literal) tokens.push({ type: 'literal', text: literal, escape: false });
    literal = '';
  };
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch !== '%') {
      const code = ch.charCodeAt(0);
      const allowed = (code >= 0x21 && code <= 0x7e) || (context === 'explain' && code === 0x20);
      if (!allowed) return { ok: false, position: i, reason: `${describeChar(ch)} is not allowed here (only visible ASCII)` };
      literal += ch;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === '%' || next === '_' || next === '-') {
      flush();
      tokens.push({ type: 'literal', text: next === '%' ? '%' : next === '_' ? ' ' : '%20', escape: true });
      i += 2;
      continue;
    }
    if (next !== '{') {
      return {
        ok: false,
        position: i,
        reason: next === undefined
          ? 'a lone "%" at the end (write "%%" for a percent sign)'
          : `"%" must be followed by "{", "%", "_" or "-", not ${describeChar(next)} (write "%%" for a percent sign)`,
      };
    }
    const close = input.indexOf('}', i + 2);
    if (close < 0) return { ok: false, position: i, reason: 'macro "%{" is not closed with "}"' };
    const body = input.slice(i + 2, close);
    const m = /^([A-Za-z])([0-9]*)([rR]?)([.\-+,/_=]*)$/.exec(body);
    if (!m) return { ok: false, position: i, reason: `invalid macro "%{${body}}": expected a letter, optional digits, optional "r", then delimiters from "${DELIMITERS}"` };
    const [, rawLetter = '', digitText = '', rev = '', delims = ''] = m;
    const letter = rawLetter.toLowerCase();
    if (!letters.includes(letter)) {
      const why = ALL_LETTERS.includes(letter) ? ' (c, r and t are allowed only in explanation text)' : '';
      return { ok: false, position: i, reason: `unknown macro letter "${rawLetter}" in "%{${body}}"${why}` };
    }
    let digits: number | null = null;
    if (digitText) {
      digits = Number.parseInt(digitText, 10);
      // §7.3: "If a DIGIT is specified, the value MUST be nonzero."
      if (digits === 0) return { ok: false, position: i, reason: `macro "%{${body}}" keeps zero parts; the number must be nonzero` };
    }
    flush();
    tokens.push({
      type: 'macro',
      letter: letter as MacroLetter,
      urlEscape: rawLetter !== letter,
      digits,
      reverse: rev !== '',
      delimiters: delims || '.',
      text: `%{${body}}`,
    });
    i = close + 1;
  }
  flush();
  return { ok: true, tokens };
}

export function hasMacros(tokens: readonly MacroToken[]): boolean {
  return tokens.some((t) => t.type === 'macro');
}

/** Macro letters used, lower case. */
export function macroLetters(tokens: readonly MacroToken[]): MacroLetter[] {
  return tokens.flatMap((t) => (t.type === 'macro' ? [t.letter] : []));
}

/** The values macros expand to (§7.3). */
export interface MacroValues {
  /** <sender>: local-part@domain */
  sender: string;
  localPart: string;
  senderDomain: string;
  /** <domain>: the domain whose record is being evaluated */
  domain: string;
  /** the client address (IPv4-mapped IPv6 already turned into IPv4) */
  ip: ipaddr.IPv4 | ipaddr.IPv6;
  helo: string;
  /** %{r}: the host performing the check */
  receiver?: string;
  /** %{t} */
  now?: Date;
  /** %{p}: the validated domain name of <ip>, looked up only when used */
  validatedDomain?: () => Promise<string>;
}

/** %{i}: dotted quad, or 32 dot-separated nibbles for IPv6 (§7.3). */
export function dottedIp(ip: ipaddr.IPv4 | ipaddr.IPv6): string {
  if (ip.kind() === 'ipv4') return ip.toString();
  return nibbles(ip as ipaddr.IPv6).join('.');
}

export function nibbles(ip: ipaddr.IPv6): string[] {
  return ip.toByteArray().flatMap((b) => [(b >> 4).toString(16).toUpperCase(), (b & 15).toString(16).toUpperCase()]);
}

/** unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 3986 §2.3); everything else %XX (§7.3). */
export function urlEscape(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

async function letterValue(letter: MacroLetter, v: MacroValues): Promise<string> {
  switch (letter) {
    case 's': return v.sender;
    case 'l': return v.localPart;
    case 'o': return v.senderDomain;
    case 'd': return v.domain;
    case 'i': return dottedIp(v.ip);
    case 'p': return v.validatedDomain ? v.validatedDomain() : 'unknown';
    case 'v': return v.ip.kind() === 'ipv4' ? 'in-addr' : 'ip6';
    case 'h': return v.helo;
    case 'c': return v.ip.kind() === 'ipv4' ? v.ip.toString() : (v.ip as ipaddr.IPv6).toRFC5952String();
    case 'r': return v.receiver ?? 'unknown';
    case 't': return String(Math.floor((v.now ?? new Date()).getTime() / 1000));
  }
}

/** Apply transformers (§7.3): split on delimiters, reverse, keep the right-most N, join with ".". */
export function transform(value: string, m: Pick<MacroExpand, 'digits' | 'reverse' | 'delimiters'>): string {
  const hasTransform = m.digits !== null || m.reverse || m.delimiters !== '.';
  if (!hasTransform) return value;
  let parts = value.split(new RegExp(`[${m.delimiters.replace(/[-\\\]^]/g, '\\$&')}]`));
  if (m.reverse) parts = parts.reverse();
  if (m.digits !== null && m.digits < parts.length) parts = parts.slice(parts.length - m.digits);
  return parts.join('.');
}

export async function expandMacros(tokens: readonly MacroToken[], values: MacroValues): Promise<string> {
  let out = '';
  for (const t of tokens) {
    if (t.type === 'literal') {
      out += t.text;
      continue;
    }
    const value = transform(await letterValue(t.letter, values), t);
    out += t.urlEscape ? urlEscape(value) : value;
  }
  return out;
}
