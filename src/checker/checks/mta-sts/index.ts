/**
 * The MTA-STS check (`mta_sts`, RFC 8461): does the domain ask senders to insist
 * on authenticated TLS, and would a sender accept what it publishes?
 *
 * Critical path: the `_mta-sts` TXT lookup ∥ (A/AAAA of mta-sts.<domain> → TLS →
 * GET). The policy fetch starts speculatively at once, beside the TXT lookup
 * and the MX facts; it is judged only when the TXT lookup shows a record (or an
 * attempt at one). Without a record the fetch is aborted and its result ignored:
 * senders never fetch a policy without the record (§3.3).
 */
import { describeFailure, lookupFailed, result, untested, type CheckContext } from '../../check.ts';
import type { DnsResponse } from '../../dns/types.ts';
import { isLookupFailure } from '../../dns/types.ts';
import { finding } from '../../findings.ts';
import { safeFetch, type FetchError, type FetchResponse, type FetchResult } from '../../net/https.ts';
import { describeCertificateError, type CertSummary } from '../../net/tls-facts.ts';
import type { CheckResult, Finding } from '../../types.ts';
import { resolveMxHosts, type MxFacts } from '../mx.ts';
import { freshId, policyUrl, publishFix, suggestPatterns, suggestPolicy } from './fixes.ts';
import { coveringPattern } from './match.ts';
import { ONE_WEEK, parsePolicy, type ParsedPolicy, type StsMode } from './policy.ts';
import { isNearMissStsRecord, isStsRecord, parseStsRecord, type ParsedStsRecord } from './record.ts';

export { parsePolicy, isValidMxPattern, MAX_AGE_LIMIT, ONE_WEEK, type ParsedPolicy, type StsMode } from './policy.ts';
export { parseStsRecord, isStsRecord, isNearMissStsRecord, type ParsedStsRecord } from './record.ts';
export { mxMatches, coveringPattern } from './match.ts';
export { suggestPatterns, suggestPolicy, publishFix, freshId, policyUrl, type SuggestedPolicy } from './fixes.ts';

/** Where the MX host list for the coverage check came from. */
type MxSource = 'mx' | 'implicit' | 'null_mx' | 'none' | 'unknown';

interface MxSet {
  source: MxSource;
  /** host names to cover (empty for null_mx / none / unknown) */
  hosts: string[];
  /** the failed lookup when source is unknown */
  failure?: DnsResponse;
}

/**
 * The mode senders apply for this result, or null when they apply none (no
 * record, invalid record, policy unfetchable or invalid). The STARTTLS check
 * escalates certificate problems under `enforce` (RFC 8461 §4.2, §5).
 */
export function mtaStsMode(res: CheckResult): StsMode | null {
  if (res.id !== 'mta_sts') return null;
  const mode = res.evidence.effectiveMode;
  return mode === 'enforce' || mode === 'testing' || mode === 'none' ? mode : null;
}

function ignore(): void {}

