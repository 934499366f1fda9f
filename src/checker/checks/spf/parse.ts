/**
 * SPF record parser (RFC 7208 §4.6, ABNF §12).
 *
 * The whole record is checked before anything is evaluated (§4.6: syntax errors anywhere in the
 * record are a permerror), so the parser keeps going after an error and reports every bad term.
 */
import net from 'node:net';
import { parseMacroString, type MacroToken } from './macro.ts';

export type Qualifier = '+' | '-' | '~' | '?';
export type MechanismKind = 'all' | 'include' | 'a' | 'mx' | 'ptr' | 'ip4' | 'ip6' | 'exists';

/** Mechanisms and modifiers that cost a DNS query (§4.6.4). `exp` is not one of them. */
export const LOOKUP_MECHANISMS: ReadonlySet<MechanismKind> = new Set(['include', 'a', 'mx', 'ptr', 'exists']);

interface TermBase {
  /** the term as written */
  text: string;
  /** character offset of the term in the record */
  position: number;
}

/** A domain-spec (§7.1): the text and its macro tokens. */
export interface DomainSpec {
  text: string;
  tokens: MacroToken[];
}

export interface MechanismBase extends TermBase {
  type: 'mechanism';
  qualifier: Qualifier;
  /** the qualifier was written out (otherwise "+" by default, §4.6.2) */
  explicitQualifier: boolean;
}

export interface AllMechanism extends MechanismBase { kind: 'all' }
export interface IncludeMechanism extends MechanismBase { kind: 'include'; domainSpec: DomainSpec }
export interface ExistsMechanism extends MechanismBase { kind: 'exists'; domainSpec: DomainSpec }
export interface AddressMechanism extends MechanismBase {
  kind: 'a' | 'mx';
  /** null: the current <domain> */
  domainSpec: DomainSpec | null;
  cidr4: number;
  cidr6: number;
}
export interface PtrMechanism extends MechanismBase { kind: 'ptr'; domainSpec: DomainSpec | null }
export interface IpMechanism extends MechanismBase {
  kind: 'ip4' | 'ip6';
  network: string;
  prefix: number;
}

export type SpfMechanism = AllMechanism | IncludeMechanism | ExistsMechanism | AddressMechanism | PtrMechanism | IpMechanism;

export interface SpfModifier extends TermBase {
  type: 'modifier';
  /** lower case */
  name: string;
  value: string;
  /** redirect and exp: the parsed domain-spec */
  domainSpec?: DomainSpec;
}

export type SpfTerm = SpfMechanism | SpfModifier;

export type SpfErrorKind = 'syntax' | 'unknown_mechanism' | 'invalid_ip_or_cidr';

export interface SpfParseError {
  kind: SpfErrorKind;
  /** character offset in the record */
  position: number;
  /** the term (or record prefix) in error */
  term: string;
  reason: string;
}

export interface SpfRecord {
  text: string;
  /** the valid terms, in order */
  terms: SpfTerm[];
  mechanisms: SpfMechanism[];
  redirect: SpfModifier | null;
  exp: SpfModifier | null;
  errors: SpfParseError[];
}

const QUALIFIERS = '+-~?';
const MECHANISM_NAMES: ReadonlySet<string> = new Set(['all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists']);

/** §4.5: "v=spf1" (any case) followed by a space or the end of the record. */
export function isSpfVersion(text: string): boolean {
  return /^v=spf1( |$)/i.test(text);
}

// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ):
// LDH characters, alphanumeric at both ends, and a letter or a hyphen somewhere. Tested without a
// backtracking regular expression, which took quadratic time on a long last label.
function isTopLabel(label: string): boolean {
  return /^[A-Za-z0-9-]+$/.test(label) && !label.startsWith('-') && !label.endsWith('-') && /[A-Za-z-]/.test(label);
}

/** domain-end's literal form: "." toplabel [ "." ] at the end of the text. */
function hasDomainEnd(text: string): boolean {
  const body = text.endsWith('.') ? text.slice(0, -1) : text;
  const dot = body.lastIndexOf('.');
  return dot >= 0 && isTopLabel(body.slice(dot + 1));
}

type Parsed<T> = { ok: true; value: T } | { ok: false; error: Omit<SpfParseError, 'term'> };

/**
 * domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand (§7.1).
 * `offset` is the position of `text` in the record.
 */
export function parseDomainSpec(text: string, offset: number): Parsed<DomainSpec> {
  if (text === '') return { ok: false, error: { kind: 'syntax', position: offset, reason: 'the domain is empty' } };
  const parsed = parseMacroString(text, 'domain');
  if (!parsed.ok) return { ok: false, error: { kind: 'syntax', position: offset + parsed.position, reason: parsed.reason } };
  const last = parsed.tokens[parsed.tokens.length - 1];
  const endsInMacro = last !== undefined && (last.type === 'macro' || last.escape);
  if (!endsInMacro) {
    const tail = last && last.type === 'literal' ? last.text : '';
    if (!hasDomainEnd(tail)) {
      return {
        ok: false,
        error: {
          kind: 'syntax',
          position: offset,
          reason: `"${text}" is not a valid domain: it must end in a dot and a top-level label with a letter (like ".com"), or in a macro`,
        },
      };
    }
  }
  return { ok: true, value: { text, tokens: parsed.tokens } };
}

