/**
 * The STARTTLS check (`starttls`): does every MX host offer STARTTLS (RFC 3207),
 * with a modern protocol and cipher (RFC 8996, RFC 9325) and a certificate a
 * sender can validate (RFC 5280, RFC 9525; RFC 8461 §4.2 under MTA-STS)?
 *
 * Probing
 * - Every examined MX host (`resolveMxHosts`), up to MAX_ADDRESSES_PER_FAMILY IPv4 and as many
 *   IPv6 addresses each, MAX_PROBES in all; the rest are listed in the evidence as not probed.
 * - Each probe goes through `ctx.resources.probes` (the run-wide cache), SNI = the MX host, so a
 *   fleet shared by many domains costs one connection per (host, address), and the DANE check
 *   reads the very same probe (same plan `planProbes`, same cache key, via `probeMxAddress`).
 * - `--no-smtp` → `untested`, summary "STARTTLS probing disabled (--no-smtp)", no socket at all.
 *
 * Verdict
 * - A probe that could not be completed (port filtered/closed, no or 554 greeting, address refused
 *   by the policy) gives `starttls.unreachable` (info) and asserts nothing about that address.
 * - The check is `untested` when NO address of any host could be tested (CONTRACTS §2). When some
 *   were tested, the result judges the tested ones, and each untested host/address adds an
 *   `starttls.unreachable` info finding, so the status is at least `info`: the report says
 *   plainly that part of the MX set was not seen.
 * - Findings are per host: one finding per (host, code), naming every address it applies to.
 *
 * Escalation (RFC 8461 §4.2): under an MTA-STS `enforce` policy a sender that implements MTA-STS
 * refuses to deliver to a host whose certificate is untrusted, expired or for another name, so
 * `cert_untrusted`, `cert_hostname_mismatch` and `cert_expired` become `fail`. Where the mode
 * comes from — THE SEAM: `checkStartTls(ctx, { mtaStsMode })`. The orchestrator should pass
 * `() => mtaSts.then(mtaStsMode)` (the MTA-STS check's result). Without it this check only reads
 * `_mta-sts.<domain>` TXT: no `v=STSv1` record → no policy (no escalation); a record → mode
 * unknown (no escalation, said in the evidence). It never fetches the policy itself.
 *
 * DANE tolerance (RFC 7672 §3.1.1, RFC 7671 §5.1): when DANE-EE (usage 3) validates the served
 * leaf from DNSSEC-secure TLSA, DANE senders ignore the name, the issuer and the validity period;
 * with DANE-TA (usage 2) they ignore PKIX trust but still check the name and dates. Such tolerated findings
 * are downgraded to `info` and say why — unless MTA-STS is in `enforce` mode, where MTA-STS-only
 * senders still refuse (RFC 8461 §4.2), so the escalated `fail` stands. The DANE facts come from
 * `daneHostValidation(ctx)` in dane.ts (same probes, TLSA lookups only when a cert finding needs
 * them), or from `deps.daneValidated`.
 */
import { lookupFailed, result, untested, type CheckContext } from '../check.ts';
import type { DnsResponse } from '../dns/types.ts';
import { isLookupFailure } from '../dns/types.ts';
import { finding, type FindingCode } from '../findings.ts';
import type { ProbeResult, ProbeTimeouts } from '../net/smtp-probe.ts';
import type { CertSummary } from '../net/tls-facts.ts';
import type { CheckResult, Finding, Severity } from '../types.ts';
import { resolveMxHosts, type MxFacts, type MxHostFacts } from './mx.ts';
import { lookupFor } from './mx/lookup.ts';

export type MtaStsMode = 'enforce' | 'testing' | 'none' | null;

/** What DANE says about one MX host's served certificate (see dane.ts `daneHostValidation`). */
export type DaneValidated = 'ee' | 'ta' | null;