export async function checkMtaSts(ctx: CheckContext): Promise<CheckResult> {
  const domain = ctx.domain;
  const url = policyUrl(domain);
  const txtName = `_mta-sts.${domain}`;

  // speculative: start the fetch now, judge it only if the record says a policy exists
  const fetchAbort = new AbortController();
  const fetching = startFetch(ctx, url, fetchAbort.signal);
  fetching.catch(ignore);
  const mxSet = mxSetFor(ctx);
  mxSet.catch(ignore);

  let txt: DnsResponse<'TXT'>;
  try {
    txt = await ctx.resolver.query(txtName, 'TXT', { signal: ctx.signal });
  } catch (err) {
    fetchAbort.abort();
    throw err;
  }

  const evidence: Record<string, unknown> = { txtName, policyUrl: url };

  if (isLookupFailure(txt.outcome)) {
    // we could not see whether a record exists: assert nothing (not "missing")
    fetchAbort.abort();
    return untested('mta_sts', `The TXT lookup for ${txtName} failed (${describeFailure(txt)})`, [lookupFailed(txt)], {
      ...evidence, lookup: { outcome: txt.outcome, rcode: txt.rcode, error: txt.error ?? null },
    });
  }

  // §3.1: the character-strings of one TXT record are concatenated
  const all = txt.answers.map((a) => a.data.join(''));
  const candidates = all.filter(isStsRecord);
  const nearMisses = all.filter(isNearMissStsRecord);
  evidence.records = all;
  evidence.stsRecords = candidates;

  if (candidates.length === 0 && nearMisses.length === 0) {
    fetchAbort.abort();
    return missing(ctx, await mxSet, all, txt, evidence);
  }

  const findings: Finding[] = [];
  const mx = await mxSet;
  const hostsForFix = mx.source === 'mx' || mx.source === 'implicit' ? mx.hosts : null;
  let recordOk = false;

  if (candidates.length > 1) {
    // §3.1: "If the number of resulting records is not one ... senders MUST assume the recipient domain does not have an available MTA-STS Policy"
    findings.push(finding(
      'mta_sts.record_invalid',
      `${txtName} has ${candidates.length} TXT records that start with "v=STSv1" (${candidates.map((r) => `"${r}"`).join(', ')}). Senders need exactly one; with several they assume ${domain} has no MTA-STS policy at all (RFC 8461 §3.1).`,
      `Delete all but one of them, so that exactly this record remains:\n${txtName}. TXT "v=STSv1; id=${freshId()}"`,
    ));
  } else if (candidates.length === 1) {
    const parsed = parseStsRecord(candidates[0]!);
    evidence.record = recordEvidence(parsed);
    evidence.id = parsed.id;
    if (parsed.problems.length > 0) findings.push(recordInvalid(txtName, domain, parsed));
    else recordOk = true;
  } else {
    // only near misses: senders discard them (§3.1), but the owner evidently meant one
    const parsed = parseStsRecord(nearMisses[0]!);
    evidence.record = recordEvidence(parsed);
    evidence.id = null;
    findings.push(recordInvalid(txtName, domain, parsed));
  }

  const fetched = await fetching;
  if (fetched === null) throw ctx.signal.reason; // only our own abort yields null, and we did not abort
  evidence.fetch = fetchEvidence(fetched);
  const tlsFacts = tlsEvidence(fetched);
  if (tlsFacts) evidence.tls = tlsFacts;

  const judged = judgeFetch(ctx, fetched, hostsForFix);
  if (judged.untestedBecause && findings.length === 0) {
    return untested('mta_sts', judged.untestedBecause, [...findings, ...judged.findings], { ...evidence, effectiveMode: null });
  }
  findings.push(...judged.findings);
  if (!judged.response) {
    return result('mta_sts', judged.summary ?? `The MTA-STS policy at ${url} could not be fetched`, findings, { ...evidence, effectiveMode: null });
  }

  // §3.2: parse the policy
  const policy = parsePolicy(judged.response.body);
  evidence.policy = policyEvidence(policy);
  evidence.policyText = judged.response.body.length > 4096 ? `${judged.response.body.slice(0, 4096)}…` : judged.response.body;

  if (policy.errors.length > 0) {
    findings.push(finding(
      'mta_sts.policy_invalid',
      `The MTA-STS policy at ${url} is invalid: ${policy.errors.join('; ')}. Senders discard an invalid policy, so ${domain} gets no MTA-STS protection (RFC 8461 §3.2).`,
      `Replace the file at ${url} with:\n\n${suggestPolicy(domain, hostsForFix).policy.trimEnd()}\n\n(keys are lower case and case-sensitive, one "key: value" per line). Then publish a new id so senders fetch it again:\n${txtName}. TXT "v=STSv1; id=${freshId()}"`,
    ));
    return result('mta_sts', `The MTA-STS policy at ${url} is invalid`, findings, { ...evidence, effectiveMode: null });
  }
  if (policy.warnings.length > 0) {
    findings.push(finding(
      'mta_sts.policy_invalid',
      `The MTA-STS policy at ${url} repeats fields: ${policy.warnings.join('; ')}. RFC 8461 §3.2 makes senders use the first instance and ignore the rest, so the later lines have no effect.`,
      `Keep one line each for version, mode and max_age in ${url} (the values you mean), then publish a new id:\n${txtName}. TXT "v=STSv1; id=${freshId()}"`,
      { severity: 'warn' },
    ));
  }

  const mode = policy.mode!;
  const maxAge = policy.maxAge!;
  const modeFindings = judgeMode(domain, url, txtName, mode, maxAge);
  findings.push(...modeFindings);

  // §4.1: every MX host must match a pattern (not under mode none)
  const coverage = coverageOf(mx, policy.mx);
  evidence.mxSource = mx.source;
  evidence.mxHosts = coverage;
  if (mx.source === 'unknown' && mx.failure) findings.push(lookupFailed(mx.failure));
  const uncovered = coverage.filter((c) => c.coveredBy === null).map((c) => c.host);
  if (mode !== 'none' && uncovered.length > 0) findings.push(notCovered(domain, url, txtName, mode, maxAge, policy, mx.hosts, uncovered));

  // senders apply the policy only with a valid record (§3.1) and a valid policy (§3.2)
  const effectiveMode: StsMode | null = recordOk ? mode : null;
  evidence.effectiveMode = effectiveMode;
  return result('mta_sts', summaryOf(mode, maxAge, coverage, mx.source, recordOk, txtName), findings, evidence);
}

