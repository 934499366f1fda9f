/**
 * The `_mta-sts.<domain>` TXT record (RFC 8461 §3.1).
 *
 *   sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]
 *   sts-field       = sts-id / sts-extension
 *   sts-field-delim = *WSP ";" *WSP
 *   sts-version     = %s"v=STSv1"
 *   sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
 *   sts-ext-name    = (ALPHA / DIGIT) 0*31(ALPHA / DIGIT / "_" / "-" / ".")
 *   sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
 *
 * Extension fields are allowed and ignored (§3.1: "unknown fields SHALL be ignored").
 */

import { trimWsp } from '../wsp.ts';

export const STS_VERSION = 'v=STSv1';

const ID = /^[A-Za-z0-9]{1,32}$/;
const EXT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const EXT_VALUE = /^[\x21-\x3a\x3c\x3e-\x7e]+$/;
const WSP_ONLY = /^[ \t]*$/;

export interface ParsedStsRecord {
  /** the record as published (character-strings joined) */
  record: string;
  /** the id, when one valid id= was found */
  id: string | null;
  /** extension fields, in order */
  extensions: Array<{ name: string; value: string }>;
  /** why the record is invalid; empty when valid */
  problems: string[];
}

/**
 * §3.1: TXT records that do not begin with "v=STSv1" are discarded. We also take
 * "v=STSv1" followed by white space before ";" (the ABNF's field delimiter) or
 * by nothing at all (then the record is invalid: it has no id).
 */
export function isStsRecord(txt: string): boolean {
  return txt.startsWith(STS_VERSION) && /^(?:[ \t]*;|[ \t]*$)/.test(txt.slice(STS_VERSION.length));
}

/** A record evidently meant as MTA-STS that senders discard (wrong case, leading space, version not first). */
export function isNearMissStsRecord(txt: string): boolean {
  return !isStsRecord(txt) && /(^|[\s;])v\s*=\s*sts/i.test(txt);
}

/** Parse one record that `isStsRecord` accepted (or a near miss, to explain it); never throws. */
export function parseStsRecord(record: string): ParsedStsRecord {
  const out: ParsedStsRecord = { record, id: null, extensions: [], problems: [] };
  if (!isStsRecord(record)) {
    if (/^\s/.test(record)) out.problems.push('the record starts with white space; it must start exactly with "v=STSv1"');
    else if (/^v\s*=\s*stsv1/i.test(record)) {
      out.problems.push(`the record starts "${record.slice(0, 9)}", but the version is case-sensitive and must be exactly "v=STSv1;"`);
    } else if (/(^|[\s;])v\s*=\s*stsv1/i.test(record)) {
      out.problems.push('"v=STSv1" must come first in the record');
    } else out.problems.push(`the record starts "${record.slice(0, 12)}", but the only version is "v=STSv1"`);
    return out;
  }
  const parts = record.slice(STS_VERSION.length).split(';');
  // parts[0] is the white space between the version and the first ";"
  parts.shift();
  // one trailing delimiter is allowed
  if (parts.length > 0 && WSP_ONLY.test(parts[parts.length - 1] ?? '')) parts.pop();
  const ids: string[] = [];
  for (const raw of parts) {
    const field = trimWsp(raw);
    if (field === '') {
      out.problems.push('the record has an empty field (two ";" in a row)');
      continue;
    }
    const eq = field.indexOf('=');
    if (eq < 0) {
      out.problems.push(`"${field}" is not a name=value field`);
      continue;
    }
    const name = field.slice(0, eq);
    const value = field.slice(eq + 1);
    if (name === 'id') {
      ids.push(value);
      if (!ID.test(value)) {
        out.problems.push(
          value === ''
            ? 'id= is empty; it must be 1 to 32 letters and digits'
            : `id=${value} is not 1 to 32 letters and digits${/[^A-Za-z0-9]/.test(value) ? ` (it contains "${value.replace(/[A-Za-z0-9]/g, '').slice(0, 5)}")` : ` (it is ${value.length} characters long)`}`,
        );
      }
      continue;
    }
    if (name.toLowerCase() === 'id') {
      out.problems.push(`"${name}=" is not "id=": field names are case-sensitive`);
    }
    if (!EXT_NAME.test(name) || !EXT_VALUE.test(value)) {
      out.problems.push(`"${field}" is not a valid field (name: letters, digits, "_", "-", "."; value: visible characters without "=" or ";")`);
      continue;
    }
    out.extensions.push({ name, value });
  }
  if (ids.length === 0) out.problems.push('the record has no id= field, which is required');
  if (ids.length > 1) out.problems.push(`the record has ${ids.length} id= fields; it must have exactly one`);
  const first = ids[0];
  if (ids.length === 1 && first !== undefined && ID.test(first)) out.id = first;
  return out;
}
