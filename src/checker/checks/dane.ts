/**
 * The DANE check (`dane`, RFC 7672 SMTP DANE; RFC 7671 operational guidance; RFC 6698 TLSA).
 *
 * For every examined MX host we ask for TLSA at `_25._tcp.<host>` through `dnssecStatus`, so each
 * answer is secure, insecure, bogus or unknown, and the evidence names the resolver that vouched.
 *
 * - No TLSA at any host → `dane.missing` (info). Some hosts with and some without → the ones
 *   without are named in a `dane.missing` finding too (partial deployment).
 * - TLSA in an unsigned zone (answer without AD) → `dane.tlsa_insecure` (fail): senders ignore it
 *   (RFC 7672 §2.2). Decision: a BOGUS TLSA lookup is also `dane.tlsa_insecure` (fail), with a
 *   message that says bogus: DANE senders must treat the host as unusable and defer the mail
 *   (RFC 7672 §2.1.1), which is worse than no DANE. A failed lookup (timeout, SERVFAIL with no
 *   answer even with CD=1) is `dns.lookup_failed` and that host is untested.
 * - Usable records (RFC 7672 §3.1): usage DANE-TA(2) / DANE-EE(3), selector 0/1, matching type
 *   0/1/2 with a digest of the right length. PKIX-TA(0) / PKIX-EE(1) → `dane.pkix_usage` (warn);
 *   they are not used for SMTP (RFC 7672 §3.1.3). Selector 0 (full cert) or matching type 0
 *   (exact) → `dane.nonrecommended_params` (info; RFC 7671 §5.1 recommends 3 1 1 and 2 1 1);
 *   malformed or unknown parameters are reported there too, as unusable. Exactly one TLSA record
 *   at a host → `dane.no_rollover` (info; RFC 7671 §8).
 * - Matching against the chain the MX served in the shared STARTTLS probe (the run-wide probe
 *   cache and the STARTTLS check's address plan, so the same connection as the STARTTLS check;
 *   hosts without secure usable TLSA are not probed by this check at all):
 *     DANE-EE(3): the leaf; name, issuer and dates are ignored (RFC 7672 §3.1.1).
 *     DANE-TA(2): any certificate of the served chain above the leaf (RFC 7671 §5.2.2), or — for a
 *       full TA in DNS (2 0 0 / 2 1 0) — the issuer of one; the chain from the leaf up to the TA
 *       must verify, the leaf must cover the MX host name and be within its dates (RFC 7672 §3.1.2).
 *   No usable record matches on a tested address → `dane.mismatch` (fail). A host with usable
 *   TLSA that does not offer STARTTLS, or whose handshake fails, is also `dane.mismatch`: DANE
 *   makes TLS mandatory (RFC 7672 §2.2), so DANE senders will not deliver.
 * - `--no-smtp`, or an unreachable address: TLSA presence and DNSSEC status are still reported,
 *   matching is untested (said in the summary and evidence; an unreachable address adds
 *   `starttls.unreachable`). The check is `untested` when no host could be fully assessed (its TLSA
 *   lookup failed, or it has secure usable TLSA that could not be matched) — the findings seen so
 *   far are still attached.
 *
 * Limits (documented, not done): the CNAME-expanded TLSA base name (RFC 7672 §2.2.2) is not
 * tried; the "served chain" is what Node exposes after verification, which may include a root
 * from our own trust store that the server did not send.
 */
