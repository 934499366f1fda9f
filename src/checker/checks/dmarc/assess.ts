/**
 * Findings about one DMARC record: its grammar, its policy and its report
 * destinations. Every message names the values seen; every fix is a record for
 * this domain.
 */
import { finding } from '../../findings.ts';
import type { Finding } from '../../types.ts';
import { correctedRecordLine, defaultRuaFor, txtLine } from './fixes.ts';
import type { DmarcProblem, DmarcRecord, EffectiveTags, PolicyValue } from './parse.ts';
import { DEPRECATED_TAGS, KNOWN_TAGS, effectiveTags, policyRank } from './parse.ts';
import type { ReportDestination } from './reports.ts';

/** Where the record sits and whom it governs. */
export interface RecordSetting {
  /** the domain being checked */
  domain: string;
  /** the domain whose `_dmarc` holds the record (== domain unless inherited) */
  policyDomain: string;
  inherited: boolean;
  /** the checked domain does not exist (NXDOMAIN): np applies to it (DMARCbis §4.7) */
  nonexistent: boolean;
}

/** The policy receivers apply to mail from the checked domain, and which tag says so. */
export interface AppliedPolicy {
  policy: PolicyValue | null;
  source: 'p' | 'sp' | 'np';
}

export function appliedPolicy(tags: EffectiveTags, setting: RecordSetting): AppliedPolicy {
  // RFC 7489 §6.6.3 step 6 / DMARCbis §4.7: a record found at a parent governs with sp, np for non-existent names
  if (!setting.inherited) return { policy: tags.p, source: 'p' };
  if (setting.nonexistent) return { policy: tags.np, source: 'np' };
  return { policy: tags.sp, source: 'sp' };
}

const listed = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;

const at = (position: number): string => `at character ${position + 1}`;

function editDistanceAtMostOne(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  let j = 0;
  let edits = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) { i++; j++; continue; }
    if (++edits > 1) return false;
    if (a.length > b.length) i++;
    else if (b.length > a.length) j++;
    else { i++; j++; }
  }
  return edits + (a.length - i) + (b.length - j) <= 1;
}

function problemFinding(p: DmarcProblem, record: DmarcRecord, s: RecordSetting): Finding {
  const where = `_dmarc.${s.policyDomain}`;
  const fixed = correctedRecordLine(s.policyDomain, record);
  switch (p.kind) {
    case 'syntax':
      return finding(
        'dmarc.syntax_error',
        `The DMARC record at ${where} ("${record.text}") has a syntax error ${at(p.position)}: ${p.reason}.`,
        `Publish the record in the standard form: ${fixed}`,
      );
    case 'invalid_value':
      return finding(
        'dmarc.invalid_tag_value',
        `The DMARC record at ${where} has ${p.tag}=${p.value} ${at(p.position)}, which is not valid: ${p.tag} ${p.reason}. Receivers ignore this value${p.tag === 'p' || p.tag === 'sp' ? ' and may ignore the whole policy' : ''}.`,
        `Correct it, e.g. ${p.tag === 'p' ? correctedRecordLine(s.policyDomain, record, { p: 'none' }) : fixed}`,
      );
    case 'duplicate':
      return finding(
        'dmarc.duplicate_tag',
        `The DMARC record at ${where} sets ${p.tag} twice (${at(p.firstPosition)} and again as ${p.tag}=${p.value} ${at(p.position)}); receivers may reject the whole record or pick either value.`,
        `Keep one ${p.tag} tag: ${fixed}`,
      );
    case 'unknown_tag': {
      const guess = KNOWN_TAGS.find((k) => k !== 'v' && editDistanceAtMostOne(p.tag, k));
      return finding(
        'dmarc.unknown_tag',
        `The DMARC record at ${where} has an unknown tag ${p.tag}=${p.value} ${at(p.position)}; receivers ignore it${guess ? ` (did you mean ${guess}?)` : ''}.`,
        `Remove it${guess ? ` or correct it to ${guess}` : ''}: ${fixed}`,
      );
    }
    case 'invalid_uri':
      return finding(
        'dmarc.invalid_report_uri',
        `The ${p.tag} entry "${p.uri}" in the DMARC record at ${where} is not a usable report address: ${p.reason}. Reports for it are not sent.`,
        `Write report addresses as mailto: URIs, comma-separated: ${correctedRecordLine(s.policyDomain, record, p.tag === 'rua' && record.rua.length === 0 ? { rua: defaultRuaFor(s.policyDomain) } : {})}`,
      );
  }
}

