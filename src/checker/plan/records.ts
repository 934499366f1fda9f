/**
 * Records that change over several plan steps. A DMARC record or an MTA-STS policy file is
 * one object edited by several steps (add rua, then enforce; fix coverage, then enforce); each
 * step must show the whole object as it reads after that step, or pasting a later step would
 * undo an earlier one. These composers keep the running state, built from the check's own
 * evidence with the check's own helpers; without that evidence the steps fall back to the
 * findings' fix texts.
 */
import { correctedRecordLine, defaultRuaFor, txtLine, type RecordChanges } from '../checks/dmarc/fixes.ts';
import { parseDmarc, policyRank, type DmarcRecord } from '../checks/dmarc/parse.ts';
import { coveringPattern } from '../checks/mta-sts/match.ts';
import { freshId, policyUrl, suggestPatterns } from '../checks/mta-sts/fixes.ts';
import { ONE_WEEK, parsePolicy } from '../checks/mta-sts/policy.ts';
import { parseSpf } from '../checks/spf/parse.ts';
import type { FindingCode } from '../findings.ts';
import type { CheckResult, Finding } from '../types.ts';

// ---------------------------------------------------------------------------------------------
// DMARC
// ---------------------------------------------------------------------------------------------

/** Findings the corrected record itself resolves (the rest of the record family are fixed elsewhere). */
export const DMARC_RECORD_EDITS: ReadonlySet<FindingCode> = new Set<FindingCode>([
  'dmarc.syntax_error', 'dmarc.invalid_tag_value', 'dmarc.duplicate_tag', 'dmarc.unknown_tag',
  'dmarc.invalid_report_uri', 'dmarc.no_rua', 'dmarc.pct_partial', 'dmarc.subdomain_policy_weaker',
]);

export class DmarcComposer {
  readonly domain: string;
  /** the domain's own record (not inherited, not one of several), parsed */
  readonly record: DmarcRecord | null;
  /** the domain had no DMARC at all: the plan publishes a fresh one */
  fresh = false;
  readonly changes: RecordChanges = {};

  constructor(domain: string, check: CheckResult | undefined) {
    this.domain = domain;
    const ev = check?.evidence ?? {};
    const text = ev.record;
    const location = ev.location;
    const own = typeof text === 'string' && ev.inherited !== true &&
      (location === undefined || location === null || location === `_dmarc.${domain}`);
    this.record = own ? parseDmarc(text) : null;
  }

  /** The monitoring record a domain without DMARC starts with (the first stage of the check's staged path). */
  publishLine(): string {
    this.fresh = true;
    return txtLine(this.domain, `v=DMARC1; p=none; rua=${defaultRuaFor(this.domain)}`);
  }

  /** The corrected record for the record-family codes, or null when the record is not ours to rewrite. */
  repairLine(codes: readonly FindingCode[]): string | null {
    const r = this.record;
    if (!r || !codes.some((c) => DMARC_RECORD_EDITS.has(c))) return null;
    // every suggested record carries a report address: the later enforce step waits for its reports
    if (r.rua.length === 0) this.changes.rua = defaultRuaFor(this.domain);
    if (codes.includes('dmarc.pct_partial')) this.changes.pct = null;
    const p = r.values.p;
    if (codes.includes('dmarc.subdomain_policy_weaker') && p) {
      if (r.values.sp && policyRank(r.values.sp) < policyRank(p)) this.changes.sp = null;
      if (r.values.np && policyRank(r.values.np) < policyRank(p)) this.changes.np = null;
    }
    return correctedRecordLine(this.domain, r, this.changes);
  }

  /** The enforcing record (quarantine; testing mode off), or null when the record is not ours to rewrite. */
  enforceLine(forBimi: boolean): string | null {
    if (this.fresh) return txtLine(this.domain, `v=DMARC1; p=quarantine; rua=${defaultRuaFor(this.domain)}`);
    const r = this.record;
    if (!r) return null;
    const p = r.values.p;
    if (!p || p === 'none') this.changes.p = 'quarantine';
    // DMARCbis t=y applies the next lower policy: quarantine would act as none
    if (r.values.t === 'y') this.changes.t = null;
    if (forBimi) {
      // BIMI wants enforcement for all mail and all subdomains
      if (r.values.sp === 'none') this.changes.sp = null;
      if (r.values.pct !== undefined && r.values.pct < 100) this.changes.pct = null;
    }
    return correctedRecordLine(this.domain, r, this.changes);
  }

