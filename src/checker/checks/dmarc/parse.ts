/**
 * The DMARC record grammar: a tag-value list that starts with `v=DMARC1`
 * (RFC 7489 §6.3–6.4, DMARCbis §4.7). The parser never throws: it returns what it
 * could read plus a list of problems, each with the 0-based character position in
 * the record text where it starts, so a report can point at it.
 */

export type PolicyValue = 'none' | 'quarantine' | 'reject';
export type AlignmentMode = 'r' | 's';

export const POLICY_VALUES: readonly PolicyValue[] = ['none', 'quarantine', 'reject'];

/** Strength order of policies: none < quarantine < reject. */
export function policyRank(policy: PolicyValue): number {
  return POLICY_VALUES.indexOf(policy);
}

/** A syntactically valid report destination from `rua`/`ruf` (RFC 7489 §6.2). */
export interface ReportUri {
  tag: 'rua' | 'ruf';
  /** the entry as written, including any `!size` suffix */
  raw: string;
  /** the URI without the size suffix */
  uri: string;
  /** the mailbox, percent-decoded: `reports@example.net` */
  address: string;
  /** the mailbox's domain, lower case: where mail goes and whose org must authorise */
  domain: string;
  /** the `!size` limit as written (`10m`), RFC 7489 §6.2; DMARCbis drops it */
  maxSize?: string;
  position: number;
}

export type DmarcProblem =
  | { kind: 'syntax'; position: number; text: string; reason: string }
  | { kind: 'invalid_value'; tag: string; value: string; position: number; reason: string }
  | { kind: 'duplicate'; tag: string; value: string; position: number; firstPosition: number }
  | { kind: 'unknown_tag'; tag: string; value: string; position: number }
  | { kind: 'invalid_uri'; tag: 'rua' | 'ruf'; uri: string; position: number; reason: string };

export interface DmarcTag {
  /** lower-cased tag name */
  name: string;
  /** value as written, surrounding whitespace removed */
  value: string;
  /** position of the tag name in the record */
  position: number;
}

/** The values a record states explicitly; absent keys were not written (or were invalid). */
export interface DmarcTagValues {
  p?: PolicyValue;
  sp?: PolicyValue;
  np?: PolicyValue;
  adkim?: AlignmentMode;
  aspf?: AlignmentMode;
  pct?: number;
  fo?: string[];
  rf?: string[];
  ri?: number;
  psd?: 'y' | 'n' | 'u';
  t?: 'y' | 'n';
}

export interface DmarcRecord {
  /** the record text (TXT character-strings joined without separator) */
  text: string;
  /** true when the record starts with `v=DMARC1` (after leading whitespace) */
  versionOk: boolean;
  /** every tag as written, duplicates included, in order */
  tags: DmarcTag[];
  values: DmarcTagValues;
  /** valid report URIs of `rua` and `ruf` */
  rua: ReportUri[];
  ruf: ReportUri[];
  /** the tag was written (valid or not) */
  present: Set<string>;
  problems: DmarcProblem[];
}

/** RFC 7489 §6.3 tags plus the DMARCbis additions np, psd and t. */
export const KNOWN_TAGS = [
  'v', 'p', 'sp', 'np', 'adkim', 'aspf', 'pct', 'fo', 'rf', 'ri', 'rua', 'ruf', 'psd', 't',
] as const;
/** Tags DMARCbis removed (§4.7 / Appendix): still understood by RFC 7489 receivers. */
export const DEPRECATED_TAGS = ['pct', 'rf', 'ri'] as const;

const KNOWN = new Set<string>(KNOWN_TAGS);

/** DMARC discovery keeps only TXT records that start with a `v=DMARC1` tag (RFC 7489 §6.6.3 step 3). */
export function isDmarcRecord(text: string): boolean {
  // "v" is case-insensitive, the value DMARC1 is not (RFC 7489 §6.4: %x44 %x4d %x41 %x52 %x43 %x31)
  return /^[ \t]*[vV][ \t]*=[ \t]*DMARC1[ \t]*(;|$)/.test(text);
}

