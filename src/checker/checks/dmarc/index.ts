/**
 * The DMARC check (RFC 7489; DMARCbis): the record at `_dmarc.<domain>`, or the
 * policy the domain inherits from a parent, its grammar, its strength and its
 * report destinations.
 *
 * Evidence contract for other checks (BIMI, grading): `evidence.policy` is the
 * policy receivers apply to the domain's own mail (`p`, or `sp`/`np` when
 * inherited), `null` when no DMARC policy applies; `evidence.pct` the percentage
 * (100 by default; `null` with no policy); `evidence.testing` is DMARCbis `t=y`.
 * `effectiveDmarcPolicy(result)` reads them back, typed.
 */
import type { CheckContext } from '../../check.ts';
import { lookupFailed, result, untested } from '../../check.ts';
import type { DnsResponse } from '../../dns/types.ts';
import { isLookupFailure } from '../../dns/types.ts';
import { finding } from '../../findings.ts';
import type { CheckResult, Finding } from '../../types.ts';
import type { AppliedPolicy, RecordSetting } from './assess.ts';
import { appliedPolicy, destinationFindings, recordFindings } from './assess.ts';
import type { DmarcTxtSet, Lookup, WalkResult, WalkStep } from './discovery.ts';
import { fetchDmarcTxt, lookupWith, txtTexts, walkTree } from './discovery.ts';
import { defaultRuaFor, stagedPath, txtLine } from './fixes.ts';
import type { PolicyValue } from './parse.ts';
import { describeTags, effectiveTags, isDmarcRecord, looksLikeDmarc, parseDmarc } from './parse.ts';
import type { ReportDestination } from './reports.ts';
import { assessDestinations, organizationalDomain } from './reports.ts';

export { parseDmarc } from './parse.ts';
export type { DmarcRecord, PolicyValue } from './parse.ts';

const ID = 'dmarc';

/** What BIMI and grading read from a DMARC result. */
export interface DmarcPolicySummary {
  policy: PolicyValue | null;
  pct: number | null;
  testing: boolean;
  inherited: boolean;
}

export function effectiveDmarcPolicy(res: CheckResult): DmarcPolicySummary | null {
  if (res.id !== ID || res.status === 'untested') return null;
  const e = res.evidence;
  const policy = e.policy === 'none' || e.policy === 'quarantine' || e.policy === 'reject' ? e.policy : null;
  return {
    policy,
    pct: typeof e.pct === 'number' ? e.pct : null,
    testing: e.testing === true,
    inherited: e.inherited === true,
  };
}

