/**
 * A TTL-respecting cache with in-flight de-duplication in front of any
 * Resolver. One instance is shared by every check of a run (and by whole
 * digest runs), so fifty domains that include the same provider SPF cost one
 * lookup. It also counts queries so benchmarks can report them.
 */
import type { DnsResponse, QueryOptions, RRType, Resolver } from './types.ts';
import { isLookupFailure } from './types.ts';

export interface CacheOptions {
  /** upper bound on how long any answer is kept, seconds */
  maxTtl?: number;
  /** how long a failed lookup (timeout/SERVFAIL) is remembered, seconds: long enough to stop one run retrying it */
  failureTtl?: number;
  /** entries kept at most (oldest dropped first) */
  maxEntries?: number;
  now?: () => number;
}

export interface ResolverStats {
  /** lookups asked of the cache */
  lookups: number;
  /** lookups that went to the upstream resolver */
  queries: number;
  /** answered from a stored entry */
  hits: number;
  /** joined a lookup already in flight */
  joined: number;
}

interface Entry {
  expires: number;
  response: DnsResponse;
}

export class CachingResolver implements Resolver {
  private readonly upstream: Resolver;
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<DnsResponse>>();
  private readonly maxTtl: number;
  private readonly failureTtl: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  readonly stats: ResolverStats = { lookups: 0, queries: 0, hits: 0, joined: 0 };

  constructor(upstream: Resolver, options: CacheOptions = {}) {
    this.upstream = upstream;
    this.maxTtl = options.maxTtl ?? 3600;
    this.failureTtl = options.failureTtl ?? 30;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  async query<T extends RRType>(name: string, type: T, options: QueryOptions = {}): Promise<DnsResponse<T>> {
    const key = `${name.toLowerCase().replace(/\.$/, '')}|${type}|${options.cd ? 1 : 0}`;
    this.stats.lookups++;
    const entry = this.entries.get(key);
    if (entry && entry.expires > this.now()) {
      this.stats.hits++;
      return entry.response as DnsResponse<T>;
    }
    const running = this.inflight.get(key);
    if (running) {
      this.stats.joined++;
      return (await running) as DnsResponse<T>;
    }
    this.stats.queries++;
    // the shared lookup must not die with the first caller's signal: others may be waiting on it
    const lookup = this.upstream.query(name, type, { cd: options.cd ?? false });
    this.inflight.set(key, lookup);
    try {
      const response = await (options.signal ? raceAbort(lookup, options.signal) : lookup);
      return response;
    } finally {
      lookup
        .then((response) => this.store(key, response))
        .catch(() => undefined)
        .finally(() => this.inflight.delete(key));
    }
  }

  private store(key: string, response: DnsResponse): void {
    const ttl = isLookupFailure(response.outcome) ? this.failureTtl : Math.min(response.ttl, this.maxTtl);
    if (ttl <= 0) return;
    // an answer reached through a CNAME also answers the canonical name (RFC 1034 §3.6.2): asking
    // for it next (an MX alias's PTR names the target) must not cost another round trip
    const owner = response.answers[0]?.name;
    if (response.outcome === 'answer' && response.cnames.length && owner) {
      const canonicalKey = `${owner}|${response.type}|${key.endsWith('|1') ? 1 : 0}`;
      if (!this.entries.has(canonicalKey)) this.put(canonicalKey, ttl, { ...response, name: owner, cnames: [] });
    }
    this.put(key, ttl, response);
  }

  private put(key: string, ttl: number, response: DnsResponse): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { expires: this.now() + ttl * 1000, response });
  }

  clear(): void {
    this.entries.clear();
  }
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
