/**
 * The sequential baseline's transport: every query waits until the previous
 * one has been answered, so at most one DNS question is ever in flight — the
 * way a checker that loops over its lookups one by one (checkdmarc) works.
 * Put it under the caching resolver, so cache hits stay free and only wire
 * queries queue.
 */
import type { DnsResponse, QueryOptions, RRType, Resolver } from '../../src/checker/dns/types.ts';

export class SerialResolver implements Resolver {
  private readonly upstream: Resolver;
  private tail: Promise<unknown> = Promise.resolve();
  /** queries that had to wait for another to finish */
  queued = 0;
  private inFlight = 0;

  constructor(upstream: Resolver) {
    this.upstream = upstream;
  }

  query<T extends RRType>(name: string, type: T, options: QueryOptions = {}): Promise<DnsResponse<T>> {
    if (this.inFlight > 0) this.queued++;
    this.inFlight++;
    const run = this.tail.then(() => this.upstream.query(name, type, options));
    // the chain must survive a rejected (aborted) query
    this.tail = run.catch(() => undefined).finally(() => {
      this.inFlight--;
    });
    return run;
  }
}