// ip4-network = qnum "." qnum "." qnum "." qnum, without leading zeros (§12)
const QNUM = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IP4_NETWORK = new RegExp(`^${QNUM}\\.${QNUM}\\.${QNUM}\\.${QNUM}$`);

export function isIp4Network(text: string): boolean {
  return IP4_NETWORK.test(text);
}

export function isIp6Network(text: string): boolean {
  return net.isIPv6(text) && !text.includes('%');
}

/** ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT), 0-32; ip6: up to 3 digits, 0-128 (§12, §5.6). */
function parsePrefix(digits: string, family: 4 | 6): number | null {
  const max = family === 4 ? 32 : 128;
  if (!/^(0|[1-9][0-9]*)$/.test(digits)) return null;
  const n = Number(digits);
  return n <= max ? n : null;
}

function parseMechanism(text: string, position: number): Parsed<SpfMechanism> {
  let rest = text;
  let qualifier: Qualifier = '+';
  let explicitQualifier = false;
  if (rest && QUALIFIERS.includes(rest[0]!)) {
    qualifier = rest[0] as Qualifier;
    explicitQualifier = true;
    rest = rest.slice(1);
  }
  const at = position + (explicitQualifier ? 1 : 0);
  const nameMatch = /^[A-Za-z][A-Za-z0-9]*/.exec(rest);
  if (!nameMatch) {
    const ch = rest[0];
    const reason = ch === undefined
      ? 'a qualifier with no mechanism after it'
      : /[\x21-\x7e]/.test(ch)
        ? `a term cannot start with "${ch}"`
        : `character U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')} is not allowed (SPF records are visible ASCII separated by single spaces)`;
    return { ok: false, error: { kind: 'syntax', position: at, reason } };
  }
  const name = nameMatch[0].toLowerCase();
  const args = rest.slice(nameMatch[0].length);
  const argAt = at + nameMatch[0].length;
  if (!MECHANISM_NAMES.has(name)) {
    const head = rest.split(/[:/=]/)[0] ?? rest;
    const hint = name === 'redirect' || name === 'exp' ? ` (${name} is a modifier: write ${name}=domain)` : '';
    return { ok: false, error: { kind: 'unknown_mechanism', position: at, reason: `unknown mechanism "${head}"${hint}` } };
  }
  const base = { type: 'mechanism' as const, qualifier, explicitQualifier, text, position };
  const bad = (reason: string, kind: SpfErrorKind = 'syntax', pos = argAt): Parsed<SpfMechanism> => ({ ok: false, error: { kind, position: pos, reason } });

  switch (name) {
    case 'all':
      // all = "all" (§5.1): nothing may follow
      if (args) return bad(`"all" takes no argument, but "${args}" follows it`);
      return { ok: true, value: { ...base, kind: 'all' } };

    case 'include':
    case 'exists': {
      // include = "include" ":" domain-spec (§5.2); exists = "exists" ":" domain-spec (§5.7)
      if (!args.startsWith(':')) return bad(`"${name}" needs ":domain"`);
      const spec = parseDomainSpec(args.slice(1), argAt + 1);
      if (!spec.ok) return { ok: false, error: spec.error };
      return { ok: true, value: { ...base, kind: name, domainSpec: spec.value } };
    }

    case 'ptr': {
      // ptr = "ptr" [ ":" domain-spec ] (§5.5)
      if (!args) return { ok: true, value: { ...base, kind: 'ptr', domainSpec: null } };
      if (!args.startsWith(':')) return bad(`"ptr" takes only ":domain", not "${args}"`);
      const spec = parseDomainSpec(args.slice(1), argAt + 1);
      if (!spec.ok) return { ok: false, error: spec.error };
      return { ok: true, value: { ...base, kind: 'ptr', domainSpec: spec.value } };
    }

    case 'a':
    case 'mx': {
      // a = "a" [ ":" domain-spec ] [ dual-cidr-length ] (§5.3, §5.4)
      // dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]
      const m = /^(.*?)(?:\/([0-9]+))?(?:\/\/([0-9]+))?$/s.exec(args)!;
      const domainPart = m[1] ?? '';
      let cidr4 = 32;
      let cidr6 = 128;
      const cidrAt = argAt + domainPart.length;
      if (m[2] !== undefined) {
        const p = parsePrefix(m[2], 4);
        if (p === null) return bad(`"/${m[2]}" is not a valid IPv4 prefix length (0-32, no leading zeros)`, 'invalid_ip_or_cidr', cidrAt);
        cidr4 = p;
      }
      if (m[3] !== undefined) {
        const p = parsePrefix(m[3], 6);
        if (p === null) return bad(`"//${m[3]}" is not a valid IPv6 prefix length (0-128, no leading zeros)`, 'invalid_ip_or_cidr', cidrAt);
        cidr6 = p;
      }
      let domainSpec: DomainSpec | null = null;
      if (domainPart) {
        if (!domainPart.startsWith(':')) return bad(`unexpected "${domainPart}" after "${name}" (expected ":domain", "/prefix" or "//prefix6")`);
        const spec = parseDomainSpec(domainPart.slice(1), argAt + 1);
        if (!spec.ok) return { ok: false, error: spec.error };
        domainSpec = spec.value;
      }
      return { ok: true, value: { ...base, kind: name, domainSpec, cidr4, cidr6 } };
    }

    case 'ip4':
    case 'ip6': {
      // ip4 = "ip4" ":" ip4-network [ ip4-cidr-length ] (§5.6)
      if (!args.startsWith(':')) return bad(`"${name}" needs ":address"`, 'invalid_ip_or_cidr');
      const value = args.slice(1);
      const m = /^(.*?)(?:\/([0-9]+))?$/s.exec(value)!;
      const network = m[1] ?? '';
      const family = name === 'ip4' ? 4 : 6;
      const valid = family === 4 ? isIp4Network(network) : isIp6Network(network);
      if (!valid) {
        const other = family === 4 ? isIp6Network(network) : isIp4Network(network);
        const hint = other ? ` (that is an IPv${family === 4 ? 6 : 4} address: use ip${family === 4 ? 6 : 4}:)` : '';
        return bad(`"${network}" is not a valid IPv${family} address${hint}`, 'invalid_ip_or_cidr', argAt + 1);
      }
      let prefix = family === 4 ? 32 : 128;
      if (m[2] !== undefined) {
        const p = parsePrefix(m[2], family);
        if (p === null) return bad(`"/${m[2]}" is not a valid IPv${family} prefix length (0-${family === 4 ? 32 : 128}, no leading zeros)`, 'invalid_ip_or_cidr', argAt + 1 + network.length);
        prefix = p;
      }
      return { ok: true, value: { ...base, kind: name, network, prefix } };
    }
  }
  return bad(`unknown mechanism "${name}"`, 'unknown_mechanism', at);
}

