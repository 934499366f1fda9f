/**
 * The DNSSEC check (`dnssec`): is the domain's zone, and each MX host's zone, signed
 * and validating?
 *
 * We do not validate signatures ourselves. Like internet.nl, we ask the configured
 * (validating) resolver with DO=1 and read its verdict: Extended DNS Errors first
 * (RFC 8914), then the AD bit (RFC 4035 §3.2.3), and after a SERVFAIL a retry with
 * CD=1 (RFC 4035 §3.2.2): data that comes back only with checking disabled is bogus.
 * The AD bit is only as trustworthy as the path to that resolver, so the evidence
 * names the resolver and says how it was reached.
 */
import { isIP } from 'node:net';
import { createHash } from 'node:crypto';
import { getDomain } from 'tldts';
import { describeFailure, lookupFailed, result, untested, type CheckContext } from '../check.ts';
import type { DnskeyData, DnsResponse, RRType, Resolver } from '../dns/types.ts';
import { canonicalName, isLookupFailure } from '../dns/types.ts';
import { finding } from '../findings.ts';
import type { CheckResult, Finding } from '../types.ts';

export type DnssecStatus = 'secure' | 'insecure' | 'bogus' | 'unknown';

export interface DnssecVerdict<T extends RRType = RRType> {
  status: DnssecStatus;
  /** the answer to the validating query (DO=1, CD=0) */
  response: DnsResponse<T>;
  /** the CD=1 retry after a SERVFAIL, when one was made; its records are NOT validated */
  cdResponse?: DnsResponse<T>;
  /** why this status, in plain English */
  reason: string;
  /** the EDE info-codes that made it bogus, if any */
  bogusEde: number[];
}

/** RFC 8914 §4 info-codes that mean "validation failed" (internet.nl's BOGUS set). */
export const BOGUS_EDE: Readonly<Record<number, string>> = {
  6: 'DNSSEC Bogus',
  7: 'Signature Expired',
  8: 'Signature Not Yet Valid',
  9: 'DNSKEY Missing',
  10: 'RRSIGs Missing',
  11: 'No Zone Key Bit Set',
  12: 'NSEC Missing',
};

/** DNSSEC algorithm numbers (IANA registry) and RFC 8624 §3.1 signing guidance. */
export const DNSSEC_ALGORITHMS: Readonly<Record<number, { name: string; weak: boolean; status: string }>> = {
  1: { name: 'RSAMD5', weak: true, status: 'MUST NOT' },
  3: { name: 'DSA', weak: true, status: 'MUST NOT' },
  5: { name: 'RSASHA1', weak: true, status: 'NOT RECOMMENDED' },
  6: { name: 'DSA-NSEC3-SHA1', weak: true, status: 'MUST NOT' },
  7: { name: 'RSASHA1-NSEC3-SHA1', weak: true, status: 'NOT RECOMMENDED' },
  8: { name: 'RSASHA256', weak: false, status: 'MUST' },
  10: { name: 'RSASHA512', weak: false, status: 'NOT RECOMMENDED' },
  12: { name: 'ECC-GOST', weak: true, status: 'MUST NOT' },
  13: { name: 'ECDSAP256SHA256', weak: false, status: 'MUST' },
  14: { name: 'ECDSAP384SHA384', weak: false, status: 'MAY' },
  15: { name: 'ED25519', weak: false, status: 'RECOMMENDED' },
  16: { name: 'ED448', weak: false, status: 'MAY' },
};

export function algorithmName(alg: number): string {
  return DNSSEC_ALGORITHMS[alg]?.name ?? `algorithm ${alg}`;
}

/**
 * Classify one lookup as secure / insecure / bogus / unknown, internet.nl style:
 * a bogus EDE (RFC 8914 codes 6–12) → bogus; SERVFAIL → retry with CD=1 (an answer then
 * → bogus, another failure → unknown unless an EDE said bogus); other failures → unknown;
 * AD → secure; otherwise insecure. Only `response` is validated data: `cdResponse`
 * records must never be trusted (DANE must not use them).
 */
