/**
 * From a report's findings to candidate plan steps: which findings are worth a step, how
 * they group (one step per check, with the staged families of DMARC and MTA-STS split out),
 * what each step needs first, and how its action reads.
 */
import { sortFindings } from '../check.ts';
import { FINDINGS, type FindingCode } from '../findings.ts';
import { RUBRIC, type GradeResult } from '../grade.ts';
import { CHECK_IDS, type CheckId, type CheckResult, type Finding } from '../types.ts';
import { DMARC_RECORD_EDITS, DmarcComposer, combinedSpfRecord, MtaStsComposer, OBSERVATION } from './records.ts';

export interface Resolution {
  check: CheckId;
  code: FindingCode;
}

/** What a step leaves behind when the step is one stage of several. */
export interface Rendered {
  action: string;
  waitFor?: string;
}

export interface Candidate {
  /** `check:family`, unique */
  key: string;
  check: CheckId;
  /** stable tie-break: rubric order of the check, then family */
  order: number;
  /** findings this step removes (some only exist once an earlier stage is applied) */
  resolves: Resolution[];
  /** findings this step leaves in place of what it resolves (the next stage's starting point) */
  introduces: Resolution[];
  /** keys of candidates that must be applied first */
  after: string[];
  title: string;
  why: string;
  /** the action (and wait) as it reads after the steps before it; called once, in plan order */
  render: () => Rendered;
}

type Relevance = 'step' | 'attach' | 'skip';

/** Findings that say what could not be seen, never what is wrong. */
const NOT_ABOUT_THE_DOMAIN: ReadonlySet<FindingCode> = new Set<FindingCode>([
  'dns.lookup_failed', 'dns.nxdomain', 'starttls.unreachable',
]);

/**
 * Info findings the same step resolves for free when it exists anyway (never a step of their
 * own): publishing a DKIM key also ends "_domainkey does not exist"; the corrected DMARC record
 * drops unknown tags. (`dane.missing` beside a broken TLSA record is not among them: fixing one
 * host's records does not give the others any.)
 */
const ATTACHABLE: ReadonlySet<FindingCode> = new Set<FindingCode>([
  'dkim.not_found', 'dkim.domainkey_nxdomain', 'dmarc.unknown_tag',
]);

/** STARTTLS problems that make MTA-STS enforcing senders refuse delivery (RFC 8461 §4.2). */
const BREAKS_UNDER_ENFORCE: ReadonlySet<FindingCode> = new Set<FindingCode>([
  'starttls.not_offered', 'starttls.handshake_failed', 'starttls.cert_untrusted',
  'starttls.cert_hostname_mismatch', 'starttls.cert_expired',
]);

const FAMILY_RANK: Record<string, number> = { publish: 0, record: 1, repair: 1, main: 1, enforce: 2 };

function familyOf(check: CheckId, code: FindingCode, codes: ReadonlySet<FindingCode>): string {
  if (check === 'dmarc') {
    if (code === 'dmarc.missing') return 'publish';
    // with no record at all, a syntax error is a near miss at _dmarc that the new record replaces
    if (code === 'dmarc.syntax_error' && codes.has('dmarc.missing')) return 'publish';
    if (code === 'dmarc.policy_none') return 'enforce';
    return 'record';
  }
  if (check === 'mta_sts') {
    if (code === 'mta_sts.missing') return 'publish';
    if (code === 'mta_sts.mode_testing') return 'enforce';
    return 'repair';
  }
  return 'main';
}

interface Group {
  key: string;
  check: CheckId;
  family: string;
  findings: Finding[];
  /** resolutions in other checks (BIMI's DMARC precondition) */
  extra: Array<Resolution & { finding: Finding }>;
  introduces: Resolution[];
  /** a stage that exists only because an earlier stage introduces its finding */
  virtual: boolean;
}

const BIMI_NOTE = ' It also meets BIMI\'s requirement of a DMARC policy that enforces for all mail.';

const distinct = <T>(xs: readonly T[]): T[] => [...new Set(xs)];

function fixLines(findings: readonly Finding[]): string[] {
  return distinct(findings.map((f) => f.fix.trim()).filter((f) => f.length > 0));
}

function fallbackAction(findings: readonly Finding[]): string {
  return `Resolve: ${distinct(findings.map((f) => FINDINGS[f.code].title)).join('; ')}.`;
}

function actionOf(findings: readonly Finding[]): string {
  const lines = fixLines(findings);
  return lines.length > 0 ? lines.join('\n') : fallbackAction(findings);
}