export interface StartTlsDeps {
  /**
   * The domain's MTA-STS mode, from the MTA-STS check (`mtaStsMode(result)`); `null` = no policy.
   * Rejecting or resolving `undefined` means unknown (no escalation).
   */
  mtaStsMode?: () => Promise<MtaStsMode | undefined>;
  /** per MX host name: whether DANE validates its certificate; default: dane.ts `daneHostValidation` */
  daneValidated?: () => Promise<ReadonlyMap<string, DaneValidated>>;
  /** probe stage timeouts (tests); default derived from `options.timeoutMs` */
  probeTimeouts?: Partial<ProbeTimeouts>;
  /** the clock, for expiry (tests) */
  now?: () => Date;
}

/** At most this many IPv4 and this many IPv6 addresses are probed per host. */
export const MAX_ADDRESSES_PER_FAMILY = 2;
/** At most this many probes per domain, over all hosts. */
export const MAX_PROBES = 24;
/** `starttls.cert_expiring` below this many days. */
export const EXPIRING_DAYS = 14;

const DAY = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Probing, shared with the DANE check

export interface HostProbes {
  host: MxHostFacts;
  /** addresses probed (or to be probed), in order */
  addresses: string[];
  /** addresses beyond the bounds, not probed */
  skipped: string[];
  /** address → probe outcome (empty when probing is disabled) */
  results: Map<string, ProbeResult>;
}

export interface MxProbes {
  facts: MxFacts;
  /** false under --no-smtp: `results` are all empty */
  probed: boolean;
  hosts: HostProbes[];
}

/** Which addresses of which hosts to probe: a bounded plan, in MX preference order. */
export function planProbes(facts: MxFacts): Array<Omit<HostProbes, 'results'>> {
  let budget = MAX_PROBES;
  return facts.hosts
    .filter((h) => h.status === 'resolved')
    .map((host) => {
      const v4 = host.a?.addresses ?? [];
      const v6 = host.aaaa?.addresses ?? [];
      const wanted = [...v4.slice(0, MAX_ADDRESSES_PER_FAMILY), ...v6.slice(0, MAX_ADDRESSES_PER_FAMILY)];
      const addresses = wanted.slice(0, Math.max(0, budget));
      budget -= addresses.length;
      const skipped = [...v4, ...v6].filter((a) => !addresses.includes(a));
      return { host, addresses, skipped };
    });
}

/** Stage timeouts that fit the domain's budget, so a silent MX is "unreachable", not "out of time". */
export function probeTimeoutsFor(timeoutMs: number): ProbeTimeouts {
  return {
    connectMs: Math.min(10_000, Math.round(timeoutMs * 0.4)),
    bannerMs: Math.min(10_000, Math.round(timeoutMs * 0.7)),
    commandMs: Math.min(5_000, Math.round(timeoutMs * 0.25)),
    tlsMs: Math.min(5_000, Math.round(timeoutMs * 0.25)),
  };
}

/** Probe one MX address through the run-wide cache. */
export function probeMxAddress(ctx: CheckContext, host: string, address: string, timeouts?: Partial<ProbeTimeouts>): Promise<ProbeResult> {
  // extra trust anchors are added to the default store by the network layer
  const ca = ctx.options.extraCa?.length ? ctx.options.extraCa : undefined;
  return ctx.resources.probes.probe({
    host,
    address,
    port: 25,
    allowPrivateNetworks: ctx.options.allowPrivateNetworks,
    connectTo: ctx.connectTo,
    ...(ca ? { ca } : {}),
    timeouts: { ...probeTimeoutsFor(ctx.options.timeoutMs), ...timeouts },
    signal: ctx.signal,
    heloName: ctx.options.heloName,
    resolver: ctx.resolver,
  });
}

const probeRuns = new WeakMap<CheckContext, Promise<MxProbes>>();

/**
 * Every planned probe of the domain's MX hosts, memoised per context: the STARTTLS and DANE
 * checks share one computation (and, through the probe cache, one connection per address).
 * Under --no-smtp nothing connects and `probed` is false.
 */