// ---------------------------------------------------------------------------

function startFetch(ctx: CheckContext, url: string, abort: AbortSignal): Promise<FetchResult | null> {
  // leave room inside the domain's budget to report an unreachable host ourselves
  const timeoutMs = Math.max(500, Math.floor(ctx.options.timeoutMs * 0.8));
  return safeFetch(url, {
    resolver: ctx.resolver,
    allowPrivateNetworks: ctx.options.allowPrivateNetworks,
    connectTo: ctx.connectTo,
    ...(ctx.options.extraCa && ctx.options.extraCa.length > 0 ? { ca: ctx.options.extraCa } : {}),
    maxBytes: 65_536, // §3.3: "a suggested maximum policy size is 64 kilobytes"
    timeoutMs,
    signal: AbortSignal.any([ctx.signal, abort]),
    headers: { accept: 'text/plain' },
  }).catch((err: unknown) => {
    if (abort.aborted && !ctx.signal.aborted) return null;
    throw err;
  });
}

async function mxSetFor(ctx: CheckContext): Promise<MxSet> {
  const facts: MxFacts = await resolveMxHosts(ctx);
  switch (facts.outcome) {
    case 'hosts': {
      // every named exchange, including any beyond the examined limit: names are all we need
      const hosts = [...new Set(facts.records.map((r) => r.exchange).filter((e) => e !== '.'))];
      return { source: 'mx', hosts };
    }
    case 'implicit':
      // RFC 5321 §5.1: no MX, mail goes to the domain itself, which is then the MX host to match
      return { source: 'implicit', hosts: [facts.domain] };
    case 'null_mx':
      return { source: 'null_mx', hosts: [] };
    case 'none':
      return { source: 'none', hosts: [] };
    case 'lookup_failed': {
      const responses: Array<DnsResponse | undefined> = [facts.mxResponse, facts.hosts[0]?.a?.response, facts.hosts[0]?.aaaa?.response];
      const failed = responses.find((r) => r !== undefined && isLookupFailure(r.outcome));
      return failed ? { source: 'unknown', hosts: [], failure: failed } : { source: 'unknown', hosts: [] };
    }
  }
}