/** Grammar problems, policy strength, deprecated and strict tags. */
export function recordFindings(record: DmarcRecord, s: RecordSetting): Finding[] {
  const out: Finding[] = record.problems.map((p) => problemFinding(p, record, s));
  const tags = effectiveTags(record);
  const v = record.values;
  const where = `_dmarc.${s.policyDomain}`;
  const from = s.inherited ? `${s.domain} has no DMARC record of its own; the record at ${where} applies to it` : `The DMARC record at ${where}`;

  // RFC 7489 §6.3: p is required; §6.6.3 step 6: without it, p=none if rua is valid, else no DMARC at all
  if (!record.present.has('p')) {
    if (tags.p === null) {
      out.push(finding(
        'dmarc.syntax_error',
        `The DMARC record at ${where} ("${record.text}") has no p tag and no valid rua, so receivers apply no DMARC policy at all.`,
        `Add a policy: ${correctedRecordLine(s.policyDomain, record, { p: 'none', rua: record.rua.length ? undefined : defaultRuaFor(s.policyDomain) })}`,
      ));
    } else {
      out.push(finding(
        'dmarc.policy_none',
        `The DMARC record at ${where} has no p tag; receivers treat it as p=none (monitoring only), and RFC 7489 receivers may ignore it.`,
        `State the policy: ${correctedRecordLine(s.policyDomain, record, { p: 'quarantine' })}`,
      ));
    }
  }

  const applied = appliedPolicy(tags, s);
  const explicitApplied = applied.source === 'p' ? v.p : applied.source === 'sp' ? (v.sp ?? v.p) : (v.np ?? v.sp ?? v.p);
  if (applied.policy === 'none' && explicitApplied === 'none') {
    const change = applied.source === 'p' ? { p: 'quarantine' } : { [applied.source]: 'quarantine' };
    const written = applied.source !== 'p' && v[applied.source] !== undefined;
    const tagText = applied.source === 'p' || written ? `${applied.source}=none` : `${applied.source} unset, so p=none`;
    out.push(finding(
      'dmarc.policy_none',
      `${from} with ${tagText}: receivers only monitor, and mail that fails DMARC for ${s.domain} is still delivered. Spoofing is reported but not stopped.`,
      s.inherited
        ? `Publish a policy for ${s.domain} itself once its legitimate mail passes: ${txtLine(s.domain, `v=DMARC1; p=quarantine; rua=${record.rua.map((u) => u.raw).join(',') || defaultRuaFor(s.policyDomain)}`)}, or enforce for all subdomains at once: ${correctedRecordLine(s.policyDomain, record, change)}`
        : `Once the aggregate reports show your legitimate mail passing, enforce: ${correctedRecordLine(s.policyDomain, record, change)} (then p=reject).`,
    ));
  }
  // DMARCbis §4.7 t=y: receivers apply the next lower policy (reject→quarantine, quarantine→none)
  if (v.t === 'y' && applied.policy && applied.policy !== 'none') {
    const lower = applied.policy === 'reject' ? 'quarantine' : 'none';
    out.push(finding(
      'dmarc.policy_none',
      `${from} with ${applied.source}=${applied.policy} but t=y (testing mode): DMARCbis receivers apply ${lower} instead of ${applied.policy}, so the policy is not fully enforced.`,
      `Remove t=y when testing is done: ${correctedRecordLine(s.policyDomain, record, { t: null })}`,
      { ref: 'DMARCbis §4.7 (t tag)' },
    ));
  }

  // RFC 7489 §6.3 sp, DMARCbis §4.7 np: subdomains left weaker than the domain itself
  if (!s.inherited && v.p) {
    const p = v.p;
    const weaker: string[] = [];
    if (v.sp && policyRank(v.sp) < policyRank(p)) weaker.push(`sp=${v.sp}`);
    if (v.np && policyRank(v.np) < policyRank(p)) weaker.push(`np=${v.np}`);
    if (weaker.length) {
      const changes = Object.fromEntries(weaker.map((w) => [w.split('=')[0], null]));
      out.push(finding(
        'dmarc.subdomain_policy_weaker',
        `The DMARC record at ${where} has p=${p} but ${weaker.join(' and ')}: attackers can spoof ${weaker.some((w) => w.startsWith('np')) ? 'non-existent ' : ''}subdomains such as anything.${s.domain} with a weaker policy than ${s.domain} itself.`,
        `Drop the weaker tag so subdomains inherit p=${p}: ${correctedRecordLine(s.policyDomain, record, changes)}`,
      ));
    }
  }

  // RFC 7489 §6.6.4: the rest of the failing mail gets the next lower policy
  if (v.pct !== undefined && v.pct < 100) {
    const lower = tags.p === 'reject' ? 'quarantine' : 'none';
    out.push(finding(
      'dmarc.pct_partial',
      `The DMARC record at ${where} has pct=${v.pct}: only ${v.pct}% of failing mail gets p=${tags.p ?? 'none'}, the other ${100 - v.pct}% is treated as ${lower}. (DMARCbis drops pct; its receivers ignore it.)`,
      `Remove pct (the default is 100): ${correctedRecordLine(s.policyDomain, record, { pct: null })}`,
    ));
  }

  const deprecated = DEPRECATED_TAGS.filter((t) => record.present.has(t));
  if (deprecated.length) {
    const shown = record.tags.filter((t) => (DEPRECATED_TAGS as readonly string[]).includes(t.name)).map((t) => `${t.name}=${t.value}`);
    out.push(finding(
      'dmarc.deprecated_tags',
      `The DMARC record at ${where} uses ${shown.join(', ')}; DMARCbis removed ${listed(deprecated)}, and newer receivers ignore ${deprecated.length > 1 ? 'them' : 'it'}.`,
      `Remove ${listed(deprecated)}: ${correctedRecordLine(s.policyDomain, record, Object.fromEntries(deprecated.map((t) => [t, null])))}`,
    ));
  }

  if (!record.present.has('rua')) {
    out.push(finding(
      'dmarc.no_rua',
      `The DMARC record at ${where} has no rua tag, so nobody receives aggregate reports: you cannot see who sends mail as ${s.policyDomain} or whether your own mail passes.`,
      `Add a report address: ${correctedRecordLine(s.policyDomain, record, { rua: defaultRuaFor(s.policyDomain) })}`,
    ));
  }

  const strict = (['adkim', 'aspf'] as const).filter((t) => v[t] === 's');
  if (strict.length) {
    out.push(finding(
      'dmarc.alignment_strict',
      `The DMARC record at ${where} uses strict alignment (${strict.map((t) => `${t}=s`).join(', ')}): mail signed or sent from subdomains of ${s.policyDomain} (for example by a mailing service using bounce.${s.policyDomain}) fails DMARC.`,
      `If legitimate mail comes from subdomains, use relaxed alignment: ${correctedRecordLine(s.policyDomain, record, Object.fromEntries(strict.map((t) => [t, null])))}`,
    ));
  }
  return out;
}