export function mxProbes(ctx: CheckContext, timeouts?: Partial<ProbeTimeouts>): Promise<MxProbes> {
  let run = probeRuns.get(ctx);
  if (!run) {
    run = (async () => {
      const facts = await resolveMxHosts(ctx);
      const plan = planProbes(facts);
      if (!ctx.options.smtp) return { facts, probed: false, hosts: plan.map((p) => ({ ...p, results: new Map() })) };
      const hosts = await Promise.all(plan.map(async (p) => {
        const outcomes = await Promise.all(p.addresses.map((a) => probeMxAddress(ctx, p.host.name, a, timeouts)));
        return { ...p, results: new Map(p.addresses.map((a, i) => [a, outcomes[i]!])) };
      }));
      return { facts, probed: true, hosts };
    })();
    run.catch(() => undefined);
    probeRuns.set(ctx, run);
  }
  return run;
}

// ---------------------------------------------------------------------------------------------
// Judging one TLS session

/** Why a negotiated cipher suite is weak (RFC 9325 §4.1–4.2); empty when it is fine. */
export function cipherWeaknesses(cipher: { name: string; standardName: string; version?: string }, protocol?: string): string[] {
  const std = (cipher.standardName || cipher.name).toUpperCase();
  const ossl = cipher.name.toUpperCase();
  // TLS 1.3 suites are all AEAD with (EC)DHE (RFC 8446 §B.4)
  if (protocol === 'TLSv1.3' || /^TLS_(AES|CHACHA20)_/.test(std)) return [];
  const reasons: string[] = [];
  const has = (re: RegExp): boolean => re.test(std) || re.test(ossl);
  if (has(/NULL/)) reasons.push('no encryption (NULL)');
  if (has(/EXPORT|EXP-|EXP1024/)) reasons.push('export-grade');
  if (has(/RC4/)) reasons.push('RC4 (RFC 7465 forbids it)');
  if (has(/3DES|DES-CBC3|DES_EDE|(^|[_-])DES([_-]|$)|DES_CBC|DES40/)) reasons.push('DES/3DES (64-bit blocks, Sweet32)');
  if (has(/ANON|ADH|AECDH/)) reasons.push('anonymous key exchange (no server authentication)');
  if (has(/MD5/)) reasons.push('MD5 MAC');
  if (!has(/GCM|CCM|CHACHA20|POLY1305/)) reasons.push('not an AEAD cipher (CBC mode with a separate MAC)');
  // forward secrecy needs an ephemeral (EC)DH key exchange
  const fs = /^TLS_(ECDHE|DHE)_/.test(std) || /^(ECDHE|DHE|EDH)-/.test(ossl);
  if (!fs && !has(/ANON|ADH|AECDH/)) reasons.push('no forward secrecy (static RSA or DH key exchange)');
  return reasons;
}

function protocolRank(protocol: string): number {
  const m = /^TLSv1(?:\.(\d))?$/.exec(protocol);
  if (m) return 10 + Number(m[1] ?? 0);
  if (/^SSLv/.test(protocol)) return 0;
  return 99; // unknown / newer
}

export function describeCert(cert: CertSummary | undefined): string {
  if (!cert) return 'no certificate';
  const cn = /(?:^|, )CN=([^,]+)/.exec(cert.subject)?.[1] ?? cert.subject;
  const names = cert.subjectAltNames.length ? ` (names: ${cert.subjectAltNames.slice(0, 4).join(', ')}${cert.subjectAltNames.length > 4 ? ', …' : ''})` : '';
  return `certificate CN=${cn}${names}, issued by ${/(?:^|, )CN=([^,]+)/.exec(cert.issuer)?.[1] ?? cert.issuer}, valid until ${cert.notAfter.slice(0, 10)}`;
}

interface Issue {
  code: FindingCode;
  /** what this address showed, for the message */
  detail: string;
  /** which certificate property DANE may excuse */
  daneExcusable?: 'name' | 'trust' | 'expiry';
}

type OkProbe = Extract<ProbeResult, { state: 'ok' }>;