/** Looks like an attempt at a DMARC record (for "near miss" reports), even if receivers would discard it. */
export function looksLikeDmarc(text: string): boolean {
  return /\bv[ \t]*=[ \t]*dmarc/i.test(text);
}

/** A DNS host name in LDH form with at least two labels (RFC 1123 §2.1). */
export function isHostName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  if (labels.length < 2) return false;
  return labels.every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(l));
}

const WSP = /[ \t\r\n]/;

function trimSpan(text: string, start: number, end: number): [number, number] {
  let s = start;
  let e = end;
  while (s < e && WSP.test(text[s] ?? '')) s++;
  while (e > s && WSP.test(text[e - 1] ?? '')) e--;
  return [s, e];
}

/** Split `text[start, end)` on `sep`, returning trimmed pieces with their positions. */
function splitWithPositions(text: string, start: number, end: number, sep: string): Array<{ value: string; position: number }> {
  const out: Array<{ value: string; position: number }> = [];
  let from = start;
  for (let i = start; i <= end; i++) {
    if (i === end || text[i] === sep) {
      const [s, e] = trimSpan(text, from, i);
      out.push({ value: text.slice(s, e), position: s });
      from = i + 1;
    }
  }
  return out;
}

export function parseDmarc(text: string): DmarcRecord {
  const record: DmarcRecord = {
    text, versionOk: false, tags: [], values: {}, rua: [], ruf: [], present: new Set(), problems: [],
  };
  const problems = record.problems;
  const firstSeen = new Map<string, number>();

  if (text.length > 0 && WSP.test(text[0] ?? '')) {
    // RFC 7489 §6.6.3: records must *start* with v=; some receivers discard this one
    problems.push({ kind: 'syntax', position: 0, text: text.slice(0, 12), reason: 'the record starts with whitespace; it must start with "v=DMARC1"' });
  }

  const terms = splitWithPositions(text, 0, text.length, ';');
  terms.forEach((term, index) => {
    if (term.value === '') {
      // an empty first term means the record does not start with v=DMARC1 (RFC 7489 §6.3)
      if (index === 0 && text.trim() !== '') problems.push(versionProblem(term.position, text.slice(0, 12)));
      // a trailing ";" (and an empty term between ";;") is harmless: RFC 7489 §6.4 allows a final dmarc-sep
      return;
    }
    const eq = term.value.indexOf('=');
    if (eq < 0) {
      problems.push({ kind: 'syntax', position: term.position, text: term.value, reason: `"${term.value}" is not a tag=value pair (is a ";" or "=" missing?)` });
      if (index === 0) problems.push(versionProblem(term.position, term.value));
      return;
    }
    const name = term.value.slice(0, eq).trimEnd();
    const value = term.value.slice(eq + 1).trimStart();
    const valuePosition = term.position + term.value.length - value.length;
    // RFC 6376 §3.2 tag-name = ALPHA *ALNUMPUNC (the grammar RFC 7489 §6.4 builds on)
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
      problems.push({ kind: 'syntax', position: term.position, text: term.value, reason: `"${name}" is not a valid tag name` });
      if (index === 0) problems.push(versionProblem(term.position, term.value));
      return;
    }
    const tag = name.toLowerCase();
    record.tags.push({ name: tag, value, position: term.position });

    if (index === 0) {
      // RFC 7489 §6.3: v MUST be the first tag; its value DMARC1 is case-sensitive (§6.4 %x44…)
      if (tag !== 'v' || value !== 'DMARC1') {
        problems.push(versionProblem(term.position, term.value));
        if (tag === 'v') return;
      } else {
        record.versionOk = true;
        firstSeen.set('v', term.position);
        record.present.add('v');
        return;
      }
    }

    const first = firstSeen.get(tag);
    if (first !== undefined) {
      problems.push({ kind: 'duplicate', tag, value, position: term.position, firstPosition: first });
      return;
    }
    firstSeen.set(tag, term.position);
    record.present.add(tag);

    if (!KNOWN.has(tag)) {
      // RFC 7489 §6.3: unknown tags MUST be ignored
      problems.push({ kind: 'unknown_tag', tag, value, position: term.position });
      return;
    }
    if (tag === 'v') {
      problems.push({ kind: 'syntax', position: term.position, text: term.value, reason: 'the v tag must be the first tag of the record' });
      return;
    }
    readTagValue(record, tag, value, valuePosition);
  });

  if (terms.every((t) => t.value === '')) {
    problems.push({ kind: 'syntax', position: 0, text: '', reason: 'the record is empty; it must start with "v=DMARC1"' });
  }
  return record;
}