/** The worst finding's message, plus the titles of the others resolved with it. */
function whyOf(findings: readonly Finding[]): string {
  const [first, ...rest] = findings;
  if (!first) return '';
  const others = distinct(rest.filter((f) => f.code !== first.code).map((f) => FINDINGS[f.code].title));
  return others.length > 0 ? `${first.message} Also resolves: ${others.join('; ')}.` : first.message;
}

const GENERIC_TITLES: Partial<Record<FindingCode, string>> = {
  'spf.missing': 'Publish an SPF record',
  'spf.pass_all': 'Stop SPF from authorising the whole internet (+all)',
  'spf.multiple_records': 'Merge the SPF records into one',
  'spf.too_many_lookups': 'Bring SPF within 10 DNS lookups',
  'dkim.not_found': 'Publish a DKIM key (or tell Posture your selector)',
  'dkim.key_too_short': 'Rotate the DKIM key to 2048 bits',
  'dkim.key_1024': 'Rotate the DKIM key to 2048 bits',
  'tls_rpt.missing': 'Publish a TLS-RPT record',
  'dnssec.unsigned': 'Sign the zone with DNSSEC',
  'dnssec.bogus': 'Repair the DNSSEC signatures',
  'mx.missing': 'Publish MX records',
  'starttls.not_offered': 'Enable STARTTLS on the MX hosts',
  'bimi.dmarc_not_enforced': 'Enforce DMARC so BIMI can show your logo',
};

const CHECK_TITLES: Record<CheckId, string> = {
  mx: 'Fix the MX records',
  spf: 'Fix the SPF record',
  dkim: 'Fix the DKIM keys',
  dmarc: 'Fix the DMARC record',
  mta_sts: 'Fix the MTA-STS policy',
  tls_rpt: 'Fix the TLS-RPT record',
  dnssec: 'Fix DNSSEC',
  dane: 'Fix the DANE TLSA records',
  bimi: 'Fix the BIMI record',
  starttls: 'Fix TLS on the MX hosts',
};