import { X509Certificate, createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { lookupFailed, result, untested, type CheckContext } from '../check.ts';
import type { TlsaData } from '../dns/types.ts';
import { isLookupFailure } from '../dns/types.ts';
import { finding } from '../findings.ts';
import type { ProbeResult, ProbeTimeouts } from '../net/smtp-probe.ts';
import type { CertSummary } from '../net/tls-facts.ts';
import type { CheckResult, Finding } from '../types.ts';
import { dnssecStatus, resolverTrust, type DnssecVerdict } from './dnssec.ts';
import { resolveMxHosts, type MxFacts } from './mx.ts';
import { chainEntry, describeCert, planProbes, probeMxAddress, type DaneValidated, type HostProbes } from './starttls.ts';

export interface DaneDeps {
  /** probe stage timeouts (tests) */
  probeTimeouts?: Partial<ProbeTimeouts>;
  /** the clock, for DANE-TA date checks (tests) */
  now?: () => Date;
}

// ---------------------------------------------------------------------------------------------
// TLSA records

/** "3 1 1 abcd…" */
export function tlsaText(r: TlsaData): string {
  return `${r.usage} ${r.selector} ${r.matchingType} ${r.data}`;
}

function shortTlsa(r: TlsaData): string {
  return `${r.usage} ${r.selector} ${r.matchingType} ${r.data.length > 16 ? `${r.data.slice(0, 16)}…` : r.data}`;
}

export type TlsaUsability = 'usable' | 'pkix' | 'unusable';

/** RFC 7672 §3.1: which records an SMTP client uses; with a reason for the others. */
export function classifyTlsa(r: TlsaData): { kind: TlsaUsability; reason?: string } {
  if (r.usage === 0 || r.usage === 1) return { kind: 'pkix', reason: `usage ${r.usage} (${r.usage === 0 ? 'PKIX-TA' : 'PKIX-EE'}) is not used for SMTP (RFC 7672 §3.1.3)` };
  if (r.usage !== 2 && r.usage !== 3) return { kind: 'unusable', reason: `unknown usage ${r.usage}` };
  if (r.selector !== 0 && r.selector !== 1) return { kind: 'unusable', reason: `unknown selector ${r.selector}` };
  if (r.matchingType !== 0 && r.matchingType !== 1 && r.matchingType !== 2) return { kind: 'unusable', reason: `unknown matching type ${r.matchingType}` };
  if (!/^([0-9a-f]{2})+$/i.test(r.data)) return { kind: 'unusable', reason: 'the association data is not hexadecimal' };
  const bytes = r.data.length / 2;
  if (r.matchingType === 1 && bytes !== 32) return { kind: 'unusable', reason: `a SHA-256 digest has 32 bytes, this one ${bytes}` };
  if (r.matchingType === 2 && bytes !== 64) return { kind: 'unusable', reason: `a SHA-512 digest has 64 bytes, this one ${bytes}` };
  return { kind: 'usable' };
}

/** The bytes a selector picks from a certificate (RFC 6698 §2.1.2). */
function selected(cert: X509Certificate, selector: number): Buffer {
  return selector === 0 ? cert.raw : cert.publicKey.export({ type: 'spki', format: 'der' });
}

/** The matching type applied to those bytes (RFC 6698 §2.1.3), lower-case hex. */
function associate(bytes: Buffer, matchingType: number): string {
  if (matchingType === 1) return createHash('sha256').update(bytes).digest('hex');
  if (matchingType === 2) return createHash('sha512').update(bytes).digest('hex');
  return bytes.toString('hex');
}

/** The association data a record with these parameters would carry for `der` (tests, fixes). */
export function tlsaDataFor(der: Buffer, selector: number, matchingType: number): string {
  return associate(selected(new X509Certificate(der), selector), matchingType);
}

/**
 * A served certificate parsed once, with the association data computed for it so far. The probe cache
 * hands every domain on a shared MX fleet the same chain objects, so a bulk run would otherwise parse
 * the same DER and export the same SPKI for each domain and address (docs/performance.md). Keyed
 * weakly by the chain entry and checked against its DER, so it lives as long as the probe result.
 */
interface ParsedCert {
  der: string;
  cert: X509Certificate;
  associations: Map<string, string>;
}

const parsedCerts = new WeakMap<CertSummary, ParsedCert>();

function parsedCert(c: CertSummary): ParsedCert {
  let p = parsedCerts.get(c);
  if (!p || p.der !== c.derBase64) {
    p = { der: c.derBase64, cert: new X509Certificate(Buffer.from(c.derBase64, 'base64')), associations: new Map() };
    parsedCerts.set(c, p);
  }
  return p;
}

function associationOf(p: ParsedCert, selector: number, matchingType: number): string {
  const key = `${selector} ${matchingType}`;
  let data = p.associations.get(key);
  if (data === undefined) {
    data = associate(selected(p.cert, selector), matchingType);
    p.associations.set(key, data);
  }
  return data;
}

export interface RecordMatch {
  record: string;
  matched: boolean;
  /** the chain position (0 = leaf) of the certificate the record matched */
  chainIndex?: number;
  cert?: string;
  /** why a matching TA did not validate, or how it matched */
  note?: string;
}

function chainValidUpTo(certs: X509Certificate[], top: number): string | undefined {
  for (let j = 0; j < top; j++) {
    const child = certs[j]!;
    const parent = certs[j + 1]!;
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      return `certificate ${j} of the chain is not signed by certificate ${j + 1}`;
    }
  }
  return undefined;
}