function issuesOf(probe: OkProbe, now: Date): Issue[] {
  const t = probe.tls;
  const issues: Issue[] = [];
  const leaf = t.chain[0];
  const session = `${t.protocol} with ${t.cipher.standardName || t.cipher.name}`;
  const rank = protocolRank(t.protocol);
  if (rank < 12) issues.push({ code: 'starttls.legacy_protocol', detail: `negotiated ${t.protocol}` });
  else if (rank === 12) issues.push({ code: 'starttls.no_tls13', detail: `negotiated ${session}` });
  const weak = cipherWeaknesses(t.cipher, t.protocol);
  if (weak.length) issues.push({ code: 'starttls.weak_cipher', detail: `negotiated ${session}: ${weak.join('; ')}` });

  const notAfter = leaf ? Date.parse(leaf.notAfter) : NaN;
  const expired = t.authorizationError === 'CERT_HAS_EXPIRED' || (Number.isFinite(notAfter) && notAfter < now.getTime());
  if (!t.authorized && t.authorizationError !== 'CERT_HAS_EXPIRED') {
    issues.push({ code: 'starttls.cert_untrusted', detail: `${describeCert(leaf)}: ${trustReason(t.authorizationError)}`, daneExcusable: 'trust' });
  }
  if (!t.hostnameMatches) {
    issues.push({ code: 'starttls.cert_hostname_mismatch', detail: `${describeCert(leaf)} does not cover ${probe.host}`, daneExcusable: 'name' });
  }
  if (expired) {
    const when = leaf ? `expired on ${leaf.notAfter.slice(0, 10)}` : 'a certificate in the chain has expired';
    issues.push({ code: 'starttls.cert_expired', detail: `${describeCert(leaf)}: ${when}`, daneExcusable: 'expiry' });
  } else if (Number.isFinite(notAfter) && notAfter - now.getTime() < EXPIRING_DAYS * DAY) {
    const days = Math.max(0, Math.floor((notAfter - now.getTime()) / DAY));
    issues.push({ code: 'starttls.cert_expiring', detail: `${describeCert(leaf)}: expires in ${days} day${days === 1 ? '' : 's'}` });
  }
  const weakKey = leaf ? weakKeyReason(leaf) : undefined;
  if (weakKey) issues.push({ code: 'starttls.cert_weak_key', detail: `${describeCert(leaf)}: ${weakKey}` });
  return issues;
}

function trustReason(code: string | undefined): string {
  switch (code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'it is self-signed';
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return 'the chain ends in a self-signed root no client trusts';
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      return 'it is not issued by a trusted authority, or the server does not send the intermediate certificates';
    case 'CERT_NOT_YET_VALID':
      return 'it is not valid yet';
    case undefined:
      return 'it does not verify';
    default:
      return `it does not verify (${code})`;
  }
}