/** The TLS-RPT report address, as the report states it (the record, or the record the check suggests). */
function tlsReportAddresses(tlsRpt: CheckResult | undefined): string | null {
  if (!tlsRpt || tlsRpt.status === 'untested') return null;
  const valid = tlsRpt.evidence.validRua;
  if (Array.isArray(valid) && valid.length > 0 && valid.every((v) => typeof v === 'string')) return valid.join(',');
  for (const f of tlsRpt.findings) {
    const m = /rua=([^";\s]+)/.exec(f.fix);
    if (m?.[1]) return m[1];
  }
  return null;
}

export interface CandidateInput {
  domain: string;
  checks: readonly CheckResult[];
  initial: GradeResult;
  now: Date;
}

export function planCandidates({ domain, checks, initial, now }: CandidateInput): Candidate[] {
  const byId = new Map<CheckId, CheckResult>();
  for (const c of checks) if (!byId.has(c.id)) byId.set(c.id, c);

  // a domain that does not exist has nothing to plan
  if ([...byId.values()].some((c) => c.status !== 'untested' && c.findings.some((f) => f.code === 'dns.nxdomain'))) return [];

  const outcome = new Map(initial.breakdown.controls.map((c) => [c.id, c]));
  const relevance = (id: CheckId, f: Finding): Relevance => {
    if (NOT_ABOUT_THE_DOMAIN.has(f.code)) return 'skip';
    if (outcome.get(id)?.ignoredFindings.includes(f.code)) return 'skip';
    if (f.severity !== 'info') return 'step';
    if (RUBRIC.findingPoints[f.code] !== undefined) return 'step';
    return ATTACHABLE.has(f.code) ? 'attach' : 'skip';
  };

  const rubricOrder = (id: CheckId): number => {
    const i = RUBRIC.controls.findIndex((c) => c.id === id);
    return i < 0 ? RUBRIC.controls.length + CHECK_IDS.indexOf(id) : i;
  };
  const ids = [...CHECK_IDS].sort((a, b) => rubricOrder(a) - rubricOrder(b));

  const groups = new Map<string, Group>();
  const group = (check: CheckId, family: string, virtual = false): Group => {
    const key = `${check}:${family}`;
    let g = groups.get(key);
    if (!g) {
      g = { key, check, family, findings: [], extra: [], introduces: [], virtual };
      groups.set(key, g);
    }
    return g;
  };

  let bimiDmarc: Finding | null = null;
  for (const id of ids) {
    const check = byId.get(id);
    if (!check || check.status === 'untested') continue;
    if (outcome.get(id)?.outcome === 'not_applicable') continue;
    const codes = new Set(check.findings.map((f) => f.code));
    const attachLater: Finding[] = [];
    for (const f of check.findings) {
      const r = relevance(id, f);
      if (r === 'skip') continue;
      if (r === 'attach') {
        attachLater.push(f);
        continue;
      }
      if (f.code === 'bimi.dmarc_not_enforced') {
        bimiDmarc = f;
        continue;
      }
      group(id, familyOf(id, f.code, codes)).findings.push(f);
    }
    for (const f of attachLater) {
      const target = groups.get(`${id}:${familyOf(id, f.code, codes)}`);
      if (target) target.findings.push(f);
    }
  }

  // later stages whose starting point an earlier stage creates
  const dmarcPublish = groups.get('dmarc:publish');
  if (dmarcPublish) {
    dmarcPublish.introduces.push({ check: 'dmarc', code: 'dmarc.policy_none' });
    if (!groups.has('dmarc:enforce')) group('dmarc', 'enforce', true);
  }
  const stsPublish = groups.get('mta_sts:publish');
  const stsRepair = groups.get('mta_sts:repair');
  const stsIntro = stsPublish ?? (stsRepair?.findings.some((f) => f.code === 'mta_sts.mode_none') ? stsRepair : undefined);
  if (stsIntro && !groups.has('mta_sts:enforce')) {
    stsIntro.introduces.push({ check: 'mta_sts', code: 'mta_sts.mode_testing' });
    group('mta_sts', 'enforce', true);
  }

  // BIMI's precondition is DMARC enforcement: it is resolved by the DMARC step that enforces
  if (bimiDmarc) {
    const host = groups.get('dmarc:enforce') ?? groups.get('dmarc:record');
    if (host) host.extra.push({ check: 'bimi', code: bimiDmarc.code, finding: bimiDmarc });
    else group('bimi', 'main').findings.push(bimiDmarc);
  }

  const dmarc = new DmarcComposer(domain, byId.get('dmarc'));
  const sts = new MtaStsComposer(domain, byId.get('mta_sts'), now);
  const tlsRua = tlsReportAddresses(byId.get('tls_rpt'));

  const sorted = [...groups.values()].sort(
    (a, b) => rubricOrder(a.check) - rubricOrder(b.check) || (FAMILY_RANK[a.family] ?? 1) - (FAMILY_RANK[b.family] ?? 1),
  );
  const keys = new Set(sorted.map((g) => g.key));
  const spfBroken = groups.get('spf:main')?.findings.some((f) => f.severity === 'fail') ?? false;
  const starttlsBreaks = groups.get('starttls:main')?.findings.some((f) => BREAKS_UNDER_ENFORCE.has(f.code)) ?? false;
  const existing = (...ks: string[]): string[] => ks.filter((k) => keys.has(k));

  return sorted.map((g, index): Candidate => {
    const codes = distinct(g.findings.map((f) => f.code));
    const resolves: Resolution[] = [
      ...codes.map((code) => ({ check: g.check, code })),
      ...g.extra.map(({ check, code }) => ({ check, code })),
    ];
    const base = { key: g.key, check: g.check, order: index, introduces: g.introduces };
    const all = sortFindings([...g.findings, ...g.extra.map((e) => e.finding)]);

    switch (g.key) {
      case 'dmarc:publish': {
        const nearMiss = codes.includes('dmarc.syntax_error');
        const missing = g.findings.find((f) => f.code === 'dmarc.missing');
        return {
          ...base, resolves, after: [],
          title: 'Publish a DMARC record in monitoring mode (p=none, with reports)',
          why: `${missing?.message ?? whyOf(g.findings)} p=none changes nothing for delivery yet, but receivers start sending aggregate reports, which show whether your own mail passes before you enforce.` +
            (nearMiss ? ' It replaces the TXT record at _dmarc that receivers discard.' : ''),
          render: () => ({ action: dmarc.publishLine() }),
        };
      }
      case 'dmarc:record': {
        const onlyRua = codes.length === 1 && codes[0] === 'dmarc.no_rua';
        return {
          ...base, resolves, after: [],
          title: onlyRua ? 'Add a DMARC report address (rua)' : CHECK_TITLES.dmarc,
          why: whyOf(sortFindings([...g.findings])) + (g.extra.length > 0 ? BIMI_NOTE : ''),
          render: () => {
            const line = dmarc.repairLine(codes);
            if (line === null) return { action: actionOf(all) };
            // fixes that are not edits of this record (another domain's authorisation, a stray TXT) still apply
            const others = fixLines(all.filter((f) => !DMARC_RECORD_EDITS.has(f.code) && f.code !== 'bimi.dmarc_not_enforced'));
            return { action: [line, ...others].join('\n') };
          },
        };
      }
      case 'dmarc:enforce': {
        const none = g.findings.find((f) => f.code === 'dmarc.policy_none');
        const testingFlag = dmarc.record?.values.t === 'y' && dmarc.record.values.p !== undefined && dmarc.record.values.p !== 'none';
        return {
          ...base,
          resolves: g.virtual ? [{ check: 'dmarc', code: 'dmarc.policy_none' }, ...resolves] : resolves,
          // enforce once SPF can pass for your own mail (a permerror or missing SPF would quarantine it)
          after: existing('dmarc:publish', 'dmarc:record', ...(spfBroken ? ['spf:main'] : [])),
          title: testingFlag ? 'Take DMARC out of testing mode (remove t=y)' : 'Enforce DMARC (p=quarantine)',
          why: `${none ? `${none.message} ` : 'p=none only monitors: mail that forges your domain is still delivered. '}` +
            'With p=quarantine receivers send mail that fails DMARC to spam; once that has run cleanly for a while, the same record with p=reject has it refused outright.' +
            (g.extra.length > 0 ? BIMI_NOTE : ''),
          render: () => {
            const line = dmarc.enforceLine(g.extra.length > 0);
            const rua = dmarc.reportAddresses();
            return {
              action: line ?? actionOf(all),
              waitFor: `${OBSERVATION} of DMARC aggregate reports${rua ? ` (sent to ${rua})` : ''} showing all your legitimate mail passing SPF or DKIM aligned`,
            };
          },
        };
      }
      case 'mta_sts:publish': {
        return {
          ...base, resolves, after: [],
          title: 'Publish an MTA-STS policy in testing mode',
          why: `${whyOf(g.findings)} Testing mode changes nothing for delivery: senders only report, through TLS-RPT, what enforcing would have refused.`,
          render: () => ({ action: sts.publish() ?? actionOf(g.findings) }),
        };
      }
      case 'mta_sts:repair': {
        return {
          ...base, resolves, after: existing('mta_sts:publish'),
          title: CHECK_TITLES.mta_sts,
          why: whyOf(g.findings),
          render: () => ({ action: sts.repair(codes) ?? actionOf(g.findings) }),
        };
      }
      case 'mta_sts:enforce': {
        const testing = g.findings.find((f) => f.code === 'mta_sts.mode_testing');
        return {
          ...base,
          resolves: g.virtual ? [{ check: 'mta_sts', code: 'mta_sts.mode_testing' }, ...resolves] : resolves,
          // enforce once reports can arrive and every MX host passes the checks enforcing senders make
          after: existing('mta_sts:publish', 'mta_sts:repair', 'tls_rpt:main', ...(starttlsBreaks ? ['starttls:main'] : [])),
          title: 'Switch MTA-STS to enforce',
          why: `${testing ? `${testing.message} ` : 'In testing mode senders still deliver when TLS or the certificate check fails. '}` +
            'Under enforce, senders that support MTA-STS deliver only over authenticated TLS to the listed MX hosts, so a network attacker can no longer downgrade or intercept mail to you.',
          render: () => ({
            action: sts.enforce() ?? (testing ? actionOf([testing]) : sts.enforceFallback()),
            waitFor: `TLS-RPT reports${tlsRua ? ` (sent to ${tlsRua})` : ''} to show no failures for ${domain}'s MX hosts for ${OBSERVATION}`,
          }),
        };
      }
      case 'spf:main': {
        const worst = all[0];
        return {
          ...base, resolves, after: [],
          title: (worst && GENERIC_TITLES[worst.code]) ?? CHECK_TITLES.spf,
          why: whyOf(all),
          render: () => {
            const combined = combinedSpfRecord(byId.get('spf'), all);
            if (!combined) return { action: actionOf(all) };
            const rest = fixLines(all.filter((x) => !combined.combined.includes(x.code)));
            const ptr = combined.combined.includes('spf.ptr_used') ? ' (add ip4:/ip6: terms before -all for any server the ptr term stood for)' : '';
            return { action: [`Publish one TXT record at ${domain}${ptr}: ${combined.record}`, ...rest].join('\n') };
          },
        };
      }
      default: {
        const worst = all[0];
        const title = (worst && GENERIC_TITLES[worst.code]) ?? CHECK_TITLES[g.check];
        return {
          ...base, resolves, after: [],
          title,
          why: whyOf(all),
          render: () => ({ action: actionOf(all) }),
        };
      }
    }
  });
}