function leafAcceptableForTa(leaf: CertSummary | undefined, hostnameMatches: boolean, host: string, now: Date): string | undefined {
  if (!hostnameMatches) return `the leaf certificate does not cover ${host}, which DANE-TA requires (RFC 7672 §3.2.2)`;
  if (leaf && (Date.parse(leaf.notAfter) < now.getTime() || Date.parse(leaf.notBefore) > now.getTime())) {
    return `the leaf certificate is outside its validity period (${leaf.notBefore.slice(0, 10)} to ${leaf.notAfter.slice(0, 10)})`;
  }
  return undefined;
}

/**
 * Match one usable record against a served chain (leaf first). DANE-EE compares the leaf only;
 * DANE-TA looks for the trust anchor above the leaf (or, for a full TA in DNS, its issuer role)
 * and requires a valid path, name and dates.
 */
export function matchTlsa(
  r: TlsaData,
  chain: CertSummary[],
  ctx: { host: string; hostnameMatches: boolean; now: Date },
): RecordMatch {
  const record = tlsaText(r);
  let parsed: ParsedCert[];
  try {
    parsed = chain.map(parsedCert);
  } catch {
    return { record, matched: false, note: 'the served chain could not be parsed' };
  }
  const certs = parsed.map((p) => p.cert);
  if (certs.length === 0) return { record, matched: false, note: 'no certificate was served' };
  const want = r.data.toLowerCase();
  const matchesAt = (i: number): boolean => associationOf(parsed[i]!, r.selector, r.matchingType) === want;

  if (r.usage === 3) {
    return matchesAt(0)
      ? { record, matched: true, chainIndex: 0, cert: chain[0]!.subject, note: 'DANE-EE: matches the leaf' }
      : { record, matched: false };
  }

  // DANE-TA: a certificate above the leaf
  let failure: string | undefined;
  for (let k = 1; k < certs.length; k++) {
    if (!matchesAt(k)) continue;
    const why = chainValidUpTo(certs, k) ?? leafAcceptableForTa(chain[0], ctx.hostnameMatches, ctx.host, ctx.now);
    if (!why) return { record, matched: true, chainIndex: k, cert: chain[k]!.subject, note: 'DANE-TA: the trust anchor is in the served chain and the path to the leaf verifies' };
    failure ??= `matches ${chain[k]!.subject}, but ${why}`;
  }
  // DANE-TA with the full anchor in DNS: it may sign a served certificate without being served
  if (r.matchingType === 0) {
    let taKey: KeyObject | undefined;
    let taCert: X509Certificate | undefined;
    try {
      const der = Buffer.from(r.data, 'hex');
      if (r.selector === 0) {
        taCert = new X509Certificate(der);
        taKey = taCert.publicKey;
      } else {
        taKey = createPublicKey({ key: der, format: 'der', type: 'spki' });
      }
    } catch {
      return { record, matched: false, note: 'the association data is not a certificate or public key' };
    }
    for (let j = 0; j < certs.length; j++) {
      const c = certs[j]!;
      if ((taCert && !c.checkIssued(taCert)) || !c.verify(taKey)) continue;
      const why = chainValidUpTo(certs, j) ?? leafAcceptableForTa(chain[0], ctx.hostnameMatches, ctx.host, ctx.now);
      if (!why) return { record, matched: true, chainIndex: j, cert: chain[j]!.subject, note: `DANE-TA: the anchor from DNS signed ${chain[j]!.subject}` };
      failure ??= `the anchor signed ${chain[j]!.subject}, but ${why}`;
    }
  }
  return failure ? { record, matched: false, note: failure } : { record, matched: false };
}