  /** Where aggregate reports go once the steps so far are applied ('' when unknown). */
  reportAddresses(): string {
    if (this.fresh) return defaultRuaFor(this.domain);
    if (typeof this.changes.rua === 'string') return this.changes.rua;
    return this.record?.rua.map((u) => u.raw).join(',') ?? '';
  }
}

// ---------------------------------------------------------------------------------------------
// MTA-STS
// ---------------------------------------------------------------------------------------------

/** max_age once the policy enforces: two weeks, as the check's own publishing advice suggests. */
export const ENFORCE_MAX_AGE = 1_209_600;

/** How long to watch TLS-RPT (and DMARC) reports before enforcing. */
export const OBSERVATION_DAYS = 14;
export const OBSERVATION = 'two weeks';

interface StsPolicyState {
  mode: 'enforce' | 'testing' | 'none';
  mx: string[];
  maxAge: number;
}

/** Findings a rewritten policy file resolves on its own. */
const STS_FILE_EDITS: ReadonlySet<FindingCode> = new Set<FindingCode>([
  'mta_sts.mx_not_covered', 'mta_sts.max_age_short', 'mta_sts.mode_none',
]);

function isStringArray(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((s) => typeof s === 'string');
}

export class MtaStsComposer {
  readonly domain: string;
  readonly url: string;
  readonly txtName: string;
  private readonly evidence: Record<string, unknown>;
  private readonly now: Date;
  /** the policy as it will read after the steps so far; null when unknown */
  private state: StsPolicyState | null = null;

  constructor(domain: string, check: CheckResult | undefined, now: Date) {
    this.domain = domain;
    this.evidence = check?.evidence ?? {};
    this.url = typeof this.evidence.policyUrl === 'string' ? this.evidence.policyUrl : policyUrl(domain);
    this.txtName = typeof this.evidence.txtName === 'string' ? this.evidence.txtName : `_mta-sts.${domain}`;
    this.now = now;
    const p = this.evidence.policy;
    if (p && typeof p === 'object') {
      const { mode, mx, maxAge } = p as Record<string, unknown>;
      if ((mode === 'enforce' || mode === 'testing' || mode === 'none') && isStringArray(mx) && typeof maxAge === 'number') {
        this.state = { mode, mx: [...mx], maxAge };
      }
    }
  }

  private file(): string {
    const s = this.state!;
    return ['version: STSv1', `mode: ${s.mode}`, ...s.mx.map((p) => `mx: ${p}`), `max_age: ${s.maxAge}`].join('\n');
  }

  private idLine(at: Date): string {
    return `${this.txtName}. TXT "v=STSv1; id=${freshId(at)}"`;
  }

  private changeFile(at: Date): string {
    return `Change ${this.url} to:\n\n${this.file()}\n\nthen publish a new id so senders fetch it again:\n${this.idLine(at)}`;
  }

  /** The testing-mode policy and record the check suggested, or null when the report lacks them. */
  publish(): string | null {
    const s = this.evidence.suggestedPolicy;
    if (!s || typeof s !== 'object') return null;
    const { policy, txtRecord } = s as Record<string, unknown>;
    if (typeof policy !== 'string' || typeof txtRecord !== 'string') return null;
    const parsed = parsePolicy(policy);
    if (parsed.errors.length === 0 && parsed.mode && parsed.maxAge !== null) {
      this.state = { mode: parsed.mode, mx: [...parsed.mx], maxAge: parsed.maxAge };
    }
    return [
      `Serve this file at ${this.url} (HTTPS with a publicly trusted certificate for mta-sts.${this.domain}, status 200, Content-Type: text/plain, no redirects):`,
      '',
      policy.trimEnd(),
      '',
      'then publish:',
      txtRecord,
    ].join('\n');
  }