function versionProblem(position: number, text: string): DmarcProblem {
  return {
    kind: 'syntax',
    position,
    text,
    reason: `the record must start with "v=DMARC1" (exactly, DMARC1 in capitals), but starts with "${text}"`,
  };
}

function invalid(record: DmarcRecord, tag: string, value: string, position: number, reason: string): void {
  record.problems.push({ kind: 'invalid_value', tag, value, position, reason });
}

/** RFC 7489 §6.3 / DMARCbis §4.7 value rules, one tag at a time. */
function readTagValue(record: DmarcRecord, tag: string, value: string, position: number): void {
  const v = record.values;
  const lower = value.toLowerCase();
  switch (tag) {
    case 'p':
    case 'sp':
    case 'np': {
      if ((POLICY_VALUES as readonly string[]).includes(lower)) v[tag] = lower as PolicyValue;
      else invalid(record, tag, value, position, 'must be none, quarantine or reject');
      return;
    }
    case 'adkim':
    case 'aspf': {
      if (lower === 'r' || lower === 's') v[tag] = lower;
      else invalid(record, tag, value, position, 'must be r (relaxed) or s (strict)');
      return;
    }
    case 'pct': {
      // RFC 7489 §6.4: 1*3DIGIT, 0..100
      const n = /^\d{1,3}$/.test(value) ? Number(value) : NaN;
      if (Number.isInteger(n) && n >= 0 && n <= 100) v.pct = n;
      else invalid(record, tag, value, position, 'must be a whole number from 0 to 100');
      return;
    }
    case 'ri': {
      const n = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
      if (Number.isInteger(n) && n <= 0xffffffff) v.ri = n;
      else invalid(record, tag, value, position, 'must be a number of seconds (a 32-bit unsigned integer)');
      return;
    }
    case 'fo': {
      // RFC 7489 §6.4: ("0" / "1" / "d" / "s") *(":" …)
      const options = value.split(':').map((o) => o.trim().toLowerCase());
      if (options.length > 0 && options.every((o) => ['0', '1', 'd', 's'].includes(o))) v.fo = options;
      else invalid(record, tag, value, position, 'must be a colon-separated list of 0, 1, d and s');
      return;
    }
    case 'rf': {
      // RFC 7489 §6.3: only "afrf" is registered
      const formats = value.split(':').map((o) => o.trim().toLowerCase());
      if (formats.length > 0 && formats.every((f) => f === 'afrf')) v.rf = formats;
      else invalid(record, tag, value, position, 'the only defined report format is afrf');
      return;
    }
    case 'psd': {
      if (lower === 'y' || lower === 'n' || lower === 'u') v.psd = lower;
      else invalid(record, tag, value, position, 'must be y, n or u');
      return;
    }
    case 't': {
      if (lower === 'y' || lower === 'n') v.t = lower;
      else invalid(record, tag, value, position, 'must be y or n');
      return;
    }
    case 'rua':
    case 'ruf': {
      readReportUris(record, tag, value, position);
      return;
    }
  }
}

/** RFC 7489 §6.4: dmarc-uri *(*WSP "," *WSP dmarc-uri), dmarc-uri = URI [ "!" 1*DIGIT [ "k"/"m"/"g"/"t" ] ]. */
function readReportUris(record: DmarcRecord, tag: 'rua' | 'ruf', value: string, position: number): void {
  for (const entry of splitWithPositions(value, 0, value.length, ',')) {
    const at = position + entry.position;
    const parsed = parseReportUri(tag, entry.value, at);
    if ('reason' in parsed) record.problems.push({ kind: 'invalid_uri', tag, uri: entry.value, position: at, reason: parsed.reason });
    else record[tag].push(parsed);
  }
}