function missing(ctx: CheckContext, mx: MxSet, all: string[], txt: DnsResponse<'TXT'>, evidence: Record<string, unknown>): CheckResult {
  const domain = ctx.domain;
  const txtName = `_mta-sts.${domain}`;
  const seen = txt.outcome === 'nxdomain'
    ? `${txtName} does not exist`
    : all.length === 0
      ? `${txtName} has no TXT record`
      : `${txtName} has TXT records, but none starts with "v=STSv1" (${all.map((r) => `"${r.slice(0, 60)}"`).join(', ')})`;
  const suggestion = suggestPolicy(domain, mx.source === 'mx' || mx.source === 'implicit' ? mx.hosts : null);
  const withFix = { ...evidence, effectiveMode: null, mxSource: mx.source, suggestedPolicy: { policy: suggestion.policy, txtRecord: suggestion.txtRecord } };
  if (mx.source === 'null_mx') {
    // RFC 7505: a null MX domain receives no mail, so there is nothing for MTA-STS to protect
    return result('mta_sts', `No MTA-STS policy; not needed, since ${domain} receives no mail (null MX)`, [finding(
      'mta_sts.missing',
      `${domain} has no MTA-STS policy (${seen}). That is fine: its null MX (RFC 7505) says it receives no mail, so there is no inbound delivery to protect.`,
      'Nothing to do while the domain receives no mail. If it starts receiving mail, publish MX records and an MTA-STS policy for them.',
      { severity: 'info' },
    )], withFix);
  }
  return result('mta_sts', `No MTA-STS policy (no "v=STSv1" TXT record at ${txtName})`, [finding(
    'mta_sts.missing',
    `${domain} publishes no MTA-STS policy: ${seen}. Senders therefore cannot know that ${domain} requires authenticated TLS, and an attacker on the network path can strip STARTTLS or impersonate ${domain}'s MX hosts without the mail bouncing.`,
    publishFix(domain, mx.source === 'mx' || mx.source === 'implicit' ? mx.hosts : null),
  )], withFix);
}

function recordInvalid(txtName: string, domain: string, parsed: ParsedStsRecord): Finding {
  const ext = parsed.extensions.map((e) => `; ${e.name}=${e.value}`).join('');
  return finding(
    'mta_sts.record_invalid',
    `The MTA-STS record at ${txtName} is invalid: ${parsed.problems.join('; ')}. The record reads "${parsed.record}". Senders treat an invalid record as no policy at all, so ${domain} gets no MTA-STS protection (RFC 8461 §3.1).`,
    `Replace it with exactly one record:\n${txtName}. TXT "v=STSv1; id=${freshId()}${ext}"\n(id is 1 to 32 letters and digits; change it whenever the policy file changes.)`,
  );
}

interface Judged {
  findings: Finding[];
  /** the 200 response whose body is to be parsed */
  response?: FetchResponse;
  summary?: string;
  /** set when the fetch failed in a way that says nothing about the domain */
  untestedBecause?: string;
}