export async function dnssecStatus<T extends RRType>(
  resolver: Resolver,
  name: string,
  type: T,
  options: { signal?: AbortSignal } = {},
): Promise<DnssecVerdict<T>> {
  const response = await resolver.query(name, type, { signal: options.signal });
  const bogusEde = response.ede.map((e) => e.code).filter((c) => c in BOGUS_EDE);
  const edeReason = `the resolver reported ${bogusEde.map((c) => `EDE ${c} ${BOGUS_EDE[c]}`).join(', ')} (RFC 8914)`;
  if (response.outcome === 'servfail') {
    // RFC 4035 §3.2.2: with CD set the resolver returns the data without validating it
    // (done even when an EDE already says bogus, so callers can still see what is published)
    const cdResponse = await resolver.query(name, type, { signal: options.signal, cd: true });
    if (bogusEde.length) return { status: 'bogus', response, cdResponse, bogusEde, reason: edeReason };
    if (!isLookupFailure(cdResponse.outcome)) {
      return {
        status: 'bogus', response, cdResponse, bogusEde,
        reason: 'the resolver answered SERVFAIL, but answered the same query with checking disabled (CD=1): the data fails validation',
      };
    }
    return {
      status: 'unknown', response, cdResponse, bogusEde,
      reason: `the lookup failed (SERVFAIL), and again with checking disabled (${describeFailure(cdResponse)}): this is a DNS failure, not a DNSSEC verdict`,
    };
  }
  if (bogusEde.length) return { status: 'bogus', response, bogusEde, reason: edeReason };
  if (isLookupFailure(response.outcome)) {
    return { status: 'unknown', response, bogusEde, reason: `the lookup failed (${describeFailure(response)})` };
  }
  if (response.ad) return { status: 'secure', response, bogusEde, reason: 'the resolver set the AD bit: the answer validated' };
  return { status: 'insecure', response, bogusEde, reason: 'the resolver answered without the AD bit: the answer is not DNSSEC-validated' };
}

/** The response that holds records: the validated one, or the CD=1 retry of a bogus lookup. */
function dataOf<T extends RRType>(v: DnssecVerdict<T>): DnsResponse<T> {
  return v.response.outcome === 'answer' || !v.cdResponse ? v.response : v.cdResponse;
}

/** How far the resolver's AD bit can be trusted, from where it sits (RFC 4033 §4; RFC 6698 §4 "secure channel"). */
export function resolverTrust(server: string | undefined): { resolver: string; path: string; trusted: boolean; note: string } {
  const resolver = server ?? 'unknown';
  const host = resolver.replace(/^\[([^\]]+)\](:\d+)?$/, '$1').replace(/^([^:]+):\d+$/, '$1').toLowerCase();
  let path: string;
  let trusted: boolean;
  if (resolver === 'memory') {
    path = 'in-process fixture resolver';
    trusted = true;
  } else if (/^https:\/\//i.test(resolver)) {
    path = 'DNS-over-HTTPS (authenticated channel)';
    trusted = true;
  } else if (/^127\./.test(host) || host === '::1' || host === 'localhost') {
    path = 'loopback';
    trusted = true;
  } else {
    path = 'unauthenticated network path';
    trusted = false;
  }
  const note = trusted
    ? `The AD bit was set (or not) by ${resolver} (${path}). It is only as trustworthy as that resolver and the path to it.`
    : `The AD bit came from ${resolver} over an ${path}; anyone on that path could forge it. Treat these verdicts as trustworthy only with a validating resolver on loopback or over an authenticated channel (DoT/DoH).`;
  return { resolver, path, trusted, note };
}

/** RFC 4034 Appendix B key tag over the DNSKEY RDATA (protocol is always 3, RFC 4034 §2.1.2). */
export function dnskeyRdata(key: DnskeyData): Buffer {
  const pub = Buffer.from(key.key, 'base64');
  const head = Buffer.alloc(4);
  head.writeUInt16BE(key.flags, 0);
  head.writeUInt8(3, 2);
  head.writeUInt8(key.algorithm, 3);
  return Buffer.concat([head, pub]);
}

export function keyTag(key: DnskeyData): number {
  const rdata = dnskeyRdata(key);
  // RFC 4034 Appendix B.1: RSAMD5 keys use the modulus' low 16 bits
  if (key.algorithm === 1) return rdata.length >= 3 ? rdata.readUInt16BE(rdata.length - 3) : 0;
  let ac = 0;
  for (let i = 0; i < rdata.length; i++) ac += i & 1 ? rdata[i]! : rdata[i]! << 8;
  ac += (ac >> 16) & 0xffff;
  return ac & 0xffff;
}

