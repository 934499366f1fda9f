/** Fixture helpers for the MX tests: a context over an in-memory zone. */
import { DEFAULT_CHECK_OPTIONS, type CheckContext, makeContext } from '../../src/checker/check.ts';
import type { CheckResult } from '../../src/checker/types.ts';
import type { DnsFixture, NameSpec } from '../world/dns/zone.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';
import { CachingResolver } from '../../src/checker/dns/cache.ts';

export function contextFor(domain: string, names: Record<string, NameSpec>): { ctx: CheckContext; resolver: MemoryResolver } {
  const fixture: DnsFixture = { names };
  const resolver = new MemoryResolver(fixture);
  // as in a real run, the caching resolver answers a repeated question once; `resolver.log` is the wire
  const ctx: CheckContext = makeContext({ domain, resolver: new CachingResolver(resolver) });
  return { ctx, resolver };
}

export function codes(r: CheckResult): string[] {
  return r.findings.map((f) => f.code);
}

/** FCrDNS-complete records for a host: forward A/AAAA plus matching PTRs. */
export function mailHost(name: string, v4: string, v6?: string): Record<string, NameSpec> {
  const out: Record<string, NameSpec> = {
    [name]: { A: [v4], ...(v6 ? { AAAA: [v6] } : {}) },
    [`${v4.split('.').reverse().join('.')}.in-addr.arpa`]: { PTR: [name] },
  };
  if (v6) out[ip6Arpa(v6)] = { PTR: [name] };
  return out;
}

/** ip6.arpa name of a fully written-out or compressed IPv6 address (test-side, independent of the code under test). */
export function ip6Arpa(address: string): string {
  const [head = '', tail = ''] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const hex = groups.map((g) => g.padStart(4, '0')).join('');
  return `${hex.split('').reverse().join('.')}.ip6.arpa`;
}