  /** The corrected file when the repair is a pure file edit we can compose, else null (use the fixes). */
  repair(codes: readonly FindingCode[]): string | null {
    if (!this.state) return null;
    const editable = codes.every((c) => STS_FILE_EDITS.has(c));
    if (codes.includes('mta_sts.mode_none')) this.state.mode = 'testing';
    if (!editable) return null;
    if (codes.includes('mta_sts.mx_not_covered')) {
      const hosts = this.evidence.mxHosts;
      if (!Array.isArray(hosts)) return null;
      const names = hosts.flatMap((h) => (h && typeof h === 'object' && typeof (h as { host?: unknown }).host === 'string' ? [(h as { host: string }).host] : []));
      const uncovered = names.filter((h) => coveringPattern(this.state!.mx, h) === null);
      const keep = this.state.mx.filter((p) => names.some((h) => coveringPattern([p], h) !== null));
      const needed = suggestPatterns(uncovered).filter((p) => !keep.includes(p));
      this.state.mx = [...keep, ...needed];
    }
    if (codes.includes('mta_sts.max_age_short')) this.state.maxAge = Math.max(this.state.maxAge, ONE_WEEK);
    return this.changeFile(this.now);
  }

  /** The enforcing policy, or null when the policy is unknown. */
  enforce(): string | null {
    if (!this.state) return null;
    this.state.mode = 'enforce';
    this.state.maxAge = Math.max(this.state.maxAge, ENFORCE_MAX_AGE);
    // the switch happens after the observation period: its id is dated then, so it differs from today's
    return this.changeFile(new Date(this.now.getTime() + OBSERVATION_DAYS * 86_400_000));
  }

  /** The generic enforce instruction when the policy file is not known. */
  enforceFallback(): string {
    return `Change "mode: testing" to "mode: enforce" in ${this.url} (and max_age to at least ${ENFORCE_MAX_AGE}), then publish a new id:\n${this.idLine(new Date(this.now.getTime() + OBSERVATION_DAYS * 86_400_000))}`;
  }
}

// ---------------------------------------------------------------------------------------------
// SPF
// ---------------------------------------------------------------------------------------------

/** SPF findings whose fix is a rewrite of the domain's own record. */
const SPF_RECORD_EDITS: ReadonlySet<FindingCode> = new Set<FindingCode>([
  'spf.pass_all', 'spf.neutral_all', 'spf.no_all_or_redirect', 'spf.terms_after_all', 'spf.ptr_used',
]);

/**
 * Each SPF fix rewrites the record as published, so two of them pasted one after the other
 * undo each other (the second "-all" record still has the ptr the first removed). When a step
 * carries two or more such rewrites of the domain's own record, this is the one record that
 * applies them all; null when there is nothing to combine (the check's own fix then stands).
 */
export function combinedSpfRecord(check: CheckResult | undefined, findings: readonly Finding[]): { record: string; combined: FindingCode[] } | null {
  const text = check?.evidence.record;
  if (typeof text !== 'string') return null;
  // a fix that rewrites the own record quotes it ("v=spf1 …"); advice about other records does not
  const rewrites = findings.filter((f) => SPF_RECORD_EDITS.has(f.code) && /\bv=spf1\b/i.test(f.fix));
  const codes = [...new Set(rewrites.map((f) => f.code))];
  if (codes.length < 2) return null;
  const rec = parseSpf(text);
  if (rec.errors.length > 0) return null;
  const dropPtr = codes.includes('spf.ptr_used');
  const mechanisms = rec.mechanisms.filter((m) => m.kind !== 'all' && !(dropPtr && m.kind === 'ptr')).map((m) => m.text);
  const all = rec.mechanisms.find((m) => m.kind === 'all');
  const strict = codes.includes('spf.pass_all') || codes.includes('spf.neutral_all') || codes.includes('spf.no_all_or_redirect');
  const allText = strict ? '-all' : all?.text;
  const modifiers = rec.terms.filter((t) => t.type === 'modifier').map((t) => t.text);
  const record = ['v=spf1', ...mechanisms, ...(allText ? [allText] : []), ...modifiers].join(' ');
  return { record, combined: codes };
}