/** RFC 7489 §7.1 authorisation and deliverability of each report destination. */
export function destinationFindings(destinations: readonly ReportDestination[], s: RecordSetting): Finding[] {
  const out: Finding[] = [];
  const seenAuth = new Set<string>();
  const seenMail = new Set<string>();
  for (const d of destinations) {
    if (d.authorization === 'unauthorized' && d.authorizationName && !seenAuth.has(d.domain)) {
      seenAuth.add(d.domain);
      out.push(finding(
        'dmarc.external_report_unauthorized',
        `${d.tag}=${d.uri} sends ${s.policyDomain}'s DMARC reports to ${d.domain}, another organization, but ${d.authorizationName} has no "v=DMARC1" TXT record, so receivers will not send reports there.`,
        `Ask the operator of ${d.domain} to publish: ${d.authorizationName} TXT "v=DMARC1" (or *._report._dmarc.${d.domain} TXT "v=DMARC1" to accept reports for any domain).`,
      ));
    }
    if ((d.mail === 'no_mail' || d.mail === 'null_mx') && !seenMail.has(d.domain)) {
      seenMail.add(d.domain);
      out.push(finding(
        'dmarc.report_domain_no_mx',
        d.mail === 'null_mx'
          ? `${d.tag}=${d.uri} points at ${d.domain}, which publishes a null MX (it accepts no mail), so the reports are never delivered.`
          : `${d.tag}=${d.uri} points at ${d.domain}, which has no MX and no A/AAAA record, so the reports cannot be delivered.`,
        `Use a report address at a domain that receives mail, e.g. rua=${defaultRuaFor(s.policyDomain)}, or publish an MX record for ${d.domain}.`,
      ));
    }
  }
  return out;
}