// modifier: name "=" ...; name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) (§4.6.1, §12)
const MODIFIER = /^([A-Za-z][A-Za-z0-9\-_.]*)=(.*)$/s;

function parseModifier(text: string, position: number, m: RegExpExecArray): Parsed<SpfModifier> {
  const rawName = m[1] ?? '';
  const value = m[2] ?? '';
  const name = rawName.toLowerCase();
  const valueAt = position + rawName.length + 1;
  const base = { type: 'modifier' as const, name, value, text, position };
  if (name === 'redirect' || name === 'exp') {
    // redirect = "redirect" "=" domain-spec (§6.1); explanation = "exp" "=" domain-spec (§6.2)
    const spec = parseDomainSpec(value, valueAt);
    if (!spec.ok) return { ok: false, error: spec.error };
    return { ok: true, value: { ...base, domainSpec: spec.value } };
  }
  // unknown-modifier = name "=" macro-string: ignored, but its macros must be valid (§6, §12)
  const parsed = parseMacroString(value, 'modifier');
  if (!parsed.ok) return { ok: false, error: { kind: 'syntax', position: valueAt + parsed.position, reason: parsed.reason } };
  return { ok: true, value: base };
}

/** Parse a complete SPF record (the TXT strings already joined, §3.3). */
export function parseSpf(text: string): SpfRecord {
  const record: SpfRecord = { text, terms: [], mechanisms: [], redirect: null, exp: null, errors: [] };
  if (!isSpfVersion(text)) {
    record.errors.push({ kind: 'syntax', position: 0, term: text.slice(0, 7), reason: 'the record must start with "v=spf1" followed by a space or the end' });
    return record;
  }
  // terms = *( 1*SP ( directive / modifier ) ); record = version terms *SP (§12): split on SP only
  const body = /[^ ]+/g;
  body.lastIndex = 6;
  for (let m = body.exec(text); m; m = body.exec(text)) {
    const term = m[0];
    const position = m.index;
    const mod = MODIFIER.exec(term);
    const parsed: Parsed<SpfTerm> = mod ? parseModifier(term, position, mod) : parseMechanism(term, position);
    if (!parsed.ok) {
      record.errors.push({ ...parsed.error, term });
      continue;
    }
    const t = parsed.value;
    if (t.type === 'modifier' && (t.name === 'redirect' || t.name === 'exp')) {
      // §6: redirect and exp MUST NOT appear more than once each
      if (record[t.name]) {
        record.errors.push({ kind: 'syntax', position, term, reason: `"${t.name}=" appears more than once` });
        continue;
      }
      record[t.name] = t;
    }
    record.terms.push(t);
    if (t.type === 'mechanism') record.mechanisms.push(t);
  }
  return record;
}

/** A readable rendering of a parse error: `position 14: unknown mechanism "moo"`. */
export function describeParseError(e: SpfParseError): string {
  return `at character ${e.position + 1} ("${e.term}"): ${e.reason}`;
}
