/**
 * The TLS-RPT check (`tls_rpt`, RFC 8460): does the domain ask senders to report
 * TLS delivery failures, and can they parse where to send them?
 *
 * One TXT lookup at `_smtp._tls.<domain>`. TXT records that do not start with
 * `v=TLSRPTv1` are discarded (§3); exactly one must remain.
 */
import { resolveMxHosts } from './mx.ts';
import { describeFailure, lookupFailed, result, untested, type CheckContext } from '../check.ts';
import { isLookupFailure } from '../dns/types.ts';
import { finding } from '../findings.ts';
import type { CheckResult, Finding } from '../types.ts';
import { trimWsp } from './wsp.ts';

export const TLSRPT_VERSION = 'v=TLSRPTv1';

/** One problem found while parsing; `rua` problems become `tls_rpt.invalid_rua`, the rest `tls_rpt.record_invalid`. */
export interface TlsRptProblem {
  kind: 'syntax' | 'rua';
  message: string;
  /** for `rua` problems: the offending URI as written */
  uri?: string;
  /** for `rua` problems: a corrected URI when the intent is clear (bare address → mailto:, http → https) */
  suggestion?: string;
}

export interface ParsedTlsRpt {
  record: string;
  /** tags in order, as written (name → raw value) */
  tags: Array<{ name: string; value: string }>;
  /** every URI of the rua tag, as written */
  rua: string[];
  /** the rua URIs that are valid mailto:/https: URIs */
  validRua: string[];
  problems: TlsRptProblem[];
}

// RFC 8460 §3 ABNF
const EXT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/; // tlsrpt-ext-name
const EXT_VALUE = /^[\x21-\x3a\x3c\x3e-\x7e]+$/; // tlsrpt-ext-value: no "=", ";", SP or controls
const WSP = /^[ \t]*$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** True for a TXT record senders treat as TLS-RPT (RFC 8460 §3: "records that do not begin with v=TLSRPTv1 are discarded"). */
export function isTlsRptRecord(txt: string): boolean {
  return txt.startsWith(TLSRPT_VERSION) && (txt.length === TLSRPT_VERSION.length || /^[ \t;]/.test(txt.slice(TLSRPT_VERSION.length)));
}

/** A record that was evidently meant as TLS-RPT but that senders will discard (wrong case, leading space, version not first). */
export function isNearMissTlsRpt(txt: string): boolean {
  return !isTlsRptRecord(txt) && /(^|[\s;])v\s*=\s*tlsrpt/i.test(txt);
}

function hostnameValid(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.replace(/\.$/, '').split('.');
  return labels.length >= 2 && labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1] ?? '');
}

