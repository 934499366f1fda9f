/**
 * DNS wire format on top of dns-packet: building queries and turning a decoded
 * response into our DnsResponse. Shared by the UDP/TCP stub and DoH.
 */
import packet from 'dns-packet';
import type { Answer, DnsOutcome, DnsResponse, ExtendedDnsError, RDataMap, RRType } from './types.ts';
import { canonicalName } from './types.ts';

/** RFC 6891 §6.2.5 / DNS Flag Day 2020: 1232 avoids IP fragmentation. */
export const EDNS_UDP_SIZE = 1232;
const EDE_OPTION = 15; // RFC 8914 §2

export interface BuildOptions {
  id: number;
  dnssecOk?: boolean;
  cd?: boolean;
}

export function buildQuery(name: string, type: RRType, options: BuildOptions): Buffer {
  let flags = packet.RECURSION_DESIRED;
  if (options.cd) flags |= packet.CHECKING_DISABLED;
  return packet.encode({
    type: 'query',
    id: options.id,
    flags,
    questions: [{ type: type as packet.RecordType, name, class: 'IN' }],
    additionals: [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: EDNS_UDP_SIZE,
        // DO=1 asks the resolver to report AD (RFC 3225 §3; RFC 6840 §5.7)
        flags: options.dnssecOk === false ? 0 : packet.DNSSEC_OK,
      } as packet.Answer,
    ],
  });
}

/** Header and question fields needed to match a response to its query (RFC 5452 §4.3). */
export function responseMatches(decoded: packet.Packet, id: number, name: string, type: RRType): boolean {
  if (decoded.type !== 'response' || decoded.id !== id) return false;
  const q = decoded.questions?.[0];
  if (!q) return false;
  return canonicalName(q.name) === canonicalName(name) && q.type === type;
}

function hex(b: unknown): string {
  return Buffer.isBuffer(b) ? b.toString('hex') : '';
}

/** Character-strings of TXT-format RDATA (used for the SPF type, which dns-packet leaves raw). */
export function decodeCharacterStrings(raw: Buffer): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < raw.length) {
    const len = raw[i]!;
    out.push(raw.subarray(i + 1, i + 1 + len).toString('utf8'));
    i += 1 + len;
  }
  return out;
}

export function encodeCharacterStrings(strings: string[]): Buffer {
  return Buffer.concat(
    strings.map((s) => {
      const b = Buffer.from(s, 'utf8');
      return Buffer.concat([Buffer.from([Math.min(b.length, 255)]), b.subarray(0, 255)]);
    }),
  );
}

function convertData(type: RRType, data: unknown): RDataMap[RRType] | undefined {
  switch (type) {
    case 'A':
    case 'AAAA':
      return typeof data === 'string' ? data : undefined;
    case 'CNAME':
    case 'PTR':
    case 'NS':
      return typeof data === 'string' ? canonicalName(data) : undefined;
    case 'MX': {
      const mx = data as { preference: number; exchange: string };
      return { preference: mx.preference, exchange: canonicalName(mx.exchange ?? '') };
    }
    case 'TXT': {
      const parts = Array.isArray(data) ? data : [data];
      return parts.map((p) => (Buffer.isBuffer(p) ? p.toString('utf8') : String(p)));
    }
    case 'SPF':
      return Buffer.isBuffer(data) ? decodeCharacterStrings(data) : [];
    case 'SOA':
      return data as RDataMap['SOA'];
    case 'TLSA': {
      const t = data as { usage: number; selector: number; matchingType: number; certificate: Buffer };
      return { usage: t.usage, selector: t.selector, matchingType: t.matchingType, data: hex(t.certificate) };
    }
    case 'DS': {
      const d = data as { keyTag: number; algorithm: number; digestType: number; digest: Buffer };
      return { keyTag: d.keyTag, algorithm: d.algorithm, digestType: d.digestType, digest: hex(d.digest) };
    }
    case 'DNSKEY': {
      const k = data as { flags: number; algorithm: number; key: Buffer };
      return { flags: k.flags, algorithm: k.algorithm, key: Buffer.isBuffer(k.key) ? k.key.toString('base64') : '' };
    }
    case 'CAA': {
      const c = data as { flags: number; tag: string; value: string };
      return { flags: c.flags, tag: c.tag, value: c.value };
    }
  }
}

