/**
 * The MTA-STS policy file (RFC 8461 §3.2).
 *
 *   sts-policy-record      = sts-policy-field *WSP *(sts-policy-term sts-policy-field *WSP) [sts-policy-term]
 *   sts-policy-term        = LF / CRLF
 *   sts-policy-field-delim = ":" *WSP
 *   sts-policy-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   sts-policy-mx-value    = ["*."] Domain            ; Domain per RFC 5321 §4.1.2
 *   sts-policy-max-age-value = 1*10(DIGIT)            ; at most 31557600
 *
 * Field names and the version/mode values are case-sensitive (%s). Unknown
 * fields are extensions and are ignored (§3.2). "If any non-repeated field
 * -- i.e., all fields excluding "mx" -- is duplicated, all entries except for
 * the first SHALL be ignored" (§3.2): a duplicate is not fatal, but we report it
 * because the owner likely expects a later value to apply.
 */

export type StsMode = 'enforce' | 'testing' | 'none';

export const MAX_AGE_LIMIT = 31_557_600; // §3.2
export const ONE_WEEK = 604_800;

const EXT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
// RFC 5321 §4.1.2: sub-domain = Let-dig [Ldh-str]; a trailing dot is tolerated (we compare without it)
const DOMAIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

export interface ParsedPolicy {
  /** the first value of each field, as senders use it; null when absent or unusable */
  version: string | null;
  mode: StsMode | null;
  maxAge: number | null;
  /** valid mx patterns, as written */
  mx: string[];
  /** extension fields, in order */
  extensions: Array<{ name: string; value: string }>;
  lineEnding: 'lf' | 'crlf' | 'mixed' | 'none';
  /** problems that make senders discard the policy */
  errors: string[];
  /** problems senders survive (duplicated fields: the first wins) */
  warnings: string[];
}

/** The value with the ABNF's trailing *WSP removed (a loop: /[ \t]+$/ is quadratic on long runs of blanks). */
function trimTrailing(value: string): string {
  let end = value.length;
  while (end > 0 && (value[end - 1] === ' ' || value[end - 1] === '\t')) end--;
  return value.slice(0, end);
}

function lineEndingOf(text: string): ParsedPolicy['lineEnding'] {
  const crlf = /\r\n/.test(text);
  const lf = /\n/.test(text.replace(/\r\n/g, ''));
  if (crlf && lf) return 'mixed';
  if (crlf) return 'crlf';
  if (lf) return 'lf';
  return 'none';
}

/** Whether an mx pattern is syntactically valid (§3.2: `["*."] Domain`). */
export function isValidMxPattern(pattern: string): boolean {
  const domain = pattern.startsWith('*.') ? pattern.slice(2) : pattern;
  if (domain.length === 0 || domain.length > 253 || !DOMAIN.test(domain)) return false;
  return domain.replace(/\.$/, '').split('.').every((l) => l.length <= 63);
}