/** RSA/DSA below 2048 bits, EC below 256 (RFC 9325 §4.3; NIST SP 800-57). */
export function weakKeyReason(cert: CertSummary): string | undefined {
  const bits = cert.keyBits;
  if (bits === undefined) return undefined;
  if ((cert.keyType === 'rsa' || cert.keyType === 'rsa-pss' || cert.keyType === 'dsa') && bits < 2048) {
    return `${cert.keyType.toUpperCase()} key of ${bits} bits (at least 2048 needed)`;
  }
  if (cert.keyType === 'ec' && bits < 256) return `EC key of ${bits} bits (at least 256 needed)`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Messages and fixes

const FIXES: Partial<Record<FindingCode, (host: string) => string>> = {
  'starttls.not_offered': (h) => `Enable STARTTLS on ${h} (Postfix: smtpd_tls_security_level = may, with smtpd_tls_chain_files set to your key and certificate chain; Exchange/M365 and hosted providers offer it by default). Senders then encrypt mail to you.`,
  'starttls.handshake_failed': (h) => `Fix the TLS configuration of ${h}: check that the key and certificate files are readable and match, and that the server supports TLS 1.2 or 1.3 with modern ciphers. Test with: openssl s_client -starttls smtp -connect ${h}:25 -servername ${h}`,
  'starttls.legacy_protocol': (h) => `Disable TLS 1.0 and 1.1 on ${h} and enable TLS 1.2 and 1.3 (Postfix: smtpd_tls_protocols = >=TLSv1.2; RFC 8996).`,
  'starttls.no_tls13': (h) => `Enable TLS 1.3 on ${h}: upgrade the MTA's TLS library (OpenSSL 1.1.1 or later) and do not cap the protocol version (Postfix: smtpd_tls_protocols = >=TLSv1.2).`,
  'starttls.weak_cipher': (h) => `Prefer ECDHE key exchange with AES-GCM or ChaCha20-Poly1305 on ${h} and remove RC4, 3DES, NULL, export and static-RSA suites (Postfix: smtpd_tls_mandatory_ciphers = high, tls_preempt_cipherlist = yes; RFC 9325 §4.2).`,
  'starttls.cert_untrusted': (h) => `Install a certificate for ${h} from a publicly trusted CA (e.g. Let's Encrypt), and serve the full chain (leaf plus intermediates).`,
  'starttls.cert_hostname_mismatch': (h) => `Install a certificate whose subjectAltName includes ${h} (the name in your MX record), or point the MX record at a name the certificate covers.`,
  'starttls.cert_expired': (h) => `Renew the certificate of ${h} now and automate renewal (e.g. certbot or acme.sh with a reload hook for the MTA).`,
  'starttls.cert_expiring': (h) => `Renew the certificate of ${h} before it expires, and automate renewal so it cannot lapse.`,
  'starttls.cert_weak_key': (h) => `Reissue the certificate of ${h} with an RSA key of at least 2048 bits or an ECDSA P-256 key.`,
};

const WHAT: Partial<Record<FindingCode, string>> = {
  'starttls.legacy_protocol': 'negotiates a TLS version older than 1.2, which RFC 8996 deprecates',
  'starttls.no_tls13': 'does not offer TLS 1.3 (TLS 1.2 is still acceptable)',
  'starttls.weak_cipher': 'negotiates a cipher suite RFC 9325 advises against',
  'starttls.cert_untrusted': 'presents a certificate that does not chain to a trusted root, so senders that authenticate (MTA-STS) cannot verify it',
  'starttls.cert_hostname_mismatch': 'presents a certificate for another name, so senders that authenticate (MTA-STS) cannot verify it',
  'starttls.cert_expired': 'presents an expired certificate, so senders that authenticate (MTA-STS) reject it',
  'starttls.cert_expiring': 'presents a certificate that expires soon',
  'starttls.cert_weak_key': 'presents a certificate with a weak key',
};

function at(host: string, addresses: string[]): string {
  return `${host} (${addresses.join(', ')})`;
}

function unreachableMessage(host: string, r: Exclude<ProbeResult, { state: 'ok' | 'no_starttls' | 'handshake_failed' }>): string {
  if (r.state === 'policy_refused') {
    return `${host} (${r.address}) was not probed: ${r.reason}. The checker does not connect to ${r.range} addresses unless --allow-private-networks is given, so nothing is assumed about STARTTLS there.`;
  }
  const via = r.connectedTo ? ` (connected to ${r.connectedTo})` : '';
  const what = r.stage === 'connect'
    ? r.timedOut
      ? `the connection to port ${r.port} timed out (outbound port 25 is often filtered by cloud and ISP networks)`
      : `the connection to port ${r.port} failed (${r.code}: ${r.message})`
    : r.stage === 'banner'
      ? r.timedOut
        ? 'the server accepted the connection but sent no SMTP greeting in time'
        : `the server did not greet with 220 (${r.code}: ${r.message})`
      : `the server did not answer EHLO (${r.code}: ${r.message})`;
  return `${host} (${r.address})${via} could not be tested: ${what}. This is not evidence that it lacks TLS; nothing is assumed.`;
}

function policyFix(host: string, range: string): string {
  return `If ${host} really has this ${range} address in public DNS, senders on the Internet cannot reach it: publish its public address instead. To check a lab or test network, run with --allow-private-networks.`;
}

const UNREACHABLE_FIX = 'Run the check from a network that allows outbound connections to port 25 (many cloud providers block it), or check that the MX host accepts connections; use --no-smtp to skip STARTTLS probing.';

// ---------------------------------------------------------------------------------------------
// The check

interface MtaStsView {
  mode: MtaStsMode | 'unknown';
  source: 'mta_sts check' | '_mta-sts TXT only' | 'unavailable';
}

async function mtaStsView(ctx: CheckContext, deps: StartTlsDeps): Promise<MtaStsView> {
  if (deps.mtaStsMode) {
    try {
      const mode = await deps.mtaStsMode();
      return { mode: mode === undefined ? 'unknown' : mode, source: 'mta_sts check' };
    } catch {
      return { mode: 'unknown', source: 'unavailable' };
    }
  }
  const txt = await lookupFor(ctx)(`_mta-sts.${ctx.domain}`, 'TXT');
  if (isLookupFailure(txt.outcome)) return { mode: 'unknown', source: 'unavailable' };
  const hasRecord = txt.answers.some((a) => /^v=STSv1\s*(;|$)/i.test(a.data.join('')));
  return { mode: hasRecord ? 'unknown' : null, source: '_mta-sts TXT only' };
}

function probeEvidence(address: string, r: ProbeResult | undefined): Record<string, unknown> {
  if (!r) return { address, state: 'not_probed' };
  const out: Record<string, unknown> = { address, state: r.state, durationMs: r.durationMs };
  if (r.connectedTo) out.connectedTo = r.connectedTo;
  if (r.banner !== undefined) out.banner = r.banner;
  if (r.ehloExtensions) out.ehloExtensions = r.ehloExtensions;
  switch (r.state) {
    case 'policy_refused':
      out.reason = r.reason;
      out.range = r.range;
      break;
    case 'unreachable':
    case 'handshake_failed':
      Object.assign(out, { stage: r.stage, code: r.code, message: r.message, timedOut: r.timedOut });
      break;
    case 'ok':
      Object.assign(out, {
        protocol: r.tls.protocol,
        cipher: r.tls.cipher.standardName || r.tls.cipher.name,
        ...(r.tls.ephemeralKey ? { ephemeralKey: r.tls.ephemeralKey } : {}),
        authorized: r.tls.authorized,
        ...(r.tls.authorizationError ? { authorizationError: r.tls.authorizationError } : {}),
        hostnameMatches: r.tls.hostnameMatches,
        chain: r.tls.chain.map(chainEntry),
      });
      break;
    default:
      break;
  }
  return out;
}

export function chainEntry(c: CertSummary): Record<string, unknown> {
  return {
    subject: c.subject,
    issuer: c.issuer,
    subjectAltNames: c.subjectAltNames,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    key: `${c.keyType}${c.keyBits ? ` ${c.keyBits}` : ''}${c.curve ? ` (${c.curve})` : ''}`,
    spkiSha256: c.spkiSha256,
    certSha256: c.certSha256,
  };
}

function noProbeResult(facts: MxFacts): CheckResult | undefined {
  if (isLookupFailure(facts.mxResponse.outcome)) {
    return untested('starttls', 'The MX lookup failed, so there is no MX host to probe', [lookupFailed(facts.mxResponse)]);
  }
  if (facts.isNxdomain) return untested('starttls', `${facts.domain} does not exist`);
  if (facts.outcome === 'null_mx') return untested('starttls', 'Null MX: the domain accepts no mail, so there is nothing to probe', [], { outcome: 'null_mx' });
  if (facts.outcome === 'none') return untested('starttls', 'No MX host and no address: nothing to probe', [], { outcome: 'none' });
  return undefined;
}

export async function checkStartTls(ctx: CheckContext, deps: StartTlsDeps = {}): Promise<CheckResult> {
  if (!ctx.options.smtp) {
    return untested('starttls', 'STARTTLS probing disabled (--no-smtp)', [], { probed: false, reason: '--no-smtp' });
  }
  const now = (deps.now ?? (() => new Date()))();
  const mtaStsP = mtaStsView(ctx, deps);
  mtaStsP.catch(() => undefined);
  const probes = await mxProbes(ctx, deps.probeTimeouts);
  const { facts } = probes;
  const early = noProbeResult(facts);
  if (early) return early;

  const findings: Finding[] = [];
  const failures: DnsResponse[] = [];
  const hostsEvidence: Record<string, unknown>[] = [];
  let testedHosts = 0;
  let testedAddresses = 0;
  let totalAddresses = 0;
  // (host, code) → addresses and details, for cert findings the DANE/MTA-STS adjustment needs
  const grouped: Array<{ host: string; code: FindingCode; addresses: string[]; details: string[]; daneExcusable?: Issue['daneExcusable'] }> = [];

  for (const h of probes.hosts) {
    const name = h.host.name;
    hostsEvidence.push({
      name,
      preference: h.host.preference,
      addresses: h.addresses.map((a) => probeEvidence(a, h.results.get(a))),
      ...(h.skipped.length ? { notProbed: h.skipped } : {}),
    });
    const issuesByCode = new Map<FindingCode, (typeof grouped)[number]>();
    const add = (code: FindingCode, address: string, detail: string, daneExcusable?: Issue['daneExcusable']): void => {
      let g = issuesByCode.get(code);
      if (!g) {
        g = { host: name, code, addresses: [], details: [], ...(daneExcusable ? { daneExcusable } : {}) };
        issuesByCode.set(code, g);
        grouped.push(g);
      }
      g.addresses.push(address);
      if (!g.details.includes(detail)) g.details.push(detail);
    };
    let hostTested = false;
    for (const address of h.addresses) {
      totalAddresses++;
      const r = h.results.get(address);
      if (!r) continue;
      switch (r.state) {
        case 'policy_refused':
        case 'unreachable':
          findings.push(finding('starttls.unreachable', unreachableMessage(name, r), r.state === 'policy_refused' ? policyFix(name, r.range) : UNREACHABLE_FIX));
          break;
        case 'no_starttls':
          hostTested = true;
          testedAddresses++;
          add('starttls.not_offered', address, 'EHLO did not list STARTTLS');
          break;
        case 'handshake_failed':
          hostTested = true;
          testedAddresses++;
          add('starttls.handshake_failed', address, r.stage === 'starttls' ? `the STARTTLS command was refused (${r.message})` : `the TLS handshake failed (${r.code}: ${r.message})`);
          break;
        case 'ok':
          hostTested = true;
          testedAddresses++;
          for (const issue of issuesOf(r, now)) add(issue.code, address, issue.detail, issue.daneExcusable);
          break;
      }
    }
    if (hostTested) testedHosts++;
  }
  for (const host of facts.hosts) {
    if (host.status === 'lookup_failed') {
      for (const l of [host.a, host.aaaa]) if (l && isLookupFailure(l.outcome)) failures.push(l.response);
    }
  }

  // MTA-STS escalation and DANE tolerance need outside facts only when a certificate finding exists
  const certCodes = grouped.filter((g) => g.daneExcusable);
  const mtaSts = await mtaStsP.catch((): MtaStsView => ({ mode: 'unknown', source: 'unavailable' }));
  const enforce = mtaSts.mode === 'enforce';
  let dane: ReadonlyMap<string, DaneValidated> = new Map();
  if (certCodes.length > 0 && !enforce) dane = await daneView(ctx, deps);

  for (const g of grouped) {
    const verb = WHAT[g.code];
    const where = at(g.host, g.addresses);
    let message = verb
      ? `${where} ${verb}: ${g.details.join('; ')}.`
      : g.code === 'starttls.not_offered'
        ? `${where} does not offer STARTTLS (${g.details.join('; ')}): mail to it travels unencrypted and can be read or altered on the way.`
        : `${where} offers STARTTLS but it does not work: ${g.details.join('; ')}. Senders either fall back to plain text or fail to deliver.`;
    let severity: Severity | undefined;
    if (g.daneExcusable && enforce) {
      severity = 'fail';
      message += ` Under this domain's MTA-STS policy (mode enforce) senders that implement MTA-STS will refuse to deliver to this host (RFC 8461 §4.2).`;
    } else if (g.daneExcusable) {
      const d = dane.get(g.host);
      const excused = d === 'ee' || (d === 'ta' && g.daneExcusable === 'trust');
      if (excused) {
        severity = 'info';
        message += d === 'ee'
          ? ` DANE-EE (TLSA usage 3) validates this certificate from DNSSEC-signed DNS, so DANE senders ignore its name, issuer and dates (RFC 7672 §3.1.1); senders that use only the web PKI still cannot verify it.`
          : ` DANE-TA (TLSA usage 2) validates this chain from DNSSEC-signed DNS, so DANE senders do not need a public CA (RFC 7672 §3.1.2); senders that use only the web PKI still cannot verify it.`;
      }
    }
    findings.push(finding(g.code, message, FIXES[g.code]?.(g.host) ?? '', severity ? { severity } : {}));
  }
  findings.push(...dedupe(failures).map(lookupFailed));

  const evidence: Record<string, unknown> = {
    probed: true,
    hosts: hostsEvidence,
    tested: { hosts: testedHosts, addresses: testedAddresses, of: totalAddresses },
    mtaSts: { mode: mtaSts.mode, source: mtaSts.source },
  };
  if (dane.size) evidence.daneValidated = Object.fromEntries(dane);

  if (totalAddresses === 0) {
    return untested('starttls', 'No MX host has an address to probe', findings, evidence);
  }
  if (testedAddresses === 0) {
    return untested('starttls', `Could not reach any MX host on port 25 (${totalAddresses} address${totalAddresses === 1 ? '' : 'es'} tried); STARTTLS untested`, findings, evidence);
  }
  return result('starttls', summaryOf(findings, testedHosts, probes.hosts.length, testedAddresses, totalAddresses), findings, evidence);
}

async function daneView(ctx: CheckContext, deps: StartTlsDeps): Promise<ReadonlyMap<string, DaneValidated>> {
  try {
    if (deps.daneValidated) return await deps.daneValidated();
    const { daneHostValidation } = await import('./dane.ts');
    return await daneHostValidation(ctx, deps.probeTimeouts);
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return new Map();
  }
}

function summaryOf(findings: Finding[], testedHosts: number, hosts: number, tested: number, total: number): string {
  const partial = tested < total ? ` (${tested} of ${total} addresses reachable)` : '';
  const fails = findings.filter((f) => f.severity === 'fail');
  const warns = findings.filter((f) => f.severity === 'warn');
  const scope = hosts === 1 ? 'The MX host' : testedHosts === hosts ? `All ${hosts} MX hosts` : `${testedHosts} of ${hosts} MX hosts`;
  if (fails.length) {
    const codes = [...new Set(fails.map((f) => f.code.replace('starttls.', '').replace(/_/g, ' ')))];
    return `STARTTLS problems that stop or weaken encryption: ${codes.join(', ')}${partial}`;
  }
  if (warns.length) {
    const codes = [...new Set(warns.map((f) => f.code.replace('starttls.', '').replace(/_/g, ' ')))];
    return `${scope} offer${hosts === 1 ? 's' : ''} STARTTLS, with warnings: ${codes.join(', ')}${partial}`;
  }
  return `${scope} offer${hosts === 1 ? 's' : ''} STARTTLS with a valid certificate${partial}`;
}

function dedupe(failures: DnsResponse[]): DnsResponse[] {
  const seen = new Map<string, DnsResponse>();
  for (const f of failures) seen.set(`${f.name} ${f.type}`, f);
  return [...seen.values()];
}
