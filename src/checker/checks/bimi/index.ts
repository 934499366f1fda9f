/**
 * The BIMI check (draft-brand-indicators-for-message-identification; the BIMI
 * Group's SVG Tiny PS and mark certificate requirements).
 *
 * 1. The assertion record at `default._bimi.<domain>`; when the domain has
 *    none, at `default._bimi.<organizational domain>` (PSL via tldts), as
 *    receivers look it up. A lookup failure makes the check `untested`.
 * 2. The DMARC precondition, read from the DMARC check (a seam: the
 *    orchestrator can hand in its result; by default we run `checkDmarc`, whose
 *    lookups the shared caching resolver de-duplicates).
 * 3. The logo at `l=`: fetched with `safeFetch` (no redirects, address policy,
 *    size cap) and validated as SVG Tiny PS.
 * 4. The mark certificate at `a=`: parsed, dated, matched against the domain;
 *    the trust chain to the Mark Verifying Authorities is not validated.
 *
 * Evidence: `selector`, `location`, `queried`, `inherited`, `record`, `tags`,
 * `dmarc`, `svg` (url, fetch facts, bytes, viewBox, title, problems, …),
 * `vmc` (url, subject, issuer, SANs, validity, chain, embedded logo, …).
 */
import tls from 'node:tls';
import { getDomain } from 'tldts';
import type { CheckContext } from '../../check.ts';
import { lookupFailed, result, untested } from '../../check.ts';
import type { DnsResponse } from '../../dns/types.ts';
import { isLookupFailure } from '../../dns/types.ts';
import { finding } from '../../findings.ts';
import { safeFetch, type FetchResult } from '../../net/https.ts';
import type { CheckResult, Finding } from '../../types.ts';
import { checkDmarc } from '../dmarc/index.ts';
import { assessDmarcForBimi, type DmarcRequirement } from './dmarc.ts';
import { BIMI_VERSION, httpsUrlProblem, isBimiRecord, looksLikeBimi, parseBimi, suggestedRecord } from './record.ts';
import { SVG_MAX_BYTES, validateSvg, type SvgFacts } from './svg.ts';
import { assessVmc, sha256, type VmcFacts } from './vmc.ts';

export { parseBimi, isBimiRecord } from './record.ts';
export type { ParsedBimi } from './record.ts';
export { validateSvg, SVG_MAX_BYTES } from './svg.ts';
export type { SvgFacts } from './svg.ts';
export { assessVmc, extractEmbeddedLogo } from './vmc.ts';
export type { VmcFacts } from './vmc.ts';
export { assessDmarcForBimi } from './dmarc.ts';
export type { DmarcRequirement } from './dmarc.ts';

const ID = 'bimi';
export const BIMI_SELECTOR = 'default';
/** read a little past the limit so "too large" can say by how much */
const SVG_FETCH_CAP = 2 * SVG_MAX_BYTES;
const VMC_FETCH_CAP = 256 * 1024;
const FETCH_TIMEOUT_MS = 10_000;

export interface BimiDeps {
  /** the DMARC result for the domain (default: `checkDmarc(ctx)`) */
  dmarc?: () => Promise<CheckResult>;
  /** the DMARC result for the organizational domain, when the domain is a subdomain (default: `checkDmarc` for it) */
  orgDmarc?: () => Promise<CheckResult>;
  /** the clock for certificate validity */
  now?: () => Date;
}

export function bimiName(domain: string, selector = BIMI_SELECTOR): string {
  return `${selector}._bimi.${domain}`;
}

function txtTexts(response: DnsResponse<'TXT'>): string[] {
  return response.answers.map((a) => a.data.join(''));
}

function bimiLine(domain: string, text: string): string {
  return `${bimiName(domain)} TXT "${text}"`;
}

interface Lookup {
  domain: string;
  name: string;
  response: DnsResponse<'TXT'>;
  records: string[];
  others: string[];
}

async function lookupBimi(ctx: CheckContext, domain: string): Promise<Lookup> {
  const name = bimiName(domain);
  const response = await ctx.resolver.query(name, 'TXT', { signal: ctx.signal });
  const texts = response.outcome === 'answer' ? txtTexts(response) : [];
  return { domain, name, response, records: texts.filter(isBimiRecord), others: texts.filter((t) => !isBimiRecord(t)) };
}

