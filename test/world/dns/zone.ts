/**
 * Readable DNS fixtures for the fixture world and the answering logic shared by
 * the loopback DNS server and the in-memory resolver (one rule, one place).
 *
 * A fixture is a flat map of owner names to record sets. Names are absolute
 * (no trailing dot needed). A name that owns nothing but has descendants is an
 * empty non-terminal (NODATA); any other unknown name is NXDOMAIN. `*.x` owners
 * act as wildcards (RFC 4592, simplified: closest existing ancestor).
 */
import type {
  Answer, CaaData, DnskeyData, DsData, RDataMap, RRType, SoaData, TlsaData,
} from '../../../src/checker/dns/types.ts';
import { canonicalName } from '../../../src/checker/dns/types.ts';

/** Fault injected for a name: the server answers SERVFAIL/REFUSED or stays silent (timeout). */
export type Fault = 'servfail' | 'timeout' | 'refused';

export interface NameSpec {
  A?: string[];
  AAAA?: string[];
  /** `[preference, exchange]` */
  MX?: Array<[number, string]>;
  /** a string is one TXT record (split into 255-byte character-strings as servers do); an array gives the strings */
  TXT?: Array<string | string[]>;
  SPF?: Array<string | string[]>;
  CNAME?: string;
  PTR?: string[];
  NS?: string[];
  SOA?: SoaData;
  TLSA?: TlsaData[];
  DS?: DsData[];
  DNSKEY?: DnskeyData[];
  CAA?: CaaData[];
  /** inject a fault for this name; with `faultTypes`, only for those types */
  fault?: Fault;
  faultTypes?: RRType[];
  ttl?: number;
}

export interface DnsFixture {
  names: Record<string, NameSpec>;
  /** zone apexes whose answers carry AD (when the query sets DO or AD) */
  signed?: string[];
  /** zone apexes that fail validation: SERVFAIL + EDE 6 unless CD is set */
  bogus?: string[];
  /** delay every answer by this many ms */
  delayMs?: number;
}

export interface ZoneAnswer<T extends RRType = RRType> {
  rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED';
  /** records of the asked type (after the CNAME chain) */
  answers: Answer<T>[];
  /** the CNAME records followed, in order */
  cnameChain: Answer<'CNAME'>[];
  ad: boolean;
  /** drop the query: the client sees a timeout */
  drop: boolean;
  ede?: { code: number; text: string };
}

const DEFAULT_TTL = 300;

function under(name: string, apex: string): boolean {
  return name === apex || name.endsWith(`.${apex}`);
}

export class FixtureZones {
  private readonly names = new Map<string, NameSpec>();
  private readonly existing = new Set<string>();
  readonly signed: string[];
  readonly bogus: string[];

  constructor(fixture: DnsFixture) {
    this.signed = (fixture.signed ?? []).map(canonicalName);
    this.bogus = (fixture.bogus ?? []).map(canonicalName);
    for (const [raw, spec] of Object.entries(fixture.names)) {
      const name = canonicalName(raw);
      const previous = this.names.get(name);
      this.names.set(name, previous ? mergeSpecs(previous, spec) : spec);
      // the name and every ancestor exist (ancestors as empty non-terminals)
      const labels = name.split('.');
      for (let i = 0; i < labels.length; i++) this.existing.add(labels.slice(i).join('.'));
    }
  }

  has(name: string): boolean {
    return this.names.has(canonicalName(name));
  }

  isSigned(name: string): boolean {
    return this.signed.some((apex) => under(name, apex));
  }

  isBogus(name: string): boolean {
    return this.bogus.some((apex) => under(name, apex));
  }

  private spec(name: string): NameSpec | undefined {
    const exact = this.names.get(name);
    if (exact) return exact;
    if (this.existing.has(name)) return undefined;
    // wildcard at the closest encloser (RFC 4592 §3.3.1, simplified)
    const labels = name.split('.');
    for (let i = 1; i < labels.length; i++) {
      const encloser = labels.slice(i).join('.');
      const wild = this.names.get(`*.${encloser}`);
      if (wild) return wild;
      if (this.existing.has(encloser)) return undefined;
    }
    return undefined;
  }

  private exists(name: string): boolean {
    return this.existing.has(name) || this.spec(name) !== undefined;
  }

  answer<T extends RRType>(rawName: string, type: T, flags: { dnssecOk: boolean; cd: boolean }): ZoneAnswer<T> {
    let name = canonicalName(rawName);
    const cnameChain: Answer<'CNAME'>[] = [];
    const seen = new Set<string>();
    const adWanted = flags.dnssecOk;
    let ad = adWanted;
    for (;;) {
      if (this.isBogus(name) && !flags.cd) {
        return { rcode: 'SERVFAIL', answers: [], cnameChain, ad: false, drop: false, ede: { code: 6, text: 'DNSSEC Bogus' } };
      }
      ad = ad && this.isSigned(name) && !this.isBogus(name);
      const spec = this.spec(name);
      if (spec?.fault && (!spec.faultTypes || spec.faultTypes.includes(type))) {
        if (spec.fault === 'timeout') return { rcode: 'SERVFAIL', answers: [], cnameChain, ad: false, drop: true };
        return { rcode: spec.fault === 'servfail' ? 'SERVFAIL' : 'REFUSED', answers: [], cnameChain, ad: false, drop: false };
      }
      if (!spec) {
        return { rcode: this.exists(name) ? 'NOERROR' : 'NXDOMAIN', answers: [], cnameChain, ad, drop: false };
      }
      const ttl = spec.ttl ?? DEFAULT_TTL;
      if (spec.CNAME && type !== 'CNAME') {
        const target = canonicalName(spec.CNAME);
        cnameChain.push({ name, ttl, data: target });
        if (seen.has(target) || cnameChain.length > 16) {
          // a CNAME loop: what a recursive resolver reports as SERVFAIL
          return { rcode: 'SERVFAIL', answers: [], cnameChain, ad: false, drop: false };
        }
        seen.add(name);
        name = target;
        continue;
      }
      const answers = recordsOf(spec, type).map((data) => ({ name, ttl, data }));
      return { rcode: 'NOERROR', answers, cnameChain, ad, drop: false };
    }
  }
}

function mergeSpecs(a: NameSpec, b: NameSpec): NameSpec {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = Array.isArray(prev) && Array.isArray(v) ? [...prev, ...v] : v;
  }
  return out as NameSpec;
}

/** Split a long TXT value into ≤255-byte character-strings, as zone tooling does. */
export function splitTxt(value: string | string[]): string[] {
  if (Array.isArray(value)) return value;
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length <= 255) return [value];
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 255) parts.push(bytes.subarray(i, i + 255).toString('utf8'));
  return parts;
}

function recordsOf<T extends RRType>(spec: NameSpec, type: T): RDataMap[T][] {
  const t = type as RRType;
  let out: unknown[];
  switch (t) {
    case 'MX':
      out = (spec.MX ?? []).map(([preference, exchange]) => ({ preference, exchange: canonicalName(exchange) }));
      break;
    case 'TXT':
      out = (spec.TXT ?? []).map(splitTxt);
      break;
    case 'SPF':
      out = (spec.SPF ?? []).map(splitTxt);
      break;
    case 'CNAME':
      out = spec.CNAME ? [canonicalName(spec.CNAME)] : [];
      break;
    case 'PTR':
    case 'NS':
      out = (spec[t] ?? []).map(canonicalName);
      break;
    case 'SOA':
      out = spec.SOA ? [spec.SOA] : [];
      break;
    default:
      out = (spec[t] as unknown[] | undefined) ?? [];
  }
  return out as RDataMap[T][];
}