export function parseReportUri(tag: 'rua' | 'ruf', raw: string, position = 0): ReportUri | { reason: string } {
  if (raw === '') return { reason: 'the list has an empty entry (a stray comma, or no address at all)' };
  const sized = /^(.*)!(\d+)([kmgt]?)$/i.exec(raw);
  const uri = sized ? (sized[1] ?? '') : raw;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/.exec(uri);
  if (!scheme) return { reason: 'it has no URI scheme: report addresses must be written as mailto:address' };
  if ((scheme[1] ?? '').toLowerCase() !== 'mailto') {
    // RFC 7489 §6.2: receivers need only support mailto; DMARCbis §4.7 defines only mailto
    return { reason: `the ${scheme[1]}: scheme is not supported by receivers; use mailto:` };
  }
  const rest = scheme[2] ?? '';
  let address: string;
  try {
    address = decodeURIComponent(rest.split('?')[0] ?? '');
  } catch {
    return { reason: 'it contains a malformed %-escape' };
  }
  if (address.includes('!')) return { reason: 'the size limit after "!" must be digits with an optional k, m, g or t' };
  const at = address.lastIndexOf('@');
  const local = at > 0 ? address.slice(0, at) : '';
  const domain = at > 0 ? address.slice(at + 1).toLowerCase().replace(/\.$/, '') : '';
  if (!local || /\s/.test(local)) return { reason: `"${address}" is not an e-mail address (it needs a mailbox before the @)` };
  if (!isHostName(domain)) return { reason: `"${domain || address}" is not a valid mail domain` };
  const result: ReportUri = { tag, raw, uri, address: `${local}@${domain}`, domain, position };
  if (sized) result.maxSize = `${sized[2]}${(sized[3] ?? '').toLowerCase()}`;
  return result;
}

/** The value a receiver uses for each tag: the record's, or the default (RFC 7489 §6.3; DMARCbis §4.7). */
export interface EffectiveTags {
  p: PolicyValue | null;
  sp: PolicyValue | null;
  np: PolicyValue | null;
  adkim: AlignmentMode;
  aspf: AlignmentMode;
  pct: number;
  fo: string[];
  rf: string[];
  ri: number;
  psd: 'y' | 'n' | 'u';
  t: 'y' | 'n';
}

/**
 * Defaults, and what receivers do with a missing or invalid p: RFC 7489 §6.6.3 step 6
 * says act as p=none when rua has a valid URI, else apply no DMARC at all (null).
 */
export function effectiveTags(record: DmarcRecord): EffectiveTags {
  const v = record.values;
  const fallback: PolicyValue | null = record.rua.length > 0 ? 'none' : null;
  const p = v.p ?? fallback;
  const sp = record.present.has('sp') && !v.sp ? fallback : (v.sp ?? p);
  const np = record.present.has('np') && !v.np ? sp : (v.np ?? sp);
  return {
    p, sp, np,
    adkim: v.adkim ?? 'r',
    aspf: v.aspf ?? 'r',
    pct: v.pct ?? 100,
    fo: v.fo ?? ['0'],
    rf: v.rf ?? ['afrf'],
    ri: v.ri ?? 86400,
    psd: v.psd ?? 'u',
    t: v.t ?? 'n',
  };
}

/** Tags with their effective values and whether the record states them (evidence, like checkdmarc's `tags`). */
export function describeTags(record: DmarcRecord): Record<string, { value: unknown; explicit: boolean }> {
  const eff = effectiveTags(record);
  const out: Record<string, { value: unknown; explicit: boolean }> = {};
  const explicit = (k: keyof DmarcTagValues): boolean => record.values[k] !== undefined;
  out.v = { value: 'DMARC1', explicit: true };
  for (const k of ['p', 'sp', 'np', 'adkim', 'aspf', 'pct', 'fo', 'rf', 'ri', 'psd', 't'] as const) {
    out[k] = { value: eff[k], explicit: explicit(k) };
  }
  if (record.present.has('rua')) out.rua = { value: record.rua.map((u) => u.raw), explicit: true };
  if (record.present.has('ruf')) out.ruf = { value: record.ruf.map((u) => u.raw), explicit: true };
  return out;
}