export async function checkDmarc(ctx: CheckContext): Promise<CheckResult> {
  const lookup = lookupWith(ctx.resolver, ctx.signal);
  const domain = ctx.domain;
  // both at once; the tree walk starts as soon as _dmarc.<domain> says "absent"
  const ownPromise = fetchDmarcTxt(lookup, domain);
  const apexPromise = lookup(domain, 'TXT');
  apexPromise.catch(() => undefined);
  const walkPromise = ownPromise.then((own) =>
    own.records.length === 0 && !isLookupFailure(own.response.outcome) ? walkTree(lookup, domain) : null);
  walkPromise.catch(() => undefined);

  const own = await ownPromise;
  if (isLookupFailure(own.response.outcome)) {
    return untested(ID, `Could not look up ${own.name}`, [lookupFailed(own.response)], { location: own.name });
  }

  const evidence: Record<string, unknown> = {
    organizationalDomain: organizationalDomain(domain),
    otherTxt: own.others,
  };

  if (own.records.length > 1) {
    const apex = await apexPromise;
    const findings: Finding[] = [
      finding(
        'dmarc.multiple_records',
        `${own.name} has ${own.records.length} DMARC records (${own.records.map((r) => `"${r}"`).join(', ')}); receivers discard them all, so ${domain} has no DMARC policy.`,
        `Keep exactly one: delete all but ${txtLine(domain, own.records[0] ?? '')}.`,
      ),
      ...pollutionFindings(own, domain, true),
      ...apexFindings(apex, domain, true),
    ];
    return result(ID, `${own.records.length} DMARC records at ${own.name}: receivers ignore them all`, findings, {
      ...evidence, location: own.name, record: null, records: own.records, inherited: false,
      policy: null, pct: null, testing: false, reportDestinations: [],
    });
  }

  if (own.records.length === 1) {
    const text = own.records[0] ?? '';
    const setting: RecordSetting = { domain, policyDomain: domain, inherited: false, nonexistent: false };
    const [apex, evaluated] = await Promise.all([apexPromise, evaluateRecord(lookup, text, setting)]);
    const findings = [...evaluated.findings, ...pollutionFindings(own, domain, true), ...apexFindings(apex, domain, true)];
    const { policy } = evaluated.applied;
    const summary = policy
      ? `DMARC p=${policy}${evaluated.pct < 100 ? ` pct=${evaluated.pct}` : ''} at ${own.name}`
      : `DMARC record at ${own.name} sets no usable policy`;
    return result(ID, summary, findings, {
      ...evidence, location: own.name, record: text, records: own.records, inherited: false, ...evaluated.evidence,
    });
  }

  // no record of its own: near misses are reported, receivers walk up the tree
  const [apex, walk] = await Promise.all([apexPromise, walkPromise]);
  const nonexistent = own.response.outcome === 'nxdomain' && apex.outcome === 'nxdomain';
  const local = [...pollutionFindings(own, domain, false), ...apexFindings(apex, domain, false)];
  const walked = walk ?? ({ kind: 'absent', steps: [] } as WalkResult);
  evidence.discovery = [{ name: own.name, outcome: own.response.outcome, dmarcRecords: 0 } satisfies WalkStep, ...walked.steps];

  if (walked.kind === 'failed') {
    return untested(ID, `Could not finish the DMARC policy discovery for ${domain}`, [lookupFailed(walked.response)], {
      ...evidence, location: null, record: null,
    });
  }
  if (walked.kind === 'absent') {
    const nearMiss = own.others.some(looksLikeDmarc);
    const apexHasDmarc = apex.outcome === 'answer' && txtTexts(apex).some(isDmarcRecord);
    const findings = [
      finding(
        'dmarc.missing',
        `${domain} has no valid DMARC record at ${own.name}${own.others.length ? ` (${nearMiss ? 'the TXT record there is not a valid DMARC record' : 'only unrelated TXT records'})` : ''}${apexHasDmarc ? ' (a v=DMARC1 record sits at the domain itself, where receivers do not look)' : ''}, and no parent domain publishes one, so receivers apply no DMARC policy: anyone can send mail as @${domain}.`,
        stagedPath(domain),
      ),
      ...local,
    ];
    return result(ID, `No DMARC record at ${own.name}`, findings, {
      ...evidence, location: null, record: null, inherited: false, policy: null, pct: null, testing: false, reportDestinations: [],
    });
  }

  // inherited from a parent (DMARCbis §4.10; RFC 7489 §6.6.3 organizational domain)
  const setting: RecordSetting = { domain, policyDomain: walked.at.domain, inherited: true, nonexistent };
  const evaluated = await evaluateRecord(lookup, walked.text, setting);
  const { policy, source } = evaluated.applied;
  const tags = effectiveTags(parseDmarc(walked.text));
  const rfc7489Org = organizationalDomain(domain);
  const findings = [
    inheritedFinding(domain, walked, evaluated.applied, tags.sp, tags.np, rfc7489Org),
    ...evaluated.findings,
    ...local,
  ];
  return result(ID, `No DMARC record of its own; inherits ${source}=${policy ?? 'none'} from ${walked.at.name}`, findings, {
    ...evidence,
    location: walked.at.name,
    record: walked.text,
    inherited: true,
    inheritedFrom: walked.at.domain,
    organizationalDomainDmarcbis: walked.organizationalDomain,
    publicSuffixPolicy: walked.viaPsd,
    ...evaluated.evidence,
  });
}

interface Evaluated {
  findings: Finding[];
  applied: AppliedPolicy;
  pct: number;
  evidence: Record<string, unknown>;
}

/** Parse, assess, and check the report destinations of one record (all destination lookups in parallel). */
async function evaluateRecord(lookup: Lookup, text: string, setting: RecordSetting): Promise<Evaluated> {
  const record = parseDmarc(text);
  const tags = effectiveTags(record);
  const destinations: ReportDestination[] = await assessDestinations(lookup, setting.policyDomain, [...record.rua, ...record.ruf]);
  const applied = appliedPolicy(tags, setting);
  return {
    findings: [...recordFindings(record, setting), ...destinationFindings(destinations, setting)],
    applied,
    pct: tags.pct,
    evidence: {
      tags: describeTags(record),
      policy: applied.policy,
      policySource: applied.source,
      subdomainPolicy: tags.sp,
      nonexistentSubdomainPolicy: tags.np,
      pct: applied.policy ? tags.pct : null,
      testing: tags.t === 'y',
      reportDestinations: destinations,
    },
  };
}