function extendedErrors(decoded: packet.Packet): ExtendedDnsError[] {
  const out: ExtendedDnsError[] = [];
  for (const rr of decoded.additionals ?? []) {
    if (rr.type !== 'OPT') continue;
    for (const opt of (rr as unknown as { options?: { code: number; data?: Buffer }[] }).options ?? []) {
      if (opt.code !== EDE_OPTION || !opt.data || opt.data.length < 2) continue;
      const text = opt.data.subarray(2).toString('utf8');
      out.push(text ? { code: opt.data.readUInt16BE(0), text } : { code: opt.data.readUInt16BE(0) });
    }
  }
  return out;
}

/** Convert a decoded response to our model, following the CNAME chain inside the answer section. */
export function toDnsResponse<T extends RRType>(
  decoded: packet.Packet,
  name: string,
  type: T,
  server: string,
): DnsResponse<T> {
  const rcode = (decoded as { rcode?: string }).rcode ?? 'NOERROR';
  const qname = canonicalName(name);
  const answers: Answer<T>[] = [];
  const cnames: string[] = [];
  // follow the chain from the query name; ignore records for unrelated owners (RFC 5452 §6)
  let owner = qname;
  const all = decoded.answers ?? [];
  for (let hops = 0; hops < 16; hops++) {
    if (type !== 'CNAME') {
      const cname = all.find((rr) => rr.type === 'CNAME' && canonicalName(rr.name) === owner);
      const direct = all.some((rr) => rr.type === type && canonicalName(rr.name) === owner);
      if (cname && !direct) {
        cnames.push(owner);
        owner = canonicalName(String((cname as { data: string }).data));
        continue;
      }
    }
    break;
  }
  for (const rr of all) {
    if (rr.type !== type || canonicalName(rr.name) !== owner) continue;
    const data = convertData(type, (rr as { data: unknown }).data);
    if (data === undefined) continue;
    answers.push({ name: canonicalName(rr.name), ttl: (rr as { ttl?: number }).ttl ?? 0, data: data as RDataMap[T] });
  }
  let outcome: DnsOutcome;
  switch (rcode) {
    case 'NOERROR':
      outcome = answers.length ? 'answer' : 'nodata';
      break;
    case 'NXDOMAIN':
      // RFC 6604: NXDOMAIN refers to the last name of the chain
      outcome = 'nxdomain';
      break;
    case 'SERVFAIL':
      outcome = 'servfail';
      break;
    case 'REFUSED':
      outcome = 'refused';
      break;
    default:
      outcome = 'error';
  }
  const soa = (decoded.authorities ?? []).find((rr) => rr.type === 'SOA') as { ttl?: number; data?: { minimum?: number } } | undefined;
  const ttl = answers.length
    ? Math.min(...answers.map((a) => a.ttl))
    : Math.min(soa?.ttl ?? 60, soa?.data?.minimum ?? 60); // RFC 2308 §5 negative caching TTL
  const response: DnsResponse<T> = {
    name: qname,
    type,
    outcome,
    rcode,
    answers,
    cnames,
    ad: Boolean((decoded as { flag_ad?: boolean }).flag_ad),
    ttl,
    ede: extendedErrors(decoded),
    server,
  };
  if (outcome === 'error') response.error = `rcode ${rcode}`;
  return response;
}

export function failureResponse<T extends RRType>(
  name: string,
  type: T,
  outcome: 'timeout' | 'error',
  error: string,
  server?: string,
): DnsResponse<T> {
  const r: DnsResponse<T> = {
    name: canonicalName(name), type, outcome, rcode: '', answers: [], cnames: [], ad: false, ttl: 0, ede: [], error,
  };
  if (server) r.server = server;
  return r;
}