/** Map a fetch outcome to findings (RFC 8461 §3.3). */
function judgeFetch(ctx: CheckContext, fetched: FetchResult, hosts: string[] | null): Judged {
  const domain = ctx.domain;
  const host = `mta-sts.${domain}`;
  const url = policyUrl(domain);
  const serveIt = `\n\nThe file to serve there:\n\n${suggestPolicy(domain, hosts).policy.trimEnd()}`;
  if (fetched.kind === 'error') return judgeError(ctx, fetched, host, url, serveIt);

  const r = fetched;
  if (r.status >= 300 && r.status < 400) {
    // §3.3: "HTTP 3xx redirects MUST NOT be followed"
    const where = r.location === undefined ? 'without a Location header' : `to ${r.location}`;
    return {
      findings: [finding(
        'mta_sts.policy_redirect',
        `${url} answers HTTP ${r.status}, redirecting ${where}. RFC 8461 §3.3 forbids senders to follow redirects, so they get no policy and ${domain} gets no MTA-STS protection. (Posture did not follow it either.)`,
        `Serve the policy directly at ${url} with status 200: remove the redirect for /.well-known/mta-sts.txt on ${host} (look for "http→https", "add www." or "trailing slash" rewrite rules, or a hosting provider's default redirect).${serveIt}`,
      )],
      summary: `The MTA-STS policy URL redirects (HTTP ${r.status})`,
    };
  }
  if (r.status !== 200) {
    // §3.3: only a 200 response is a policy
    return {
      findings: [finding(
        'mta_sts.policy_http_error',
        `${url} answers HTTP ${r.status} instead of 200, so senders get no policy and ${domain} gets no MTA-STS protection (RFC 8461 §3.3).`,
        `Make ${url} return the policy with status 200${r.status === 404 ? ' (the file is missing: create /.well-known/mta-sts.txt in the document root of ' + host + ')' : ''}.${serveIt}`,
      )],
      summary: `The MTA-STS policy fetch returned HTTP ${r.status}`,
    };
  }
  const findings: Finding[] = [];
  if (r.contentType !== 'text/plain') {
    // §3.2: the policy is text/plain; senders SHOULD check the media type (parameters such as charset are fine)
    const got = r.contentType === '' ? 'no Content-Type header' : `Content-Type "${r.headers['content-type'] ?? r.contentType}"`;
    findings.push(finding(
      'mta_sts.policy_content_type',
      `${url} is served with ${got}, not text/plain. RFC 8461 §3.2 specifies text/plain and senders SHOULD check it, so a strict sender may discard the policy.`,
      `Configure ${host} to send "Content-Type: text/plain" for /.well-known/mta-sts.txt (for example in nginx: location = /.well-known/mta-sts.txt { types { } default_type text/plain; }).`,
    ));
  }
  return { findings, response: r };
}