export async function checkBimi(ctx: CheckContext, deps: BimiDeps = {}): Promise<CheckResult> {
  const domain = ctx.domain;
  const org = getDomain(domain) ?? domain;
  const now = deps.now ?? (() => new Date());

  // DMARC is needed only when there is a record; started lazily, memoised
  let dmarcPromise: Promise<DmarcRequirement> | undefined;
  const dmarc = (): Promise<DmarcRequirement> => {
    dmarcPromise ??= (async () => {
      const ownP = (deps.dmarc ?? (() => checkDmarc(ctx)))();
      const orgP = org === domain
        ? ownP
        : (deps.orgDmarc ?? (() => checkDmarc({ ...ctx, domain: org })))();
      const [own, orgRes] = await Promise.all([ownP, orgP]);
      return assessDmarcForBimi({ domain, result: own }, { domain: org, result: orgRes });
    })();
    return dmarcPromise;
  };

  const own = await lookupBimi(ctx, domain);
  const queried: Array<Record<string, unknown>> = [{ name: own.name, outcome: own.response.outcome, bimiRecords: own.records.length }];
  if (isLookupFailure(own.response.outcome)) {
    return untested(ID, `Could not look up ${own.name}`, [lookupFailed(own.response)], { selector: BIMI_SELECTOR, location: own.name, queried });
  }

  let used = own;
  if (own.records.length === 0 && org !== domain) {
    const parent = await lookupBimi(ctx, org);
    queried.push({ name: parent.name, outcome: parent.response.outcome, bimiRecords: parent.records.length });
    if (isLookupFailure(parent.response.outcome)) {
      return untested(ID, `Could not look up ${parent.name}`, [lookupFailed(parent.response)], { selector: BIMI_SELECTOR, location: parent.name, queried });
    }
    if (parent.records.length > 0) used = parent;
    else if (own.others.filter(looksLikeBimi).length === 0 && parent.others.some(looksLikeBimi)) used = parent;
  }
  const inherited = used.domain !== domain;
  const base: Record<string, unknown> = {
    selector: BIMI_SELECTOR,
    organizationalDomain: org,
    queried,
    location: used.records.length ? used.name : null,
    inherited,
    otherTxt: used.others,
  };

  // no record receivers would use
  if (used.records.length === 0) {
    const nearMisses = used.others.filter(looksLikeBimi);
    if (nearMisses.length) {
      const parsed = parseBimi(nearMisses[0] ?? '');
      return result(ID, `The TXT record at ${used.name} is not a valid BIMI record`, [
        finding(
          'bimi.record_invalid',
          `${used.name} holds "${nearMisses[0]}", which looks like BIMI but receivers discard it: ${parsed.problems.map((p) => p.message).join('; ')}. So no logo is shown.`,
          `Replace it with ${bimiLine(used.domain, suggestedRecord(parsed, `https://${used.domain}/bimi/logo.svg`))}`,
        ),
      ], { ...base, location: used.name, record: nearMisses[0], records: [] });
    }
    const where = org !== domain ? `${own.name} or ${bimiName(org)}` : own.name;
    return result(ID, `No BIMI record at ${where}`, [
      finding(
        'bimi.missing',
        `${domain} publishes no BIMI record (none at ${where}), so mailbox providers show no brand logo next to its mail. BIMI is branding, not protection.`,
        `If you want your logo shown: enforce DMARC first (p=quarantine or p=reject), then publish ${bimiLine(domain, `${BIMI_VERSION}; l=https://${domain}/bimi/logo.svg; a=`)} with an SVG Tiny PS logo at that URL (and a mark certificate in a= for the providers that require one).`,
      ),
    ], { ...base, record: null, records: [] });
  }

  if (used.records.length > 1) {
    return result(ID, `${used.records.length} BIMI records at ${used.name}: receivers ignore them all`, [
      finding(
        'bimi.record_invalid',
        `${used.name} has ${used.records.length} BIMI records (${used.records.map((r) => `"${r}"`).join(', ')}); receivers treat that as no record, so no logo is shown.`,
        `Keep exactly one: delete all but ${bimiLine(used.domain, used.records[0] ?? '')}.`,
      ),
    ], { ...base, record: null, records: used.records });
  }

  const text = used.records[0] ?? '';
  const parsed = parseBimi(text);
  const evidence: Record<string, unknown> = {
    ...base,
    record: text,
    records: used.records,
    tags: Object.fromEntries(parsed.tags.map((t) => [t.name, t.value])),
    unknownTags: parsed.unknownTags,
    declined: parsed.declined,
  };
  const findings: Finding[] = [];
  const inheritedNote = inherited ? ` (${domain} has no record of its own and uses its organizational domain's record)` : '';

  if (parsed.problems.length) {
    findings.push(finding(
      'bimi.record_invalid',
      `The BIMI record at ${used.name}${inheritedNote} is invalid: ${parsed.problems.map((p) => p.message).join('; ')}. Receivers ignore an invalid record, so no logo is shown.`,
      `Publish ${bimiLine(used.domain, suggestedRecord(parsed, `https://${used.domain}/bimi/logo.svg`))}`,
    ));
  }

  if (parsed.declined && !parsed.problems.length) {
    return result(ID, `${used.name} declines BIMI (empty l=)`, [
      finding(
        'bimi.missing',
        `The BIMI record at ${used.name}${inheritedNote} is a declination ("${text}"): it says ${domain} has no logo to show.`,
        `Nothing to do unless you want a logo: then put its HTTPS URL in l=, e.g. ${bimiLine(used.domain, `${BIMI_VERSION}; l=https://${used.domain}/bimi/logo.svg; a=`)}`,
      ),
    ], evidence);
  }

  // everything else runs at once
  const logoUrl = parsed.logos[0];
  const fetchableLogo = logoUrl !== undefined && httpsUrlProblem('l', logoUrl) === null ? logoUrl : undefined;
  const vmcUrl = parsed.authority && !parsed.problems.some((p) => p.tag === 'a') ? parsed.authority : undefined;
  const [dmarcReq, svgOutcome, vmcOutcome] = await Promise.all([
    dmarc(),
    fetchableLogo ? fetchDocument(ctx, fetchableLogo, SVG_FETCH_CAP) : Promise.resolve(null),
    vmcUrl ? fetchDocument(ctx, vmcUrl, VMC_FETCH_CAP) : Promise.resolve(null),
  ]);

  // DMARC precondition
  evidence.dmarc = { verdict: dmarcReq.verdict, ...dmarcReq.evidence };
  if (dmarcReq.verdict === 'not_enforced') {
    findings.push(finding(
      'bimi.dmarc_not_enforced',
      `${domain} publishes BIMI, but ${dmarcReq.reasons.join('; ')}. Receivers show a BIMI logo only for mail under an enforcing DMARC policy (quarantine or reject, for all mail), so no logo is shown.`,
      `Enforce DMARC first (after checking your aggregate reports that legitimate mail passes): publish ${dmarcReq.fixes.join(' and ')}.`,
    ));
  } else if (dmarcReq.verdict === 'unknown') {
    findings.push(finding(
      'dns.lookup_failed',
      `Whether DMARC enforces, as BIMI requires, is unknown: ${dmarcReq.unknownBecause ?? 'the DMARC check could not be completed'}. Nothing is assumed about it.`,
      `Run the check again; if it keeps failing, check that the name servers answer TXT queries for _dmarc.${domain}.`,
    ));
  }

  // the logo
  let svgBytes: Buffer | null = null;
  if (fetchableLogo) {
    const svgEvidence: Record<string, unknown> = { url: fetchableLogo };
    evidence.svg = svgEvidence;
    const outcome = svgOutcome!;
    if (outcome.kind === 'lookup_failed') {
      findings.push(lookupFailedFinding(fetchableLogo, outcome.reason, 'logo'));
      svgEvidence.fetch = { error: outcome.reason };
    } else if (outcome.kind === 'failed') {
      svgEvidence.fetch = outcome.facts;
      findings.push(finding(
        'bimi.svg_invalid',
        `The BIMI logo at ${fetchableLogo} could not be fetched: ${outcome.reason}. (There is no separate code for an unreachable logo: a logo receivers cannot fetch is as good as an invalid one.)`,
        outcome.fix,
      ));
    } else {
      svgEvidence.fetch = outcome.facts;
      svgBytes = Buffer.from(outcome.body, 'utf8');
      const facts = validateSvg(svgBytes);
      facts.bytes = outcome.bytes;
      if (outcome.bytes > SVG_MAX_BYTES && !facts.problems.some((p) => p.includes('bytes'))) {
        facts.problems.unshift(`the file is ${outcome.bytes} bytes; BIMI allows at most ${SVG_MAX_BYTES} bytes (32 KiB)`);
      }
      Object.assign(svgEvidence, svgSummary(facts));
      findings.push(...svgFindings(fetchableLogo, facts, 'served at'));
    }
  } else if (parsed.logos.length === 0 && vmcUrl) {
    evidence.svg = { url: null, note: 'l= is empty: receivers take the logo from the mark certificate' };
  }

  // the mark certificate
  if (parsed.authority === null || parsed.authority === '') {
    findings.push(finding(
      'bimi.no_vmc',
      `The BIMI record at ${used.name} has ${parsed.authority === null ? 'no a= tag' : 'an empty a= tag'}: no mark certificate (VMC or CMC). Most large mailbox providers (Gmail, Apple Mail) show a BIMI logo only with one, so the logo may be shown by few providers or none.`,
      `Obtain a Verified Mark Certificate (or Common Mark Certificate) for the logo from a Mark Verifying Authority, host the PEM over HTTPS and publish ${bimiLine(used.domain, `${BIMI_VERSION}; l=${logoUrl ?? `https://${used.domain}/bimi/logo.svg`}; a=https://${used.domain}/bimi/vmc.pem`)}`,
    ));
  } else if (vmcUrl) {
    const vmcEvidence: Record<string, unknown> = { url: vmcUrl };
    evidence.vmc = vmcEvidence;
    const outcome = vmcOutcome!;
    if (outcome.kind === 'lookup_failed') {
      findings.push(lookupFailedFinding(vmcUrl, outcome.reason, 'mark certificate'));
      vmcEvidence.fetch = { error: outcome.reason };
    } else if (outcome.kind === 'failed') {
      vmcEvidence.fetch = outcome.facts;
      findings.push(finding(
        'bimi.vmc_invalid',
        `The mark certificate at ${vmcUrl} could not be fetched: ${outcome.reason}.`,
        outcome.fix,
      ));
    } else {
      vmcEvidence.fetch = outcome.facts;
      const names = [...new Set([domain, used.domain, org])];
      const facts = assessVmc(outcome.body, names, now());
      Object.assign(vmcEvidence, vmcSummary(facts));
      if (facts.problems.length) {
        findings.push(finding(
          'bimi.vmc_invalid',
          `The mark certificate at ${vmcUrl} is not valid for ${domain}: ${facts.problems.join('; ')}. Providers that require a certificate will not show the logo. (Its chain to a Mark Verifying Authority was not checked.)`,
          vmcFix(facts, domain, org),
        ));
      }
      findings.push(...embeddedLogoFindings(facts, svgBytes, fetchableLogo ?? null, vmcUrl, vmcEvidence));
    }
  }

  return result(ID, summaryOf(used.name, findings, dmarcReq), findings, evidence);
}