function wireName(name: string): Buffer {
  const labels = canonicalName(name).split('.').filter(Boolean);
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])]);
}

/** The SHA-256 DS record for a key (RFC 4509 §2.1; RFC 4034 §5.1.4), in zone-file form. */
export function dsRecord(zone: string, key: DnskeyData): string {
  const digest = createHash('sha256').update(Buffer.concat([wireName(zone), dnskeyRdata(key)])).digest('hex').toUpperCase();
  return `${canonicalName(zone)}. IN DS ${keyTag(key)} ${key.algorithm} 2 ${digest}`;
}

const ZONE_KEY = 0x0100; // RFC 4034 §2.1.1
const SEP = 0x0001;
const REVOKE = 0x0080; // RFC 5011 §3

interface HostVerdict {
  host: string;
  zone: string;
  verdict: DnssecVerdict<'A'>;
}

function zoneOf(host: string): string {
  return getDomain(host) ?? host;
}

function isNullMx(exchanges: string[]): boolean {
  // RFC 7505 §3: a single MX with the root "." as exchange
  return exchanges.length === 1 && (exchanges[0] === '' || exchanges[0] === '.');
}

function verdictEvidence(v: DnssecVerdict): Record<string, unknown> {
  const out: Record<string, unknown> = {
    status: v.status,
    query: `${v.response.name} ${v.response.type}`,
    rcode: v.response.rcode || v.response.outcome,
    ad: v.response.ad,
    reason: v.reason,
    vouchedBy: v.response.server ?? 'unknown',
  };
  if (v.response.ede.length) out.ede = v.response.ede;
  if (v.cdResponse) out.cdRetry = { outcome: v.cdResponse.outcome, rcode: v.cdResponse.rcode };
  return out;
}

/** Find the zone's DNSKEY RRset: at the domain, or (for a name below a zone cut) at its ancestors up to the registrable domain. */
async function findDnskeys(ctx: CheckContext, first: Promise<DnssecVerdict<'DNSKEY'>>): Promise<{ zone: string; verdict: DnssecVerdict<'DNSKEY'> }> {
  let verdict = await first;
  let zone = ctx.domain;
  const stop = getDomain(ctx.domain) ?? ctx.domain;
  while (dataOf(verdict).outcome !== 'answer' && !isLookupFailure(dataOf(verdict).outcome) && zone !== stop && zone.includes('.')) {
    zone = zone.slice(zone.indexOf('.') + 1);
    verdict = await dnssecStatus(ctx.resolver, zone, 'DNSKEY', { signal: ctx.signal });
  }
  return { zone, verdict };
}