function judgeError(ctx: CheckContext, e: FetchError, host: string, url: string, serveIt: string): Judged {
  const domain = ctx.domain;
  const unreachable = (why: string, fix: string, summary: string): Judged => ({
    findings: [finding(
      'mta_sts.policy_host_unreachable',
      `The MTA-STS record says ${domain} has a policy, but it could not be fetched from ${url}: ${why}. Senders without a cached copy behave as if ${domain} had no MTA-STS (RFC 8461 §3.3).`,
      `${fix}${serveIt}`,
    )],
    summary,
  });
  switch (e.stage) {
    case 'dns':
      if (e.code === 'NXDOMAIN' || e.code === 'NODATA') {
        return unreachable(
          `${host} has no A or AAAA record (${e.code})`,
          `Publish an A/AAAA (or CNAME) record for ${host} pointing at a web server that serves HTTPS on port 443 with a certificate for ${host}, or use a hosted MTA-STS service.`,
          `The MTA-STS policy host ${host} does not resolve`,
        );
      }
      // our resolver could not see the address: say nothing about the domain
      return {
        findings: [finding(
          'dns.lookup_failed',
          `The address lookup for ${host} failed (${e.message}), so the MTA-STS policy could not be fetched; nothing is assumed about it.`,
          `Check that the name servers of ${domain} answer A/AAAA queries for ${host}, then run the check again.`,
        )],
        untestedBecause: `The address lookup for ${host} failed, so the policy could not be fetched`,
      };
    case 'policy':
      return unreachable(
        `${e.message.replace(/^not connecting to [^:]+: /, `${host} resolves only to addresses Posture does not connect to: `)}. Posture refuses loopback, private and link-local destinations unless --allow-private-networks is given, and senders on the Internet cannot reach such an address either`,
        `Point ${host} at a publicly reachable web server (an A/AAAA record with a public address). If this is a lab setup, run Posture with --allow-private-networks.`,
        `The MTA-STS policy host ${host} resolves to a non-public address`,
      );
    case 'connect':
      return unreachable(
        `the connection to ${host}${e.address ? ` (${e.address})` : ''} port 443 failed (${e.code})`,
        `Make ${host} accept HTTPS connections on port 443 (check the web server is running and the firewall allows port 443 from the Internet).`,
        `The MTA-STS policy host ${host} refused the connection`,
      );
    case 'timeout':
      return unreachable(
        `${host} did not answer in time (${e.message})`,
        `Make ${host} answer HTTPS requests on port 443 promptly (check firewall rules that drop packets, and the web server's health).`,
        `The MTA-STS policy host ${host} timed out`,
      );
    case 'tls': {
      if (e.certificateError) {
        const leaf: CertSummary | undefined = e.chain?.[0];
        const category = certCategory(e.code);
        const why = describeCertificateError(e.code);
        const facts = leaf
          ? ` The certificate is for ${leaf.subjectAltNames.length > 0 ? leaf.subjectAltNames.join(', ') : leaf.subject}, issued by ${leaf.issuer}, valid ${leaf.notBefore.slice(0, 10)} to ${leaf.notAfter.slice(0, 10)}.`
          : '';
        return {
          findings: [finding(
            'mta_sts.policy_cert_invalid',
            `The HTTPS certificate of ${host} is not valid (${category}): ${why} (${e.code}).${facts} RFC 8461 §3.3 requires a valid certificate for ${host}, so senders discard the policy and ${domain} gets no MTA-STS protection.`,
            `${certFix(e.code, host)}${serveIt}`,
          )],
          summary: `The MTA-STS policy host's certificate is invalid (${category})`,
        };
      }
      return unreachable(
        `the TLS handshake with ${host} failed (${e.code}: ${e.message})`,
        `Serve HTTPS (TLS 1.2 or newer) on port 443 of ${host} with a publicly trusted certificate for ${host}.`,
        `The TLS handshake with the MTA-STS policy host ${host} failed`,
      );
    }
    case 'too_large':
      return {
        findings: [finding(
          'mta_sts.policy_too_large',
          `${url} returns more than 64 KiB (${e.message}). Senders stop reading at about 64 KiB (RFC 8461 §3.3), so they reject or cut off the policy; a real policy is a few lines, so this is probably a web page or the wrong file.`,
          `Serve only the policy (version, mode, mx and max_age lines) at ${url}.${serveIt}`,
        )],
        summary: 'The MTA-STS policy is larger than 64 KiB',
      };
    case 'http':
      return {
        findings: [finding(
          'mta_sts.policy_http_error',
          `The HTTPS request to ${url} failed (${e.code}: ${e.message}), so senders get no policy (RFC 8461 §3.3).`,
          `Make ${url} return the policy as a plain HTTP/1.1 200 response.${serveIt}`,
        )],
        summary: `The MTA-STS policy fetch failed (${e.code})`,
      };
  }
}

/** The plain kind of certificate problem: what the owner has to change. */
function certCategory(code: string): string {
  switch (code) {
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not yet valid';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
    case 'ERR_TLS_CERT_ALTNAME_FORMAT':
    case 'HOSTNAME_MISMATCH':
      return 'wrong name';
    case 'CERT_REVOKED':
      return 'revoked';
    case 'EE_KEY_TOO_SMALL':
    case 'CA_KEY_TOO_SMALL':
    case 'CA_MD_TOO_WEAK':
      return 'weak';
    default:
      return 'untrusted';
  }
}

function certFix(code: string, host: string): string {
  switch (code) {
    case 'CERT_HAS_EXPIRED':
      return `Renew the certificate of ${host} now and set up automatic renewal (e.g. Let's Encrypt with certbot or your host's managed certificates).`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
    case 'HOSTNAME_MISMATCH':
      return `Issue a certificate whose subjectAltName includes ${host} (e.g. certbot -d ${host}) and serve it for that name (SNI).`;
    default:
      return `Serve ${host} with a certificate from a publicly trusted CA (e.g. Let's Encrypt) that covers ${host}, and send the full chain including intermediates.`;
  }
}