function summaryOf(location: string, findings: Finding[], dmarcReq: DmarcRequirement): string {
  const codes = new Set(findings.map((f) => f.code));
  if (codes.has('bimi.record_invalid')) return `BIMI record at ${location} is invalid`;
  if (codes.has('bimi.dmarc_not_enforced')) return `BIMI record at ${location}, but DMARC does not enforce`;
  if (codes.has('bimi.svg_invalid')) return `BIMI record at ${location}; the logo is not valid SVG Tiny PS`;
  if (codes.has('bimi.vmc_invalid')) return `BIMI record at ${location}; the mark certificate is not valid`;
  if (codes.has('bimi.no_vmc')) return `BIMI record at ${location} without a mark certificate`;
  if (dmarcReq.verdict === 'unknown') return `BIMI record at ${location}; DMARC enforcement could not be verified`;
  return `BIMI record at ${location} with a valid logo and mark certificate`;
}

function lookupFailedFinding(url: string, reason: string, what: string): Finding {
  const host = (() => {
    try {
      return new URL(url).hostname;
    } catch {
      return url;
    }
  })();
  return finding(
    'dns.lookup_failed',
    `The ${what} at ${url} could not be checked: ${reason}. Nothing is assumed about it.`,
    `Check that the name servers for ${host} answer A/AAAA queries, then run the check again.`,
  );
}