function inheritedFinding(
  domain: string,
  walked: Extract<WalkResult, { kind: 'found' }>,
  applied: AppliedPolicy,
  sp: PolicyValue | null,
  np: PolicyValue | null,
  rfc7489Org: string,
): Finding {
  const parent = walked.at.domain;
  const whose = walked.viaPsd
    ? `the public suffix operator's policy for ${parent} (psd=y)`
    : `the policy of its organizational domain ${parent}`;
  const differs = !walked.viaPsd && parent !== rfc7489Org
    ? ` (receivers still following RFC 7489 and the Public Suffix List look at _dmarc.${rfc7489Org} instead)`
    : '';
  const ruaSeen = parseDmarc(walked.text).rua.map((u) => u.raw).join(',');
  return finding(
    'dmarc.inherited',
    `${domain} has no DMARC record of its own, so receivers use ${whose}: "${walked.text}" at ${walked.at.name}${differs}. ` +
      `For a subdomain its sp (${sp ?? 'unset'}) applies, and np (${np ?? 'unset'}) for names that do not exist; for ${domain} that is ${applied.source}=${applied.policy ?? 'none'}.`,
    `Nothing to do if that policy suits ${domain}. To give it its own policy, publish ${txtLine(domain, `v=DMARC1; p=${applied.policy ?? 'none'}; rua=${ruaSeen || defaultRuaFor(walked.viaPsd ? domain : parent)}`)}.`,
  );
}

/** RFC 7489 §6.6.3 keeps only v=DMARC1 records at _dmarc; anything else there is noise or a broken record. */
function pollutionFindings(own: DmarcTxtSet, domain: string, hasRecord: boolean): Finding[] {
  const out: Finding[] = [];
  const nearMisses = hasRecord ? [] : own.others.filter(looksLikeDmarc);
  const unrelated = own.others.filter((t) => !nearMisses.includes(t));
  for (const text of nearMisses) {
    const parsed = parseDmarc(text);
    const reason = parsed.problems.find((p) => p.kind === 'syntax');
    out.push(finding(
      'dmarc.syntax_error',
      `The TXT record at ${own.name} ("${text}") looks like DMARC but receivers discard it: ${reason && 'reason' in reason ? reason.reason : 'it does not start with v=DMARC1'}.`,
      `Replace it with ${txtLine(domain, correctedText(parsed, domain))}`,
    ));
  }
  if (unrelated.length) {
    out.push(finding(
      'dmarc.misplaced_or_polluted',
      `${own.name} also holds TXT records that are not DMARC: ${unrelated.map((t) => `"${t}"`).join(', ')}. Receivers should ignore them, but some parsers trip over them and they suggest a misplaced record.`,
      `Delete ${unrelated.length > 1 ? 'these TXT records' : 'this TXT record'} at ${own.name}; nothing but the v=DMARC1 record belongs there.`,
    ));
  }
  return out;
}

function correctedText(parsed: ReturnType<typeof parseDmarc>, domain: string): string {
  const v = parsed.values;
  const parts = ['v=DMARC1', `p=${v.p ?? 'none'}`];
  if (v.sp) parts.push(`sp=${v.sp}`);
  parts.push(`rua=${parsed.rua.map((u) => u.raw).join(',') || defaultRuaFor(domain)}`);
  return parts.join('; ');
}

/** A v=DMARC1 record at the domain itself has no effect (RFC 7489 §6.1: the record lives at _dmarc). */
function apexFindings(apex: DnsResponse<'TXT'>, domain: string, hasRecord: boolean): Finding[] {
  if (apex.outcome !== 'answer') return [];
  const misplaced = txtTexts(apex).filter(isDmarcRecord);
  return misplaced.map((text) =>
    finding(
      'dmarc.misplaced_or_polluted',
      `${domain} has a DMARC record at the domain itself ("${text}"); receivers only look at _dmarc.${domain}, so this record has no effect.`,
      hasRecord
        ? `Delete the TXT record "${text}" at ${domain}; the record at _dmarc.${domain} is the one that counts.`
        : `Move it: publish ${txtLine(domain, text)} and delete the TXT record at ${domain}.`,
    ));
}