/** Parse a policy body; never throws. */
export function parsePolicy(body: string): ParsedPolicy {
  const out: ParsedPolicy = {
    version: null, mode: null, maxAge: null, mx: [], extensions: [],
    lineEnding: lineEndingOf(body), errors: [], warnings: [],
  };
  if (body.trim() === '') {
    out.errors.push('the policy file is empty');
    return out;
  }
  const seen = new Map<string, number>();
  const caseVariants = new Map<string, string>();
  // LF or CRLF (§3.2 sts-policy-term); a lone CR is not a line break
  const lines = body.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop(); // the optional final terminator
  lines.forEach((raw, index) => {
    const n = index + 1;
    // blank lines are outside the ABNF, but every sender we know skips them; so do we
    if (/^[ \t]*$/.test(raw)) return;
    if (index === 0 && raw.startsWith('\uFEFF')) {
      out.errors.push('the file starts with a byte-order mark (U+FEFF), so its first key is not "version"; save it as UTF-8 without BOM');
    }
    const line = index === 0 ? raw.replace(/^\uFEFF/, '') : raw;
    if (CONTROL.test(line.replace(/\t/g, ''))) {
      out.errors.push(`line ${n} contains control characters`);
      return;
    }
    const colon = line.indexOf(':');
    if (colon < 0) {
      out.errors.push(`line ${n} ("${clip(line)}") is not a "key: value" line`);
      return;
    }
    const key = line.slice(0, colon);
    const value = trimTrailing(line.slice(colon + 1).replace(/^[ \t]+/, ''));
    if (!EXT_NAME.test(key)) {
      out.errors.push(
        /^[ \t]/.test(key) || /[ \t]$/.test(key)
          ? `line ${n}: the key "${key}" has white space around it; write "${key.trim()}: ${value}"`
          : `line ${n}: "${clip(key)}" is not a valid key`,
      );
      return;
    }
    const count = (seen.get(key) ?? 0) + 1;
    seen.set(key, count);
    if (key !== 'mx' && count > 1 && ['version', 'mode', 'max_age'].includes(key)) {
      const first = key === 'version' ? out.version : key === 'mode' ? out.mode : out.maxAge;
      out.warnings.push(`"${key}" appears more than once; senders use the first value${first === null ? '' : ` (${first})`} and ignore line ${n} ("${clip(line)}")`);
      return;
    }
    switch (key) {
      case 'version':
        if (value === 'STSv1') out.version = value;
        else out.errors.push(`version is "${clip(value)}", but the only version is "STSv1" (case-sensitive)`);
        return;
      case 'mode':
        if (value === 'enforce' || value === 'testing' || value === 'none') out.mode = value;
        else {
          const lower = value.toLowerCase();
          out.errors.push(
            ['enforce', 'testing', 'none'].includes(lower)
              ? `mode is "${value}", but modes are case-sensitive: write "${lower}"`
              : `mode is "${clip(value)}", but it must be enforce, testing or none`,
          );
        }
        return;
      case 'max_age':
        if (!/^[0-9]{1,10}$/.test(value)) out.errors.push(`max_age is "${clip(value)}", but it must be a whole number of seconds (up to 31557600)`);
        else if (Number(value) > MAX_AGE_LIMIT) out.errors.push(`max_age is ${value}, above the maximum of 31557600 seconds (one year)`);
        else out.maxAge = Number(value);
        return;
      case 'mx':
        if (value === '') out.errors.push(`line ${n}: mx has no value`);
        else if (isValidMxPattern(value)) out.mx.push(value);
        else {
          out.errors.push(
            /\*/.test(value) && !/^\*\.[^*]+$/.test(value)
              ? `mx pattern "${clip(value)}" is invalid: a wildcard may only be a whole left-most label ("*.example.com")`
              : `mx pattern "${clip(value)}" is not a host name`,
          );
        }
        return;
      default: {
        // "Mode" is a legal extension name (§3.2), ignored by senders: remembered to explain a missing "mode"
        if (['version', 'mode', 'max_age', 'mx'].includes(key.toLowerCase())) caseVariants.set(key.toLowerCase(), key);
        if (value === '') out.errors.push(`line ${n}: the field "${key}" has no value`);
        else out.extensions.push({ name: key, value });
      }
    }
  });
  const hint = (key: string): string => {
    const variant = caseVariants.get(key);
    return variant ? ` (there is a "${variant}:" line, but keys are case-sensitive, so senders ignore it)` : '';
  };
  if (!seen.has('version')) out.errors.push(`the required "version: STSv1" line is missing${hint('version')}`);
  if (!seen.has('mode')) out.errors.push(`the required "mode" line is missing (enforce, testing or none)${hint('mode')}`);
  if (!seen.has('max_age')) out.errors.push(`the required "max_age" line is missing${hint('max_age')}`);
  // §3.2: mx is "required at least once, except when mode is 'none'"
  if (out.mode !== 'none' && !seen.has('mx')) {
    out.errors.push(`there is no "mx:" line; mode ${out.mode ?? 'enforce/testing'} needs at least one MX pattern${hint('mx')}`);
  }
  return out;
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