// ---------- fetching ----------

type DocOutcome =
  | { kind: 'ok'; body: string; bytes: number; facts: Record<string, unknown> }
  | { kind: 'failed'; reason: string; fix: string; facts: Record<string, unknown> }
  | { kind: 'lookup_failed'; reason: string };

const LOOKUP_FAILURE_CODES = new Set(['TIMEOUT', 'SERVFAIL', 'REFUSED', 'ERROR']);

async function fetchDocument(ctx: CheckContext, url: string, cap: number): Promise<DocOutcome> {
  const extra = ctx.options.extraCa;
  const res: FetchResult = await safeFetch(url, {
    resolver: ctx.resolver,
    allowPrivateNetworks: ctx.options.allowPrivateNetworks,
    connectTo: ctx.connectTo,
    ...(extra && extra.length ? { ca: [...tls.rootCertificates, ...extra] } : {}),
    maxBytes: cap,
    timeoutMs: Math.min(ctx.options.timeoutMs, FETCH_TIMEOUT_MS),
    signal: ctx.signal,
  });
  let host = url;
  try {
    host = new URL(url).hostname;
  } catch { /* keep the URL */ }
  if (res.kind === 'error') {
    const facts = { error: res.code, stage: res.stage, message: res.message, ...(res.address ? { address: res.address } : {}) };
    if (res.stage === 'dns' && LOOKUP_FAILURE_CODES.has(res.code)) return { kind: 'lookup_failed', reason: res.message };
    switch (res.stage) {
      case 'dns':
        return { kind: 'failed', facts, reason: `${host} does not resolve (${res.code})`, fix: `Publish an A/AAAA record for ${host}, or point the URL at a host that serves the file over HTTPS.` };
      case 'policy':
        return { kind: 'failed', facts, reason: `${host} resolves only to private, loopback or otherwise non-public addresses, which receivers (and Posture, without --allow-private-networks) do not connect to`, fix: `Serve the file from a host with a public address.` };
      case 'tls':
        return {
          kind: 'failed', facts,
          reason: res.certificateError ? `the HTTPS certificate of ${host} is not accepted (${res.code})` : `the TLS handshake with ${host} failed (${res.message})`,
          fix: `Serve ${url} over HTTPS with a certificate from a public CA that covers ${host} and is in date.`,
        };
      case 'too_large':
        return { kind: 'failed', facts, reason: `the file is larger than ${cap} bytes`, fix: `Serve a smaller file (a BIMI logo must be at most ${SVG_MAX_BYTES} bytes).` };
      case 'timeout':
        return { kind: 'failed', facts, reason: `the server did not answer in time from here (${res.message})`, fix: `Make sure ${url} answers promptly over HTTPS.` };
      default:
        return { kind: 'failed', facts, reason: `${res.message} (${res.code})`, fix: `Make sure ${url} is reachable over HTTPS (port 443) and returns the file with status 200.` };
    }
  }
  const facts: Record<string, unknown> = {
    status: res.status, contentType: res.contentType, bytes: res.bytes, address: res.address, connectedTo: res.connectedTo,
  };
  if (res.status !== 200) {
    if (res.status >= 300 && res.status < 400) {
      return {
        kind: 'failed', facts: { ...facts, location: res.location ?? null },
        reason: `the server answered HTTP ${res.status} (a redirect${res.location ? ` to ${res.location}` : ''}), which Posture does not follow and receivers may not either`,
        fix: `Put the final URL${res.location ? ` (${res.location})` : ''} in the record, or serve the file directly at ${url} with status 200.`,
      };
    }
    return { kind: 'failed', facts, reason: `the server answered HTTP ${res.status}`, fix: `Serve the file at ${url} with status 200 (check the path).` };
  }
  return { kind: 'ok', body: res.body, bytes: res.bytes, facts };
}

