/**
 * The DKIM check (id `dkim`): find the domain's DKIM keys by trying likely selectors
 * (selectors.ts) and judge each key record found (evaluate.ts; RFC 6376, RFC 8301, RFC 8463).
 *
 * Absence is asserted only when every lookup answered: a selector query that timed out or
 * SERVFAILed might have held the key, so then the check is `untested`, never `not_found`.
 */
import { describeFailure, result, untested, type CheckContext } from '../../check.ts';
import { isLookupFailure } from '../../dns/types.ts';
import { FINDINGS, finding } from '../../findings.ts';
import type { CheckResult, Finding } from '../../types.ts';
import { analyseSelector, type KeyEvidence, type SelectorAnalysis } from './evaluate.ts';
import { discoverSelectors, type Discovery, type SelectorLookup } from './selectors.ts';

export { parseKeyRecord, parseTagList, type DkimKeyRecord } from './parse.ts';
export { MAIL_PROVIDERS, matchProviders, type MailProvider, type ProviderMatch } from './providers.ts';
export { COMMON_SELECTORS, normalizeSelector, planSelectors } from './selectors.ts';

export async function checkDkim(ctx: CheckContext): Promise<CheckResult> {
  const { domain } = ctx;
  const discovery = await discoverSelectors(ctx);
  const analyses = discovery.lookups.map((l) => analyseSelector(l, { domain, providers: discovery.providers }));
  const keys = analyses.flatMap((a) => a.keys);
  const findings = analyses.flatMap((a) => a.findings);
  const failedLookups = discovery.lookups.filter((l) => isLookupFailure(l.response.outcome));
  const evidence = buildEvidence(discovery, analyses, keys);

  if (keys.length === 0) {
    if (failedLookups.length > 0) {
      const all = failedLookups.length === discovery.lookups.length;
      const summary = all
        ? `DKIM not checked: every selector lookup failed (${describeFailure(failedLookups[0]!.response)})`
        : `DKIM not checked: ${failedLookups.length} of ${discovery.lookups.length} selector lookups failed and no key was found at the others`;
      return untested('dkim', summary, [selectorLookupsFailed(domain, failedLookups, discovery.lookups.length)], evidence);
    }
    findings.push(notFound(domain, discovery, analyses, []));
    if (discovery.domainkey.outcome === 'nxdomain') findings.push(domainkeyNxdomain(domain));
    return result('dkim', `No DKIM key found at the ${discovery.lookups.length} selectors tried`, findings, evidence);
  }

  const usable = keys.filter((k) => k.usable);
  const revoked = keys.filter((k) => k.revoked);
  // only revoked keys seen, and every lookup answered: the domain has no working key we can see
  if (usable.length === 0 && revoked.length === keys.length && failedLookups.length === 0) {
    findings.push(notFound(domain, discovery, analyses, revoked));
  }
  return result('dkim', summarise(keys, findings), findings, evidence);
}

function keyLabel(k: KeyEvidence): string {
  if (k.revoked) return `${k.selector} (revoked)`;
  if (!k.valid) return `${k.selector} (invalid)`;
  const type = k.keyType === 'rsa' ? 'RSA' : k.keyType === 'ed25519' ? 'Ed25519' : k.keyType;
  return k.bits !== undefined && k.keyType === 'rsa' ? `${k.selector} (${k.bits}-bit ${type})` : `${k.selector} (${type})`;
}

function summarise(keys: readonly KeyEvidence[], findings: readonly Finding[]): string {
  const found = `${keys.length === 1 ? 'key' : 'keys'} at ${keys.map(keyLabel).join(', ')}`;
  const worst = findings.reduce<Finding | undefined>(
    (w, f) => (!w || rank(f) > rank(w) ? f : w),
    undefined,
  );
  return worst ? `${FINDINGS[worst.code].title}; DKIM ${found}` : `DKIM ${found}`;
}

function rank(f: Finding): number {
  return f.severity === 'fail' ? 3 : f.severity === 'warn' ? 2 : 1;
}

/** True when the SPF record authorises no sender at all (`v=spf1 -all`): the domain sends no mail. */
function declaresNoMail(spfRecords: readonly string[]): boolean {
  return spfRecords.length === 1 && /^v=spf1\s+-all\s*$/i.test(spfRecords[0]!.trim());
}