function decodePercent(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** Why a rua URI is unusable, or null when it is a valid mailto:/https: URI (RFC 8460 §3; RFC 6068; RFC 3986). */
export function ruaProblem(uri: string): TlsRptProblem | null {
  const bad = (message: string, suggestion?: string): TlsRptProblem =>
    suggestion === undefined ? { kind: 'rua', uri, message } : { kind: 'rua', uri, message, suggestion };
  if (uri === '') return bad('the rua list has an empty entry (a stray comma)');
  if (/[\s"<>\\^`{|}]/.test(uri)) return bad(`"${uri}" contains characters that are not allowed in a URI (RFC 3986 §2)`);
  if (uri.includes('!')) {
    // §3: commas and exclamation points MUST be percent-encoded; "!10m" is DMARC's size suffix, not TLS-RPT's
    return bad(`"${uri}" contains "!", which must be percent-encoded in a TLS-RPT URI (TLS-RPT has no DMARC-style "!size" suffix)`, uri.replace(/!.*$/, ''));
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (/^[^@\s/:]+@[^@\s/:]+$/.test(uri)) return bad(`"${uri}" is a bare e-mail address, but TLS-RPT needs a mailto: URI`, `mailto:${uri}`);
    return bad(`"${uri}" is not a URI (it has no scheme), and TLS-RPT accepts only mailto: and https: URIs`);
  }
  const rest = uri.slice(scheme.length + 1);
  if (scheme === 'mailto') {
    const addrPart = rest.split('?')[0] ?? '';
    const addr = decodePercent(addrPart);
    if (addr === null) return bad(`"${uri}" has a broken percent-encoding`);
    if (addr.includes(',')) return bad(`"${uri}" names more than one address in one mailto: URI (list each as its own URI, separated by commas)`);
    const at = addr.lastIndexOf('@');
    const local = addr.slice(0, at);
    const host = addr.slice(at + 1);
    if (at <= 0 || !host) return bad(`"${uri}" has no e-mail address after mailto:`);
    if (/[\s@]/.test(local) && !/^".*"$/.test(local)) return bad(`"${uri}" has an invalid local part "${local}"`);
    if (!hostnameValid(host)) return bad(`"${uri}" has an invalid mail domain "${host}"`);
    return null;
  }
  if (scheme === 'https') {
    if (!rest.startsWith('//')) return bad(`"${uri}" is not a valid https: URL (it needs "https://host/path")`);
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return bad(`"${uri}" is not a valid https: URL`);
    }
    if (url.username || url.password) return bad(`"${uri}" carries credentials in the URL, which every sender would see`);
    const host = url.hostname;
    if (!(host.startsWith('[') || /^\d+\.\d+\.\d+\.\d+$/.test(host) || hostnameValid(host))) {
      return bad(`"${uri}" has an invalid host name "${host}"`);
    }
    return null;
  }
  if (scheme === 'http') {
    return bad(`"${uri}" uses plain http:, but TLS-RPT accepts only https: and mailto: URIs`, `https:${rest}`);
  }
  return bad(`"${uri}" uses the ${scheme}: scheme, but TLS-RPT accepts only mailto: and https: URIs`);
}

/** Parse one TLS-RPT record (RFC 8460 §3 grammar); never throws. */
export function parseTlsRpt(record: string): ParsedTlsRpt {
  const out: ParsedTlsRpt = { record, tags: [], rua: [], validRua: [], problems: [] };
  const syntax = (message: string) => out.problems.push({ kind: 'syntax', message });
  if (!isTlsRptRecord(record)) {
    if (/^\s/.test(record)) syntax('the record starts with white space, but it must start exactly with "v=TLSRPTv1"');
    else if (/^v\s*=\s*tlsrptv1\b/i.test(record.trim())) {
      syntax(`the record starts "${record.slice(0, 12)}", but the version tag is case-sensitive and must be exactly "v=TLSRPTv1"`);
    } else if (/(^|[\s;])v\s*=\s*TLSRPTv1\b/i.test(record)) {
      syntax('the version tag "v=TLSRPTv1" must come first in the record');
    } else syntax(`the record starts "${record.slice(0, 12)}", but the only version is "v=TLSRPTv1"`);
    // salvage the rest as if the version were right, so the fix keeps the owner's report addresses
    const rest = record.split(';').map((f) => f.trim()).filter((f) => f && !/^v\s*=/i.test(f));
    const salvaged = parseTlsRpt(`${TLSRPT_VERSION}; ${rest.join('; ')}`);
    return { ...salvaged, record, problems: [...out.problems, ...salvaged.problems] };
  }
  // tlsrpt-record = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]; field-delim = *WSP ";" *WSP
  const parts = record.split(';');
  const version = parts.shift() ?? '';
  if (!WSP.test(version.slice(TLSRPT_VERSION.length))) syntax(`unexpected text after "v=TLSRPTv1": "${version}"`);
  out.tags.push({ name: 'v', value: 'TLSRPTv1' });
  // a single trailing delimiter is allowed
  if (parts.length > 0 && WSP.test(parts[parts.length - 1] ?? '')) parts.pop();
  const seen = new Set<string>();
  for (const raw of parts) {
    const field = trimWsp(raw);
    if (field === '') {
      syntax('the record has an empty field (two ";" in a row)');
      continue;
    }
    const eq = field.indexOf('=');
    if (eq < 0) {
      syntax(`"${field}" is not a tag=value pair`);
      continue;
    }
    const name = field.slice(0, eq);
    const value = field.slice(eq + 1);
    if (!EXT_NAME.test(name)) {
      syntax(`"${name}" is not a valid tag name`);
      continue;
    }
    out.tags.push({ name, value });
    if (seen.has(name)) {
      syntax(`the tag "${name}" appears more than once`);
      continue;
    }
    seen.add(name);
    if (name === 'v') {
      syntax('the version tag "v" appears again after the start');
    } else if (name === 'rua') {
      // tlsrpt-rua = "rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
      if (value === '') {
        syntax('the rua tag is empty');
        continue;
      }
      for (const uri of value.split(',').map(trimWsp)) {
        out.rua.push(uri);
        const problem = ruaProblem(uri);
        if (problem) out.problems.push(problem);
        else out.validRua.push(uri);
      }
    } else if (!EXT_VALUE.test(value)) {
      // tlsrpt-extension: unknown tags are allowed, but their value must fit the grammar
      syntax(`the value of the tag "${name}" is empty or contains characters not allowed there ("=", ";", spaces or control characters)`);
    }
  }
  if (!seen.has('rua')) syntax('the required rua tag (where reports go) is missing');
  return out;
}

function defaultRecord(domain: string, rua?: readonly string[]): string {
  const list = rua && rua.length ? rua.join(',') : `mailto:tls-reports@${domain}`;
  return `_smtp._tls.${domain}. IN TXT "v=TLSRPTv1; rua=${list}"`;
}

/** The record as it should read: valid URIs kept, fixable ones fixed, extension tags kept. */
function correctedRecord(domain: string, parsed: ParsedTlsRpt): string {
  const rua = [...parsed.validRua];
  for (const p of parsed.problems) if (p.kind === 'rua' && p.suggestion && ruaProblem(p.suggestion) === null) rua.push(p.suggestion);
  return defaultRecord(domain, rua);
}

export async function checkTlsRpt(ctx: CheckContext): Promise<CheckResult> {
  const name = `_smtp._tls.${ctx.domain}`;
  const response = await ctx.resolver.query(name, 'TXT', { signal: ctx.signal });
  const base: Record<string, unknown> = { name, outcome: response.outcome, server: response.server };
  if (response.cnames.length) base.cnames = response.cnames;

  if (isLookupFailure(response.outcome)) {
    return untested('tls_rpt', `The TXT lookup for ${name} failed (${describeFailure(response)})`, [lookupFailed(response)], base);
  }

  // RFC 8460 §3: a record's character-strings are concatenated without separator
  const txt = response.answers.map((a) => a.data.join(''));
  const records = txt.filter(isTlsRptRecord);
  const nearMisses = txt.filter(isNearMissTlsRpt);
  const evidence: Record<string, unknown> = { ...base, txt };

  if (records.length === 0 && nearMisses.length === 0) {
    const where = response.outcome === 'answer' ? `${name} has TXT records, but none starts with "v=TLSRPTv1"` : `there is no TXT record at ${name}`;
    // the MX facts are the MX check's own (memoised per context), so asking costs no extra lookups in a run
    if ((await resolveMxHosts(ctx).catch(() => null))?.outcome === 'null_mx') {
      // RFC 8460 reports on mail *to* the domain; a null MX (RFC 7505) receives none
      return result('tls_rpt', 'No TLS-RPT record; not needed, since the domain receives no mail (null MX)', [
        finding(
          'tls_rpt.missing',
          `${ctx.domain} publishes no TLS-RPT record (${where}). It publishes a null MX, so no mail is delivered to it and there is nothing for senders to report.`,
          'Nothing to do while the domain receives no mail.',
          { severity: 'info' },
        ),
      ], { ...evidence, record: null, rua: [] });
    }
    return result('tls_rpt', 'No TLS-RPT record', [
      finding(
        'tls_rpt.missing',
        `${ctx.domain} publishes no TLS-RPT record (${where}), so sending servers that fail to deliver over TLS (or fail MTA-STS/DANE checks) have nowhere to report it and you will not hear about it.`,
        `Publish: ${defaultRecord(ctx.domain)} (use a mailbox you read, or an https: endpoint of a report-processing service).`,
      ),
    ], { ...evidence, record: null, rua: [] });
  }

  if (records.length > 1) {
    const parsed = records.map(parseTlsRpt);
    const merged = [...new Set(parsed.flatMap((p) => p.validRua))];
    return result('tls_rpt', `${records.length} TLS-RPT records: senders ignore them all`, [
      finding(
        'tls_rpt.multiple_records',
        `${name} has ${records.length} TXT records starting with "v=TLSRPTv1" (${records.map((r) => `"${r}"`).join(', ')}). RFC 8460 requires exactly one; with more, senders assume you do not use TLS-RPT and send no reports.`,
        `Delete all but one and list every report address in it: ${defaultRecord(ctx.domain, merged)}`,
      ),
    ], { ...evidence, records, record: null, rua: parsed.flatMap((p) => p.rua) });
  }

  // exactly one usable-looking record: the real one, or else the near miss senders would discard
  const record = records[0] ?? nearMisses[0] ?? '';
  const parsed = parseTlsRpt(record);
  const findings: Finding[] = [];
  const syntax = parsed.problems.filter((p) => p.kind === 'syntax');
  const rua = parsed.problems.filter((p) => p.kind === 'rua');
  if (syntax.length) {
    findings.push(
      finding(
        'tls_rpt.record_invalid',
        `The TLS-RPT record at ${name} ("${record}") is invalid: ${syntax.map((p) => p.message).join('; ')}. Senders cannot use it, so no reports will arrive.`,
        `Replace it with: ${correctedRecord(ctx.domain, parsed)}`,
      ),
    );
  }
  if (rua.length) {
    const none = parsed.validRua.length === 0;
    findings.push(
      finding(
        'tls_rpt.invalid_rua',
        `The TLS-RPT rua tag at ${name} has ${rua.length === 1 ? 'an unusable address' : `${rua.length} unusable addresses`}: ${rua.map((p) => p.message).join('; ')}.` +
          (none ? ' No valid report address remains, so no reports will arrive.' : ` Reports still go to ${parsed.validRua.join(', ')}.`),
        `Use only mailto: or https: URIs, separated by commas: ${correctedRecord(ctx.domain, parsed)}`,
      ),
    );
  }
  const tags = Object.fromEntries(parsed.tags.map((t) => [t.name, t.value]));
  const summary = findings.length
    ? 'TLS-RPT record is not usable as published'
    : `TLS-RPT reports go to ${parsed.validRua.join(', ')}`;
  return result('tls_rpt', summary, findings, { ...evidence, record, tags, rua: parsed.rua, validRua: parsed.validRua });
}