export async function checkDnssec(ctx: CheckContext): Promise<CheckResult> {
  const { domain, resolver, signal } = ctx;
  // all three at once; each MX host's lookup starts as soon as the MX answer is in
  const soaP = dnssecStatus(resolver, domain, 'SOA', { signal });
  const keysP = findDnskeys(ctx, dnssecStatus(resolver, domain, 'DNSKEY', { signal }));
  const mxP = dnssecStatus(resolver, domain, 'MX', { signal });
  const hostsP = mxP.then(async (mx) => {
    const data = dataOf(mx);
    if (data.outcome !== 'answer') return [];
    const exchanges = [...data.answers].sort((a, b) => a.data.preference - b.data.preference).map((a) => canonicalName(a.data.exchange));
    if (isNullMx(exchanges)) return [];
    // an IP-literal exchange has no zone to sign (the MX check reports mx.target_is_ip)
    const hosts = [...new Set(exchanges.filter((h) => h && h !== '.' && !isIP(h.replace(/^\[|\]$/g, ''))))].slice(0, 16);
    return Promise.all(hosts.map(async (host): Promise<HostVerdict> => ({
      host, zone: zoneOf(host), verdict: await dnssecStatus(resolver, host, 'A', { signal }),
    })));
  });
  for (const p of [keysP, hostsP]) p.catch(() => undefined);

  const soa = await soaP;
  const trust = resolverTrust(soa.response.server);
  const evidence: Record<string, unknown> = {
    resolver: trust.resolver,
    resolverPath: trust.path,
    trustNote: trust.note,
    domain: { name: domain, ...verdictEvidence(soa) },
  };

  if (soa.status === 'unknown') {
    return untested('dnssec', `The SOA lookup for ${domain} failed (${describeFailure(soa.response)}); DNSSEC status unknown`, [lookupFailed(soa.response)], evidence);
  }
  if (soa.response.outcome === 'nxdomain') {
    // the orchestrator reports dns.nxdomain; there is no zone to judge
    return untested('dnssec', `${domain} does not exist (NXDOMAIN)`, [], evidence);
  }

  const [keys, mx, hosts] = await Promise.all([keysP, mxP, hostsP]);
  const findings: Finding[] = [];
  const failures: DnsResponse[] = [];

  // --- the domain's own zone ---------------------------------------------------------
  const keyData = dataOf(keys.verdict);
  const dnskeys = keyData.outcome === 'answer' ? keyData.answers.map((a) => a.data) : [];
  const zoneKeys = dnskeys.filter((k) => k.flags & ZONE_KEY && !(k.flags & REVOKE));
  const ksks = zoneKeys.filter((k) => k.flags & SEP);
  // the keys a DS should point at: the KSKs, or every zone key when none is flagged SEP
  const dsKeys = ksks.length ? ksks : zoneKeys;
  evidence.dnskey = {
    zone: keys.zone,
    outcome: keyData.outcome,
    keys: dnskeys.map((k) => ({
      keyTag: keyTag(k), flags: k.flags, role: k.flags & SEP ? 'KSK' : 'ZSK', algorithm: k.algorithm, algorithmName: algorithmName(k.algorithm),
      ...(k.flags & REVOKE ? { revoked: true } : {}),
    })),
  };
  if (isLookupFailure(keyData.outcome)) failures.push(keyData);

  if (soa.status === 'bogus') {
    findings.push(
      finding(
        'dnssec.bogus',
        `DNSSEC validation fails for ${domain}: ${soa.reason}. Validating resolvers (${trust.resolver} here, and those of most large mail providers) refuse to answer for a bogus zone, so mail to and from ${domain} can fail outright.`,
        `Fix the signatures of ${domain} now: re-sign the zone (expired or missing RRSIGs are the usual cause) and make sure the DS record at your registrar matches a DNSKEY the zone publishes${dsKeys[0] ? ` (for example: ${dsRecord(keys.zone, dsKeys[0])})` : ''}. If you cannot, remove the DS record at the registrar to make the zone unsigned rather than broken. Check with: dig +dnssec +cd SOA ${domain}`,
      ),
    );
  } else if (soa.status === 'insecure') {
    const signedButUnanchored = keys.zone === domain && zoneKeys.length > 0;
    findings.push(
      finding(
        'dnssec.unsigned',
        signedButUnanchored
          ? `${domain} publishes DNSKEY records (key tags ${zoneKeys.map(keyTag).join(', ')}), but its answers do not validate as secure (no AD bit from ${trust.resolver}): the chain of trust is broken, most likely because there is no DS record at the parent zone${zoneKeys.some((k) => !DNSSEC_ALGORITHMS[k.algorithm] || k.algorithm === 12) ? ' or the algorithm is not supported by validators' : ''}. Without it, its MX, SPF, DMARC and MTA-STS records can be forged in transit, and DANE is impossible.`
          : `${domain} is not DNSSEC-signed (${trust.resolver} answered its SOA without the AD bit). Its MX, SPF, DMARC and MTA-STS records can be forged by anyone who can tamper with DNS answers, and DANE for inbound mail is impossible.`,
        signedButUnanchored
          ? `Publish the DS record at your registrar for ${domain}: ${dsKeys.map((k) => dsRecord(domain, k)).join(' ; ')}`
          : `Turn on DNSSEC signing for ${domain} at your DNS host (use algorithm 13, ECDSAP256SHA256), then publish the DS record it gives you at your registrar (a record like "${domain}. IN DS <key tag> 13 2 <SHA-256 digest>").`,
      ),
    );
  }

  // RFC 8624 §3.1: algorithms validators may no longer accept, or that are too weak to sign with
  const weak = [...new Set(zoneKeys.filter((k) => DNSSEC_ALGORITHMS[k.algorithm]?.weak).map((k) => k.algorithm))];
  if (weak.length) {
    const strong = [...new Set(zoneKeys.filter((k) => DNSSEC_ALGORITHMS[k.algorithm] && !DNSSEC_ALGORITHMS[k.algorithm]!.weak).map((k) => k.algorithm))];
    findings.push(
      finding(
        'dnssec.weak_algorithm',
        `The zone ${keys.zone} is signed with ${weak.map((a) => `algorithm ${a} (${algorithmName(a)}, "${DNSSEC_ALGORITHMS[a]!.status}" for signing under RFC 8624)`).join(' and ')}.` +
          (strong.length
            ? ` It also has keys with ${strong.map((a) => `${a} (${algorithmName(a)})`).join(', ')}; finish the rollover and remove the weak keys.`
            : ' Validators are dropping support for these algorithms; a zone signed only with them will be treated as unsigned, and SHA-1/MD5 signatures can be forged.'),
        `Do an algorithm rollover of ${keys.zone} to algorithm 13 (ECDSAP256SHA256) or 15 (ED25519) (RFC 6781 §4.1.4): sign with new keys alongside the old, replace the DS record at your registrar with one for the new KSK, then remove the ${weak.map(algorithmName).join('/')} keys and signatures.`,
      ),
    );
  }

  // --- the MX hosts' zones (RFC 7672 §2.2: DANE needs them signed) -------------------
  const mxData = dataOf(mx);
  const mxEvidence: Record<string, unknown> = { ...verdictEvidence(mx), outcome: mxData.outcome };
  evidence.mx = mxEvidence;
  if (mx.status === 'unknown') {
    failures.push(mx.response);
    mxEvidence.note = 'MX host names unknown: their zones were not checked';
  } else if (mxData.outcome === 'answer' && hosts.length === 0) {
    mxEvidence.note = 'null MX (RFC 7505): the domain receives no mail, so there are no MX zones to check';
  } else if (mxData.outcome !== 'answer') {
    mxEvidence.note = `no MX record: mail goes to ${domain} itself, whose zone is judged above`;
  }
  mxEvidence.hosts = hosts.map((h) => ({ host: h.host, zone: h.zone, ...verdictEvidence(h.verdict) }));

  const insecureZones = new Map<string, string[]>();
  for (const h of hosts) {
    const s = h.verdict.status;
    if (s === 'unknown') failures.push(h.verdict.response);
    else if (s === 'insecure') insecureZones.set(h.zone, [...(insecureZones.get(h.zone) ?? []), h.host]);
    else if (s === 'bogus') {
      findings.push(
        finding(
          'dnssec.bogus',
          `DNSSEC validation fails for MX host ${h.host}: ${h.verdict.reason}. Validating senders cannot look up its address, so they cannot deliver mail to it.`,
          `Whoever runs the DNS for ${h.zone} must fix its signatures (re-sign the zone, or make the DS record at the registrar match its DNSKEY). Check with: dig +dnssec +cd A ${h.host}`,
        ),
      );
    }
  }
  for (const [zone, zoneHosts] of insecureZones) {
    const own = zone === zoneOf(domain);
    findings.push(
      finding(
        'dnssec.mx_zone_unsigned',
        `The MX host${zoneHosts.length > 1 ? 's' : ''} ${zoneHosts.join(', ')} ${zoneHosts.length > 1 ? 'are' : 'is'} in an unsigned zone (${zone}: ${trust.resolver} answered without the AD bit). Senders cannot use DANE to authenticate ${zoneHosts.length > 1 ? 'these servers' : 'this server'}, and its address can be forged.`,
        own
          ? `Sign ${zone} with DNSSEC (algorithm 13) and publish its DS record at your registrar; then you can publish TLSA records (_25._tcp.${zoneHosts[0]}) for DANE.`
          : `Ask the operator of ${zone} to sign that zone, or use MX hosts in a DNSSEC-signed zone (for example a name in your own signed zone pointing at the same servers).`,
      ),
    );
  }

  for (const r of failures) findings.push(lookupFailed(r));
  if (failures.length) evidence.lookupFailures = failures.map((r) => `${r.name} ${r.type}: ${describeFailure(r)}`);

  return result('dnssec', summarize(domain, soa.status, hosts), findings, evidence);
}

function summarize(domain: string, status: DnssecStatus, hosts: HostVerdict[]): string {
  const head = status === 'secure' ? `${domain} is DNSSEC-signed and validates` : status === 'bogus' ? `DNSSEC validation fails for ${domain}` : `${domain} is not DNSSEC-signed`;
  if (!hosts.length) return head;
  const secure = hosts.filter((h) => h.verdict.status === 'secure').length;
  return `${head}; ${secure} of ${hosts.length} MX host${hosts.length > 1 ? 's' : ''} in signed zones`;
}