function notFound(
  domain: string,
  discovery: Discovery,
  analyses: readonly SelectorAnalysis[],
  revoked: readonly KeyEvidence[],
): Finding {
  const tried = discovery.lookups.map((l) => l.selector);
  const user = discovery.lookups.filter((l) => l.source === 'user').map((l) => l.selector);
  const dangling = analyses
    .filter((a) => a.cnameChain.length > 0 && a.keys.length === 0 && a.lookup.response.outcome !== 'answer')
    .map((a) => a.lookup.name);
  const notes = discovery.providers.flatMap((p) => (p.note ? [p.note] : []));
  const parts = [
    revoked.length > 0
      ? `No working DKIM key was found for ${domain}: the only key${revoked.length > 1 ? 's' : ''} found (at ${revoked.map((k) => k.name).join(', ')}) ${revoked.length > 1 ? 'are' : 'is'} revoked. ${tried.length} selectors were tried: ${tried.join(', ')}.`
      : `No DKIM key was found for ${domain} at any of the ${tried.length} selectors tried: ${tried.join(', ')}.`,
  ];
  if (user.length > 0) parts.push(`That includes the selector${user.length > 1 ? 's' : ''} you gave (${user.join(', ')}).`);
  if (discovery.rejectedSelectors.length > 0) {
    parts.push(`Not tried, as they are not valid selector names: ${discovery.rejectedSelectors.map((s) => `"${s}"`).join(', ')}.`);
  }
  if (dangling.length > 0) {
    parts.push(`${dangling.join(', ')} ${dangling.length > 1 ? 'are aliases' : 'is an alias'} (CNAME) whose target holds no key: the provider has not published it yet, or DKIM signing is not switched on there.`);
  }
  const hintsFailed = [discovery.mx, discovery.txt].filter((r) => isLookupFailure(r.outcome));
  if (hintsFailed.length > 0) {
    parts.push(`The ${hintsFailed.map((r) => `${r.type} lookup for ${r.name} (${describeFailure(r)})`).join(' and ')} failed, so selectors specific to the domain's mail providers were not tried.`);
  }
  parts.push('DKIM selectors cannot be listed from DNS, so the domain may still sign mail with a selector not tried here; without DKIM, DMARC rests on SPF alone, which breaks on forwarding.');
  parts.push(...notes);

  const sendsNothing = declaresNoMail(discovery.spfRecords);
  if (sendsNothing) parts.push(`The domain's SPF record ("${discovery.spfRecords[0]}") says it sends no mail, so it needs no DKIM key.`);

  const enable = discovery.providers.flatMap((p) => (p.enable ? [`${p.provider}: ${p.enable}`] : []));
  const fix = sendsNothing
    ? `Nothing to do while ${domain} sends no mail. If it does send, find the selector in the s= tag of the DKIM-Signature header of a message it sent and run: posture check ${domain} --dkim-selectors <that selector>.`
    : [
      `If ${domain} already signs mail, find the selector in the s= tag of the DKIM-Signature header of a message it sent (for example s=mail2024) and run: posture check ${domain} --dkim-selectors mail2024.`,
      enable.length > 0
        ? `If it does not sign yet, turn DKIM on at your provider (${enable.join('; ')}).`
        : `If it does not sign yet, generate a 2048-bit key in your mail system and publish it as <selector>._domainkey.${domain} TXT "v=DKIM1; k=rsa; p=<base64 public key>".`,
    ].join(' ');
  return finding('dkim.not_found', parts.join(' '), fix, sendsNothing ? { severity: 'info' } : {});
}

function domainkeyNxdomain(domain: string): Finding {
  // RFC 8020 §2: NXDOMAIN means nothing exists at or below the name
  return finding(
    'dkim.domainkey_nxdomain',
    `_domainkey.${domain} does not exist (NXDOMAIN). Under RFC 8020 no name below it exists either, which suggests ${domain} publishes no DKIM keys at all. This is a hint, not proof: some DNS servers wrongly answer NXDOMAIN for names that exist only as parents of other names, and a wildcard record can mask the opposite.`,
    `Publish a DKIM key at <selector>._domainkey.${domain} (your mail provider gives the TXT record or CNAME). If keys already exist below _domainkey.${domain}, your DNS server is answering NXDOMAIN for an empty non-terminal, which breaks RFC 8020: ask your DNS host to fix it.`,
  );
}

function selectorLookupsFailed(domain: string, failed: readonly SelectorLookup[], total: number): Finding {
  const sample = failed.slice(0, 5).map((l) => `${l.name}: ${describeFailure(l.response)}`);
  const more = failed.length > sample.length ? `, and ${failed.length - sample.length} more` : '';
  return finding(
    'dns.lookup_failed',
    `The DKIM key lookups (TXT) failed for ${failed.length} of ${total} selectors under ${domain} (${sample.join('; ')}${more}), so we could not tell whether ${domain} publishes DKIM keys; nothing is assumed.`,
    `Check that the name servers for ${domain} answer TXT queries for names under _domainkey.${domain}, then run the check again.`,
  );
}

function buildEvidence(
  discovery: Discovery,
  analyses: readonly SelectorAnalysis[],
  keys: readonly KeyEvidence[],
): Record<string, unknown> {
  const { domainkey } = discovery;
  const keysFound = keys.length > 0;
  return {
    selectorsTried: analyses.map((a) => ({
      selector: a.lookup.selector,
      source: a.lookup.source,
      name: a.lookup.name,
      outcome: a.lookup.response.outcome,
      ...(isLookupFailure(a.lookup.response.outcome) ? { error: describeFailure(a.lookup.response) } : {}),
      ...(a.cnameChain.length > 0 ? { cnameChain: a.cnameChain } : {}),
      ...(a.txt.length > 0 ? { txt: a.txt } : {}),
      ...(a.ignored.length > 0 ? { ignoredTxt: a.ignored } : {}),
    })),
    keys,
    providers: discovery.providers,
    ...(discovery.rejectedSelectors.length > 0 ? { rejectedSelectors: discovery.rejectedSelectors } : {}),
    domainkey: {
      name: domainkey.name,
      outcome: domainkey.outcome,
      ...(domainkey.outcome === 'nxdomain' && keysFound
        ? { note: 'NXDOMAIN although keys exist below it: the name server breaks RFC 8020 for empty non-terminals' }
        : {}),
    },
    hintLookups: { mx: discovery.mx.outcome, txt: discovery.txt.outcome },
  };
}
