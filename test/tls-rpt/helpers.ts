/** Fixture helpers for the TLS-RPT tests: a context over an in-memory zone. */
import { DEFAULT_CHECK_OPTIONS, type CheckContext, makeContext } from '../../src/checker/check.ts';
import type { Resolver } from '../../src/checker/dns/types.ts';
import type { CheckResult } from '../../src/checker/types.ts';
import type { DnsFixture, NameSpec } from '../world/dns/zone.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';

export function contextFor(
  domain: string,
  names: Record<string, NameSpec>,
  extra: Omit<DnsFixture, 'names'> = {},
): { ctx: CheckContext; resolver: MemoryResolver } {
  const resolver = new MemoryResolver({ names, ...extra });
  return { ctx: withResolver(domain, resolver), resolver };
}

export function withResolver(domain: string, resolver: Resolver): CheckContext {
  return makeContext({ domain, resolver });
}

export function codes(r: CheckResult): string[] {
  return r.findings.map((f) => f.code);
}
