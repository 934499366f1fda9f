/**
 * The BIMI assertion record (draft-brand-indicators-for-message-identification
 * §4.2): a TXT record at `<selector>._bimi.<domain>` made of `tag=value` pairs
 * separated by ";", `v=BIMI1` first.
 *
 * - `l=` the logo location: an HTTPS URI of an SVG Tiny PS document (older
 *   drafts allowed a comma-separated list; we accept that and use the first).
 *   May be empty.
 * - `a=` the authority evidence location: an HTTPS URI of a PEM mark
 *   certificate (VMC/CMC). May be empty or absent.
 * - `avp=` avatar preference, `personal` or `brand`.
 * - `l=` and `a=` both empty (or `l=` empty and no `a=`) is a declination: the
 *   domain says it has no logo.
 * - Unknown tags are ignored (the draft's extension rule); they are listed in
 *   the evidence.
 */

export const BIMI_VERSION = 'v=BIMI1';

export interface BimiProblem {
  message: string;
  /** the tag the problem is about, when it is about one (`l`, `a`, `avp`, `v`) */
  tag?: string;
}

export interface ParsedBimi {
  record: string;
  /** tags as written, in order */
  tags: Array<{ name: string; value: string }>;
  /** `l=` URIs (empty list when absent or empty) */
  logos: string[];
  /** `a=` URI, `''` when empty, `null` when absent */
  authority: string | null;
  avp: string | null;
  /** tags the draft does not define (ignored by receivers) */
  unknownTags: string[];
  /** the record declines BIMI: no logo and no evidence */
  declined: boolean;
  problems: BimiProblem[];
}

const TAG_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const KNOWN = new Set(['v', 'l', 'a', 'avp']);
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** True for a TXT record receivers treat as BIMI: it starts with `v=BIMI1` (whitespace around "=" tolerated). */
export function isBimiRecord(txt: string): boolean {
  return /^v[ \t]*=[ \t]*BIMI1[ \t]*(;|$)/.test(txt);
}

/** Meant as BIMI, but receivers will not see it as such (wrong case, leading space, version not first). */
export function looksLikeBimi(txt: string): boolean {
  return !isBimiRecord(txt) && /(^|[\s;])v\s*=\s*bimi/i.test(txt);
}

function hostnameValid(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.replace(/\.$/, '').split('.');
  return labels.length >= 2 && labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1] ?? '');
}

/** Why `uri` cannot be a BIMI `l=`/`a=` location, or null when it is a usable HTTPS URL. */
export function httpsUrlProblem(tag: 'l' | 'a', uri: string): string | null {
  const what = tag === 'l' ? 'logo location l=' : 'evidence location a=';
  if (/[\s"<>\\^`{|}]/.test(uri)) return `the ${what} "${uri}" contains characters not allowed in a URL`;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `the ${what} "${uri}" is not a URL`;
  }
  if (url.protocol !== 'https:') {
    return `the ${what} "${uri}" uses ${url.protocol.replace(/:$/, '')}:, but BIMI fetches only https: URLs`;
  }
  if (url.username || url.password) return `the ${what} "${uri}" carries credentials, which every receiver would see`;
  const host = url.hostname;
  if (!(host.startsWith('[') || /^\d+\.\d+\.\d+\.\d+$/.test(host) || hostnameValid(host))) {
    return `the ${what} "${uri}" has an invalid host name "${host}"`;
  }
  return null;
}

/** Parse one BIMI record; never throws. */
export function parseBimi(record: string): ParsedBimi {
  const out: ParsedBimi = {
    record, tags: [], logos: [], authority: null, avp: null, unknownTags: [], declined: false, problems: [],
  };
  const problem = (message: string, tag?: string) => out.problems.push(tag === undefined ? { message } : { message, tag });
  if (!isBimiRecord(record)) {
    problem(looksLikeBimi(record)
      ? `the record must start with exactly "v=BIMI1;" (receivers discard it otherwise)`
      : 'the record does not start with "v=BIMI1"');
  }
  const parts = record.split(';');
  const seen = new Set<string>();
  parts.forEach((raw, i) => {
    const part = raw.trim();
    if (part === '') {
      // a trailing ";" (or "; ;") is harmless; an empty term in the middle is a stray separator
      if (i !== parts.length - 1 && parts.slice(i + 1).some((p) => p.trim() !== '')) problem('the record has an empty term (";;")');
      return;
    }
    const eq = part.indexOf('=');
    if (eq < 0) {
      problem(`"${part}" is not a tag=value pair`);
      return;
    }
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!TAG_NAME.test(name)) {
      problem(`"${name}" is not a valid tag name`);
      return;
    }
    const key = name.toLowerCase();
    if (seen.has(key)) {
      problem(`the tag ${key}= appears more than once`);
      return;
    }
    seen.add(key);
    out.tags.push({ name: key, value });
    if (!KNOWN.has(key)) out.unknownTags.push(key);
  });

  const tag = (name: string) => out.tags.find((t) => t.name === name)?.value;
  const v = tag('v');
  if (v !== undefined && v !== 'BIMI1') problem(`v=${v} is not a BIMI version (it must be v=BIMI1)`, 'v');

  const l = tag('l');
  if (l !== undefined && l !== '') {
    out.logos = l.split(',').map((s) => s.trim());
    for (const uri of out.logos) {
      if (uri === '') {
        problem('the l= list has an empty entry (a stray comma)', 'l');
        continue;
      }
      const why = httpsUrlProblem('l', uri);
      if (why) problem(why, 'l');
    }
    out.logos = out.logos.filter((u) => u !== '');
  }

  const a = tag('a');
  if (a !== undefined) {
    out.authority = a;
    if (a !== '') {
      if (a.includes(',')) problem(`a= must hold one URL, not a list ("${a}")`, 'a');
      else {
        const why = httpsUrlProblem('a', a);
        if (why) problem(why, 'a');
      }
    }
  }

  const avp = tag('avp');
  if (avp !== undefined) {
    out.avp = avp;
    if (!/^(personal|brand)$/i.test(avp)) problem(`avp=${avp} is not allowed (it must be personal or brand)`, 'avp');
  }

  if (l === undefined) problem('the record has no l= tag (use an empty "l=" to decline)', 'l');
  out.declined = out.logos.length === 0 && (out.authority === null || out.authority === '');
  return out;
}

/** The record with problems removed as far as the intent is clear: a suggestion for the fix. */
export function suggestedRecord(parsed: ParsedBimi, logoFallback: string): string {
  const logo = parsed.logos.find((u) => httpsUrlProblem('l', u) === null)
    ?? parsed.logos.map((u) => u.replace(/^http:/i, 'https:')).find((u) => httpsUrlProblem('l', u) === null)
    ?? logoFallback;
  const a = parsed.authority ?? '';
  const authority = a === '' || httpsUrlProblem('a', a) === null ? a : (httpsUrlProblem('a', a.replace(/^http:/i, 'https:')) === null ? a.replace(/^http:/i, 'https:') : '');
  const parts = [BIMI_VERSION, `l=${logo}`, `a=${authority}`];
  if (parsed.avp && /^(personal|brand)$/i.test(parsed.avp)) parts.push(`avp=${parsed.avp.toLowerCase()}`);
  return parts.join('; ');
}