function judgeMode(domain: string, url: string, txtName: string, mode: StsMode, maxAge: number): Finding[] {
  const out: Finding[] = [];
  if (mode === 'testing') {
    out.push(finding(
      'mta_sts.mode_testing',
      `The MTA-STS policy of ${domain} is in testing mode: senders check the MX hosts and report failures through TLS-RPT, but still deliver mail when TLS or the certificate check fails, so mail is not yet protected against downgrade or interception (RFC 8461 §5).`,
      `Make sure TLS-RPT is set up (_smtp._tls.${domain} TXT "v=TLSRPTv1; rua=mailto:…"). When its reports show no failures for a couple of weeks, change "mode: testing" to "mode: enforce" in ${url}${maxAge < ONE_WEEK ? ` and raise max_age to at least ${ONE_WEEK}` : ''}, then publish a new id:\n${txtName}. TXT "v=STSv1; id=${freshId()}"`,
    ));
  } else if (mode === 'none') {
    out.push(finding(
      'mta_sts.mode_none',
      `The MTA-STS policy of ${domain} has mode none: the domain has withdrawn MTA-STS, senders drop any cached policy and deliver without requiring authenticated TLS (RFC 8461 §5, §8.3).`,
      `If the withdrawal is intended, keep this policy until senders' cached copies have expired, then remove the TXT record. Otherwise serve a policy with "mode: testing" (then enforce) at ${url} and publish a new id: ${txtName}. TXT "v=STSv1; id=${freshId()}"`,
    ));
  }
  if (mode !== 'none' && maxAge < ONE_WEEK) {
    // §3.2: max_age is "expected ... typically be in the range of weeks or greater"
    out.push(finding(
      'mta_sts.max_age_short',
      `The policy's max_age is ${maxAge} seconds (${human(maxAge)}). RFC 8461 §3.2 expects weeks or more: senders cache the policy only that long, so it protects them against an attacker who blocks the next policy fetch only briefly.`,
      `Set "max_age: ${ONE_WEEK}" (one week) or more in ${url} (1209600 or up to 31557600 once the policy is stable), then publish a new id: ${txtName}. TXT "v=STSv1; id=${freshId()}"`,
    ));
  }
  return out;
}

interface Coverage {
  host: string;
  coveredBy: string | null;
}

function coverageOf(mx: MxSet, patterns: string[]): Coverage[] {
  return mx.hosts.map((host) => ({ host, coveredBy: coveringPattern(patterns, host) }));
}

function notCovered(
  domain: string, url: string, txtName: string, mode: StsMode, maxAge: number,
  policy: ParsedPolicy, allHosts: string[], uncovered: string[],
): Finding {
  const list = uncovered.join(', ');
  const patterns = policy.mx.join(', ');
  // hint when a wildcard was meant to cover several labels
  const deep = uncovered.filter((h) => policy.mx.some((p) => p.startsWith('*.') && h.toLowerCase().endsWith(p.slice(1).toLowerCase())));
  const wildcardNote = deep.length > 0
    ? ` A "*." wildcard matches exactly one left-most label (RFC 8461 §4.1), so it does not cover ${deep.join(', ')}.`
    : '';
  const consequence = mode === 'enforce'
    ? `Under mode enforce, senders that honour MTA-STS refuse to deliver to ${uncovered.length === 1 ? 'that host' : 'those hosts'}, so mail routed there is delayed or bounces.`
    : `The policy is in testing mode, so senders only report this through TLS-RPT and still deliver; it would become a delivery failure once you switch to enforce.`;
  const keep = policy.mx.filter((p) => allHosts.some((h) => coveringPattern([p], h) !== null));
  const needed = suggestPatterns(uncovered).filter((p) => !keep.includes(p));
  const mxLines = [...keep, ...needed].map((p) => `mx: ${p}`);
  const file = ['version: STSv1', `mode: ${mode}`, ...mxLines, `max_age: ${maxAge}`].join('\n');
  return finding(
    'mta_sts.mx_not_covered',
    `MX host${uncovered.length === 1 ? '' : 's'} ${list} of ${domain} match${uncovered.length === 1 ? 'es' : ''} none of the policy's mx patterns (${patterns}).${wildcardNote} ${consequence}`,
    `Add ${needed.map((p) => `"mx: ${p}"`).join(' and ')} to ${url}, so that it reads:\n\n${file}\n\nthen publish a new id so senders fetch it again:\n${txtName}. TXT "v=STSv1; id=${freshId()}"`,
    mode === 'enforce' ? {} : { severity: 'warn' },
  );
}