// ---------------------------------------------------------------------------------------------
// Per-host facts, memoised per context (shared with the STARTTLS check's DANE tolerance)

export type AddressDane =
  | { address: string; state: 'validated'; via: 'ee' | 'ta'; matches: RecordMatch[] }
  | { address: string; state: 'mismatch'; matches: RecordMatch[]; probe: ProbeResult }
  | { address: string; state: 'no_tls'; probe: ProbeResult }
  | { address: string; state: 'untested'; why: string; probe?: ProbeResult };

export interface HostDane {
  host: string;
  tlsaName: string;
  verdict: DnssecVerdict<'TLSA'>;
  /** TLSA records seen (for a bogus lookup: those of the CD=1 retry, never trusted) */
  records: TlsaData[];
  usable: TlsaData[];
  /** DNSSEC-secure usable records exist: DANE applies to this host */
  daneApplies: boolean;
  probes: HostProbes;
  addresses: AddressDane[];
}

export interface DaneFacts {
  /** false under --no-smtp */
  probed: boolean;
  mx: MxFacts;
  hosts: HostDane[];
}

const runs = new WeakMap<CheckContext, Promise<DaneFacts>>();
const tlsaRuns = new WeakMap<CheckContext, Map<string, Promise<DnssecVerdict<'TLSA'>>>>();

function tlsaVerdict(ctx: CheckContext, name: string): Promise<DnssecVerdict<'TLSA'>> {
  let m = tlsaRuns.get(ctx);
  if (!m) tlsaRuns.set(ctx, (m = new Map()));
  let p = m.get(name);
  if (!p) {
    p = dnssecStatus(ctx.resolver, name, 'TLSA', { signal: ctx.signal });
    p.catch(() => undefined);
    m.set(name, p);
  }
  return p;
}

function recordsOf(v: DnssecVerdict<'TLSA'>): TlsaData[] {
  if (v.response.outcome === 'answer') return v.response.answers.map((a) => a.data);
  if (v.status === 'bogus' && v.cdResponse?.outcome === 'answer') return v.cdResponse.answers.map((a) => a.data);
  return [];
}

/**
 * TLSA for every examined MX host, then — only for hosts with DNSSEC-secure usable records —
 * the STARTTLS probes of their addresses (through the run-wide cache, the same plan as the
 * STARTTLS check, so no extra connection). Memoised per context.
 */
export function daneFacts(ctx: CheckContext, deps: DaneDeps = {}): Promise<DaneFacts> {
  let run = runs.get(ctx);
  if (!run) {
    run = (async () => {
      const mx = await resolveMxHosts(ctx);
      const now = (deps.now ?? (() => new Date()))();
      const probed = ctx.options.smtp;
      const hosts = await Promise.all(planProbes(mx).map(async (plan): Promise<HostDane> => {
        const tlsaName = `_25._tcp.${plan.host.name}`;
        const verdict = await tlsaVerdict(ctx, tlsaName);
        const records = recordsOf(verdict);
        const usable = verdict.status === 'secure' ? records.filter((r) => classifyTlsa(r).kind === 'usable') : [];
        const daneApplies = usable.length > 0;
        const hp: HostProbes = { ...plan, results: new Map() };
        if (daneApplies && probed) {
          const outcomes = await Promise.all(plan.addresses.map((a) => probeMxAddress(ctx, plan.host.name, a, deps.probeTimeouts)));
          plan.addresses.forEach((a, i) => hp.results.set(a, outcomes[i]!));
        }
        const addresses = daneApplies ? plan.addresses.map((address) => assessAddress(hp, address, usable, probed, now)) : [];
        return { host: plan.host.name, tlsaName, verdict, records, usable, daneApplies, probes: hp, addresses };
      }));
      return { probed, mx, hosts };
    })();
    run.catch(() => undefined);
    runs.set(ctx, run);
  }
  return run;
}

