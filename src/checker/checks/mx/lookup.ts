/**
 * The MX checks' query function: the context's resolver with the run's signal. Repeated and
 * concurrent questions are answered once by the run's caching resolver (`dns/cache.ts`), the one
 * place that rule lives.
 */
import type { CheckContext } from '../../check.ts';
import type { DnsResponse, RRType } from '../../dns/types.ts';

export type Lookup = <T extends RRType>(name: string, type: T) => Promise<DnsResponse<T>>;

export function lookupFor(ctx: CheckContext): Lookup {
  return (name, type) => ctx.resolver.query(name, type, { signal: ctx.signal });
}