function summaryOf(mode: StsMode, maxAge: number, coverage: Coverage[], source: MxSource, recordOk: boolean, txtName: string): string {
  if (!recordOk) return `The MTA-STS record at ${txtName} is invalid, so senders ignore the policy (mode ${mode})`;
  if (mode === 'none') return 'MTA-STS withdrawn (mode none)';
  const covered = coverage.filter((c) => c.coveredBy !== null).length;
  const cov = source === 'mx' || source === 'implicit'
    ? `${covered} of ${coverage.length} MX host${coverage.length === 1 ? '' : 's'} covered`
    : source === 'null_mx' ? 'null MX, nothing to cover' : 'MX coverage not checked';
  return `MTA-STS mode ${mode}: ${cov}, max_age ${human(maxAge)}`;
}

function human(seconds: number): string {
  if (seconds >= 86_400 && seconds % 86_400 === 0) return `${seconds / 86_400} day${seconds === 86_400 ? '' : 's'}`;
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} minute${seconds === 60 ? '' : 's'}`;
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

// --- evidence ---------------------------------------------------------------

function recordEvidence(parsed: ParsedStsRecord): Record<string, unknown> {
  return { text: parsed.record, id: parsed.id, extensions: parsed.extensions, problems: parsed.problems };
}

function policyEvidence(p: ParsedPolicy): Record<string, unknown> {
  return {
    version: p.version, mode: p.mode, maxAge: p.maxAge, mx: p.mx, extensions: p.extensions,
    lineEnding: p.lineEnding, errors: p.errors, warnings: p.warnings,
  };
}

function fetchEvidence(f: FetchResult): Record<string, unknown> {
  if (f.kind === 'error') {
    return { url: f.url, error: { stage: f.stage, code: f.code, message: f.message }, ...(f.address ? { address: f.address } : {}) };
  }
  return {
    url: f.url,
    status: f.status,
    contentType: f.headers['content-type'] ?? null,
    bytes: f.bytes,
    address: f.address,
    connectedTo: f.connectedTo,
    ...(f.location !== undefined ? { location: f.location } : {}),
  };
}

function certEvidence(c: CertSummary): Record<string, unknown> {
  return { subject: c.subject, issuer: c.issuer, subjectAltNames: c.subjectAltNames, notBefore: c.notBefore, notAfter: c.notAfter };
}

function tlsEvidence(f: FetchResult): Record<string, unknown> | null {
  if (f.kind === 'response') {
    return {
      authorized: f.tls.authorized,
      protocol: f.tls.protocol,
      cipher: f.tls.cipher,
      ...(f.tls.peerCertificate ? { certificate: certEvidence(f.tls.peerCertificate) } : {}),
    };
  }
  if (f.stage === 'tls') {
    const leaf = f.chain?.[0];
    return { authorized: false, error: f.code, ...(leaf ? { certificate: certEvidence(leaf) } : {}) };
  }
  return null;
}