function assessAddress(hp: HostProbes, address: string, usable: TlsaData[], probed: boolean, now: Date): AddressDane {
  if (!probed) return { address, state: 'untested', why: 'STARTTLS probing disabled (--no-smtp)' };
  const probe = hp.results.get(address);
  if (!probe) return { address, state: 'untested', why: 'not probed' };
  switch (probe.state) {
    case 'policy_refused':
      return { address, state: 'untested', why: probe.reason, probe };
    case 'unreachable':
      return { address, state: 'untested', why: `unreachable at ${probe.stage} (${probe.code})`, probe };
    case 'no_starttls':
    case 'handshake_failed':
      return { address, state: 'no_tls', probe };
    case 'ok': {
      const matches = usable.map((r) => matchTlsa(r, probe.tls.chain, { host: hp.host.name, hostnameMatches: probe.tls.hostnameMatches, now }));
      const ee = matches.some((m, i) => m.matched && usable[i]!.usage === 3);
      const ta = matches.some((m, i) => m.matched && usable[i]!.usage === 2);
      if (ee || ta) return { address, state: 'validated', via: ee ? 'ee' : 'ta', matches };
      return { address, state: 'mismatch', matches, probe };
    }
  }
}

/**
 * Per MX host: does DANE validate the certificate it serves on every tested address?
 * 'ee' when DANE-EE matched everywhere, 'ta' when DANE-EE or DANE-TA did, null otherwise.
 * Used by the STARTTLS check to tolerate certificate names/issuers DANE senders ignore.
 */
