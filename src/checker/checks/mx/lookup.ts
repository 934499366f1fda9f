/**
 * One memoised query function per check context, so the MX facts, the reverse-DNS
 * checks and their forward confirmations never ask the same question twice.
 */
import type { CheckContext } from '../../check.ts';
import type { DnsResponse, RRType } from '../../dns/types.ts';
import { canonicalName } from '../../dns/types.ts';

export type Lookup = <T extends RRType>(name: string, type: T) => Promise<DnsResponse<T>>;

const lookups = new WeakMap<CheckContext, Lookup>();

export function lookupFor(ctx: CheckContext): Lookup {
  let lookup = lookups.get(ctx);
  if (!lookup) {
    const asked = new Map<string, Promise<DnsResponse>>();
    lookup = <T extends RRType>(name: string, type: T): Promise<DnsResponse<T>> => {
      const key = `${canonicalName(name)} ${type}`;
      let pending = asked.get(key);
      if (!pending) {
        pending = ctx.resolver.query(name, type, { signal: ctx.signal });
        asked.set(key, pending);
      }
      return pending as Promise<DnsResponse<T>>;
    };
    lookups.set(ctx, lookup);
  }
  return lookup;
}