// ---------- SVG ----------

function svgSummary(facts: SvgFacts): Record<string, unknown> {
  return {
    bytes: facts.bytes,
    wellFormed: facts.wellFormed,
    root: facts.root,
    version: facts.version,
    baseProfile: facts.baseProfile,
    title: facts.title,
    viewBox: facts.viewBox,
    width: facts.width,
    height: facts.height,
    square: facts.square,
    dimensions: facts.dimensions,
    problems: facts.problems,
  };
}

function svgFindings(where: string, facts: SvgFacts, verb: 'served at' | 'embedded in'): Finding[] {
  const out: Finding[] = [];
  if (facts.problems.length) {
    const fixes: string[] = [];
    if (facts.rootFixes.length) fixes.push(`On the root <svg> element: ${facts.rootFixes.join(', ')}.`);
    if (!facts.title) fixes.push('Add <title>Your Brand</title> as the first child of <svg>.');
    if (facts.problems.some((p) => /script|animation|foreignObject|image|multimedia|external|event handler|@import/.test(p))) {
      fixes.push('Remove scripts, animation, <foreignObject>, <image>, event handlers and every external reference (only href="#…" and url(#…) may stay).');
    }
    if (facts.problems.some((p) => /DOCTYPE/.test(p))) fixes.push('Remove the <!DOCTYPE …> declaration.');
    if (facts.problems.some((p) => /bytes/.test(p))) fixes.push(`Shrink the file to ${SVG_MAX_BYTES} bytes or less (simplify paths, drop metadata).`);
    fixes.push('A conforming root looks like: <svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" viewBox="0 0 512 512"><title>Your Brand</title>…</svg>; export or convert the logo to SVG Tiny PS and check it again.');
    out.push(finding(
      'bimi.svg_invalid',
      `The BIMI logo ${verb} ${where} is not valid SVG Tiny PS: ${facts.problems.join('; ')}. Mailbox providers refuse such logos.`,
      fixes.join(' '),
    ));
  }
  if (facts.square === false && facts.dimensions) {
    const { width, height, from } = facts.dimensions;
    const side = Math.max(width, height);
    out.push(finding(
      'bimi.svg_not_square',
      `The BIMI logo ${verb} ${where} is ${width}×${height} (from its ${from}), not square; providers show logos in a square or circle, so it may be cropped or distorted.`,
      `Make the canvas square with the logo centred on a solid background, e.g. viewBox="0 0 ${side} ${side}"${from === 'width/height' ? ` (or width="${side}" height="${side}")` : ''}.`,
    ));
  }
  return out;
}

