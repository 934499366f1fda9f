/** A Resolver answering straight from a fixture, without sockets: for fast unit tests. */
import type { DnsResponse, QueryOptions, RRType, Resolver } from '../../../src/checker/dns/types.ts';
import { canonicalName } from '../../../src/checker/dns/types.ts';
import { FixtureZones, type DnsFixture } from './zone.ts';

export class MemoryResolver implements Resolver {
  readonly zones: FixtureZones;
  /** every query asked, as "name TYPE" */
  readonly log: string[] = [];

  constructor(fixture: DnsFixture | FixtureZones) {
    this.zones = fixture instanceof FixtureZones ? fixture : new FixtureZones(fixture);
  }

  async query<T extends RRType>(name: string, type: T, options: QueryOptions = {}): Promise<DnsResponse<T>> {
    options.signal?.throwIfAborted();
    const qname = canonicalName(name);
    this.log.push(`${qname} ${type}`);
    const z = this.zones.answer(qname, type, { dnssecOk: true, cd: options.cd ?? false });
    const base = { name: qname, type, cnames: z.cnameChain.map((c) => c.name), ede: z.ede ? [z.ede] : [], server: 'memory' };
    if (z.drop) return { ...base, outcome: 'timeout', rcode: '', answers: [], ad: false, ttl: 0, error: 'timed out' };
    if (z.rcode === 'SERVFAIL') return { ...base, outcome: 'servfail', rcode: z.rcode, answers: [], ad: false, ttl: 0 };
    if (z.rcode === 'REFUSED') return { ...base, outcome: 'refused', rcode: z.rcode, answers: [], ad: false, ttl: 0 };
    if (z.rcode === 'NXDOMAIN') return { ...base, outcome: 'nxdomain', rcode: z.rcode, answers: [], ad: z.ad, ttl: 300 };
    const ttl = z.answers.length ? Math.min(...z.answers.map((a) => a.ttl)) : 300;
    return { ...base, outcome: z.answers.length ? 'answer' : 'nodata', rcode: z.rcode, answers: z.answers, ad: z.ad, ttl };
  }
}