export async function daneHostValidation(ctx: CheckContext, timeouts?: Partial<ProbeTimeouts>): Promise<Map<string, DaneValidated>> {
  const facts = await daneFacts(ctx, timeouts ? { probeTimeouts: timeouts } : {});
  const out = new Map<string, DaneValidated>();
  for (const h of facts.hosts) {
    const tested = h.addresses.filter((a) => a.state !== 'untested');
    let v: DaneValidated = null;
    if (h.daneApplies && tested.length > 0 && tested.every((a) => a.state === 'validated')) {
      v = tested.every((a) => a.state === 'validated' && a.via === 'ee') ? 'ee' : 'ta';
    }
    out.set(h.host, v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The check

function hostEvidence(h: HostDane): Record<string, unknown> {
  const trust = resolverTrust(h.verdict.response.server);
  const out: Record<string, unknown> = {
    name: h.host,
    tlsaName: h.tlsaName,
    tlsa: h.records.map((r) => {
      const c = classifyTlsa(r);
      return { record: tlsaText(r), usable: c.kind === 'usable', ...(c.reason ? { reason: c.reason } : {}) };
    }),
    dnssec: {
      status: h.verdict.status,
      reason: h.verdict.reason,
      vouchedBy: trust.resolver,
      path: trust.path,
      trusted: trust.trusted,
      rcode: h.verdict.response.rcode || h.verdict.response.outcome,
      ...(h.verdict.response.ede.length ? { ede: h.verdict.response.ede } : {}),
    },
    daneApplies: h.daneApplies,
  };
  if (h.daneApplies) {
    out.matching = h.addresses.map((a) => {
      const base: Record<string, unknown> = { address: a.address, result: a.state };
      if (a.state === 'validated') Object.assign(base, { via: a.via === 'ee' ? 'DANE-EE' : 'DANE-TA', matches: a.matches });
      if (a.state === 'mismatch') {
        Object.assign(base, { matches: a.matches, servedChain: a.probe.state === 'ok' ? a.probe.tls.chain.map(chainEntry) : [] });
      }
      if (a.state === 'no_tls') base.probe = a.probe.state;
      if (a.state === 'untested') base.why = a.why;
      return base;
    });
    if (h.probes.skipped.length) out.notProbed = h.probes.skipped;
  }
  return out;
}

function servedSummary(probe: ProbeResult): string {
  if (probe.state !== 'ok') return 'no certificate';
  const leaf = probe.tls.chain[0];
  return leaf ? `${describeCert(leaf)}; its SPKI SHA-256 is ${leaf.spkiSha256}` : 'no certificate';
}

export async function checkDane(ctx: CheckContext, deps: DaneDeps = {}): Promise<CheckResult> {
  const facts = await daneFacts(ctx, deps);
  const mx = facts.mx;
  if (mx.mxResponse.outcome !== 'answer' && mx.mxResponse.outcome !== 'nodata' && mx.mxResponse.outcome !== 'nxdomain') {
    return untested('dane', 'The MX lookup failed, so there is no MX host to look up TLSA for', [lookupFailed(mx.mxResponse)]);
  }
  if (mx.isNxdomain) return untested('dane', `${mx.domain} does not exist`);
  if (mx.outcome === 'null_mx') return untested('dane', 'Null MX: the domain accepts no mail, so DANE does not apply', [], { outcome: 'null_mx' });
  if (facts.hosts.length === 0) {
    // an address lookup that failed is not "no address": say what could not be seen (CONTRACTS §2)
    const failed = mx.hosts.filter((h) => h.status === 'lookup_failed')
      .flatMap((h) => [h.a, h.aaaa].filter((l): l is NonNullable<typeof l> => l !== null && isLookupFailure(l.outcome)));
    if (failed.length > 0) {
      return untested('dane', 'The MX hosts\' address lookups failed, so there is no MX host to look up TLSA for', failed.map((l) => lookupFailed(l.response)), { outcome: mx.outcome });
    }
    return untested('dane', 'No MX host with an address: nothing to look up TLSA for', [], { outcome: mx.outcome });
  }

  const findings: Finding[] = [];
  const withTlsa: HostDane[] = [];
  const withoutTlsa: HostDane[] = [];
  let assessed = 0;
  let matchingUntested = 0;

  for (const h of facts.hosts) {
    const v = h.verdict;
    if (v.status === 'unknown') {
      findings.push(lookupFailed(v.response));
      continue;
    }
    if (h.records.length === 0 && v.status !== 'bogus') {
      withoutTlsa.push(h);
      assessed++;
      continue;
    }
    withTlsa.push(h);

    if (v.status === 'bogus') {
      findings.push(finding(
        'dane.tlsa_insecure',
        `The TLSA lookup for ${h.tlsaName} fails DNSSEC validation (bogus: ${v.reason}). Senders that use DANE must treat ${h.host} as unusable and will defer mail to it (RFC 7672 §2.1.1).`,
        `Fix the DNSSEC signing of the zone that holds ${h.tlsaName} (expired signatures, a DS record that no longer matches the keys), then check with: delv ${h.tlsaName} TLSA`,
      ));
      assessed++;
      continue;
    }
    if (v.status === 'insecure') {
      findings.push(finding(
        'dane.tlsa_insecure',
        `${h.host} publishes TLSA records (${h.records.map(shortTlsa).join('; ')}) in a zone that is not DNSSEC-signed (${v.response.server ?? 'the resolver'} answered without the AD bit). Senders ignore TLSA records they cannot validate (RFC 7672 §2.2), so these give no protection.`,
        `Sign the zone of ${h.host} with DNSSEC and publish its DS record at the parent, or remove the TLSA records at ${h.tlsaName}.`,
      ));
    }

    // what the records say, secure or not
    const pkix = h.records.filter((r) => classifyTlsa(r).kind === 'pkix');
    if (pkix.length) {
      const none = h.records.every((r) => classifyTlsa(r).kind !== 'usable');
      findings.push(finding(
        'dane.pkix_usage',
        `${h.tlsaName} has TLSA record${pkix.length > 1 ? 's' : ''} with PKIX usage (${pkix.map(shortTlsa).join('; ')}). RFC 7672 §3.1.3 says SMTP uses only DANE-TA(2) and DANE-EE(3); senders treat these as unusable${none ? `, and with no other usable record DANE is not in effect for ${h.host}` : ''}.`,
        `Replace them with DANE-EE records for the server key: _25._tcp.${h.host}. IN TLSA 3 1 1 <SHA-256 of the certificate's public key> (or 2 1 1 for the issuing CA's key).`,
      ));
    }
    const odd = h.records.filter((r) => {
      const c = classifyTlsa(r).kind;
      return c === 'unusable' || (c === 'usable' && (r.selector === 0 || r.matchingType === 0));
    });
    if (odd.length) {
      const notes = odd.map((r) => {
        const c = classifyTlsa(r);
        return c.kind === 'unusable' ? `${shortTlsa(r)} is unusable: ${c.reason}` : `${shortTlsa(r)} uses ${[r.selector === 0 ? 'selector 0 (the whole certificate, which changes at every renewal)' : '', r.matchingType === 0 ? 'matching type 0 (the full data instead of a SHA-256 digest)' : ''].filter(Boolean).join(' and ')}`;
      });
      findings.push(finding(
        'dane.nonrecommended_params',
        `${h.tlsaName}: ${notes.join('; ')}. RFC 7671 §5.1 recommends 3 1 1 (the server's public key) and 2 1 1 (the issuing CA's public key).`,
        `Publish 3 1 1 records (SHA-256 of the SubjectPublicKeyInfo) instead; they survive certificate renewals that keep the key. For example: openssl x509 -in cert.pem -noout -pubkey | openssl pkey -pubin -outform DER | openssl sha256`,
      ));
    }
    if (h.records.length === 1) {
      findings.push(finding(
        'dane.no_rollover',
        `${h.tlsaName} has a single TLSA record (${shortTlsa(h.records[0]!)}). When the key changes there is no record for the next key, so mail from DANE senders stops until DNS catches up.`,
        `Publish a second record before each key change: either "3 1 1" for the next key beside the current one, or a "2 1 1" record for the issuing CA beside "3 1 1" (RFC 7671 §8).`,
      ));
    }

    if (!h.daneApplies) {
      assessed++;
      continue;
    }
    // matching
    let tested = 0;
    for (const a of h.addresses) {
      if (a.state === 'untested') {
        matchingUntested++;
        if (a.probe && (a.probe.state === 'unreachable' || a.probe.state === 'policy_refused')) {
          findings.push(finding(
            'starttls.unreachable',
            `DANE matching for ${h.host} (${a.address}) is untested: ${a.why}. The TLSA records are reported, but whether they match the served certificate is not known.`,
            'Run the check from a network that allows outbound connections to port 25, or check that the MX host accepts connections.',
          ));
        }
        continue;
      }
      tested++;
      if (a.state === 'no_tls') {
        findings.push(finding(
          'dane.mismatch',
          `${h.host} (${a.address}) publishes DNSSEC-signed TLSA records but ${a.probe.state === 'no_starttls' ? 'does not offer STARTTLS' : 'fails the TLS handshake'}. DANE makes TLS mandatory (RFC 7672 §2.2), so DANE senders will not deliver mail to it.`,
          `Enable STARTTLS on ${h.host} with the certificate the TLSA records describe, or remove the TLSA records at ${h.tlsaName}.`,
        ));
      } else if (a.state === 'mismatch') {
        const notes = a.matches.filter((m) => m.note).map((m) => `${shortTlsa(h.usable.find((r) => tlsaText(r) === m.record)!)} ${m.note}`);
        const leaf = a.probe.state === 'ok' ? a.probe.tls.chain[0] : undefined;
        findings.push(finding(
          'dane.mismatch',
          `${h.usable.length > 1 ? `None of the ${h.usable.length} usable TLSA records at ${h.tlsaName} matches` : `The only usable TLSA record at ${h.tlsaName} does not match`} what ${h.host} (${a.address}) serves: ${servedSummary(a.probe)}${notes.length ? `. ${notes.join('; ')}` : ''}. DANE senders will refuse to deliver mail to this host (RFC 7672 §3.1).`,
          leaf
            ? `Publish a record for the certificate in use — _25._tcp.${h.host}. IN TLSA 3 1 1 ${leaf.spkiSha256} — keeping the old one until caches expire, or restore the certificate the records pin.`
            : `Publish TLSA records that match the certificate ${h.host} serves, or restore the certificate they pin.`,
        ));
      }
    }
    if (tested > 0) assessed++;
  }

  if (withTlsa.length === 0 && withoutTlsa.length > 0) {
    findings.push(finding(
      'dane.missing',
      `No MX host publishes TLSA records (looked up ${withoutTlsa.map((h) => h.tlsaName).join(', ')}). Senders cannot authenticate your MX hosts through DANE; with DNSSEC-signed MX zones, DANE is the strongest protection against STARTTLS downgrade.`,
      `If the MX hosts' zone is DNSSEC-signed, publish _25._tcp.<mx host>. IN TLSA 3 1 1 <SHA-256 of the server's public key> for each MX host (plus a record for the next key). Hosted mail (Google, Microsoft) may manage this for you or not support it; it is optional.`,
    ));
  } else if (withTlsa.length > 0 && withoutTlsa.length > 0) {
    findings.push(finding(
      'dane.missing',
      `Some MX hosts publish TLSA records but ${withoutTlsa.map((h) => h.host).join(', ')} ${withoutTlsa.length > 1 ? 'do' : 'does'} not: a DANE sender may deliver to ${withoutTlsa.length > 1 ? 'them' : 'it'} without authentication.`,
      `Publish TLSA records at ${withoutTlsa.map((h) => h.tlsaName).join(', ')} too.`,
    ));
  }

  const evidence: Record<string, unknown> = {
    probed: facts.probed,
    hosts: facts.hosts.map(hostEvidence),
  };
  if (!facts.probed) evidence.matching = 'untested: STARTTLS probing disabled (--no-smtp)';

  const summary = summaryOf(facts, findings, withTlsa, matchingUntested);
  if (assessed === 0) return untested('dane', summary, findings, evidence);
  return result('dane', summary, findings, evidence);
}

function summaryOf(facts: DaneFacts, findings: Finding[], withTlsa: HostDane[], matchingUntested: number): string {
  const untestedNote = matchingUntested > 0
    ? facts.probed ? '; matching untested for unreachable addresses' : '; matching untested (STARTTLS probing disabled, --no-smtp)'
    : '';
  if (findings.some((f) => f.code === 'dane.mismatch')) return `TLSA records do not match the certificate served${untestedNote}`;
  if (findings.some((f) => f.code === 'dane.tlsa_insecure')) return `TLSA records are not DNSSEC-validated, so senders ignore them${untestedNote}`;
  if (withTlsa.length === 0) {
    return findings.some((f) => f.code === 'dns.lookup_failed') ? 'TLSA lookups failed; DANE untested' : 'No TLSA records: DANE not deployed';
  }
  const validated = facts.hosts.filter((h) => h.addresses.some((a) => a.state === 'validated')).length;
  if (validated > 0) return `DANE validates the certificate of ${validated} of ${facts.hosts.length} MX host${facts.hosts.length > 1 ? 's' : ''}${untestedNote}`;
  return `DNSSEC-signed TLSA records published${untestedNote}`;
}