// ---------- VMC ----------

function vmcSummary(facts: VmcFacts): Record<string, unknown> {
  const leaf = facts.chain[0];
  return {
    subject: leaf?.subject ?? null,
    issuer: leaf?.issuer ?? null,
    sans: facts.sans,
    notBefore: leaf?.notBefore ?? null,
    notAfter: leaf?.notAfter ?? null,
    validNow: facts.validNow,
    acceptableNames: facts.acceptableNames,
    coveredBy: facts.coveredBy,
    chain: facts.chain,
    chainLinked: facts.chainLinked,
    bimiExtendedKeyUsage: facts.bimiEku,
    logotypeExtension: facts.logotypeExtension,
    embeddedLogo: facts.embeddedLogo,
    chainValidation: 'not checked: trust in the Mark Verifying Authorities (VMC/CMC issuers) is out of scope',
    problems: facts.problems,
  };
}

function vmcFix(facts: VmcFacts, domain: string, org: string): string {
  const parts: string[] = [];
  if (facts.chain.length === 0) parts.push('Serve the mark certificate as a PEM file (leaf first, then the issuing CA certificates).');
  if (facts.validNow === false) parts.push('Renew the mark certificate with its issuer and replace the PEM at a=.');
  if (facts.chain.length && facts.coveredBy === null) {
    parts.push(`Use a mark certificate issued for ${domain}${org !== domain ? ` or ${org}` : ''} (its subjectAltName must list the domain).`);
  }
  return parts.join(' ') || 'Reissue the mark certificate for this domain.';
}

function embeddedLogoFindings(
  facts: VmcFacts,
  svgBytes: Buffer | null,
  logoUrl: string | null,
  vmcUrl: string,
  vmcEvidence: Record<string, unknown>,
): Finding[] {
  const logo = facts.embeddedLogoSvg ? { svg: facts.embeddedLogoSvg } : null;
  if (!logo) return [];
  const out: Finding[] = [];
  if (svgBytes && logoUrl) {
    const same = sha256(svgBytes) === sha256(logo.svg) || normaliseSvg(svgBytes) === normaliseSvg(logo.svg);
    vmcEvidence.logoMatchesSvg = same;
    if (!same) {
      out.push(finding(
        'bimi.vmc_invalid',
        `The mark certificate at ${vmcUrl} embeds a different logo (${logo.svg.length} bytes, sha256 ${sha256(logo.svg).slice(0, 16)}…) from the one at ${logoUrl} (${svgBytes.length} bytes). Providers display the certificate's logo, or refuse the mismatch.`,
        `Serve at ${logoUrl} exactly the SVG the certificate was issued for (the one embedded in it), or have the certificate reissued for the new logo.`,
        { severity: 'warn' },
      ));
    }
  } else if (!logoUrl) {
    // l= empty: the embedded logo is the logo; hold it to the same profile
    const svgFacts = validateSvg(logo.svg);
    vmcEvidence.embeddedLogoFacts = svgSummary(svgFacts);
    out.push(...svgFindings(vmcUrl, svgFacts, 'embedded in'));
  }
  return out;
}

function normaliseSvg(b: Buffer): string {
  return b.toString('utf8').replace(/^\uFEFF/, '').replace(/\r\n/g, '\n').trim();
}
