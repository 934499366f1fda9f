import { describe, expect, it } from 'vitest';
import { checkDnssec } from '../../src/checker/checks/dnssec.ts';
import type { DnsResponse, QueryOptions, RRType, Resolver } from '../../src/checker/dns/types.ts';
import type { DnsFixture, NameSpec } from '../world/dns/zone.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';
import { codes, withResolver } from '../tls-rpt/helpers.ts';

const SOA = { mname: 'ns1.example.com', rname: 'hostmaster.example.com', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 300 };
// any bytes will do: the check reads algorithm numbers and flags, it does not verify signatures
const KEY = Buffer.alloc(64, 7).toString('base64');
const ksk = (algorithm: number) => ({ flags: 257, algorithm, key: KEY });
const zsk = (algorithm: number) => ({ flags: 256, algorithm, key: Buffer.alloc(64, 9).toString('base64') });

function zone(apex: string, algorithm = 13, extra: NameSpec = {}): Record<string, NameSpec> {
  return { [apex]: { SOA: { ...SOA, mname: `ns1.${apex}` }, DNSKEY: [ksk(algorithm), zsk(algorithm)], ...extra } };
}

function world(fixture: DnsFixture, domain = 'example.com') {
  const resolver = new MemoryResolver(fixture);
  return { ctx: withResolver(domain, resolver), resolver };
}

/** A signed domain whose MX hosts live in a signed provider zone. */
const secureWorld: DnsFixture = {
  signed: ['example.com', 'mail-provider.net'],
  names: {
    ...zone('example.com', 13, { MX: [[10, 'mx1.mail-provider.net'], [20, 'mx2.mail-provider.net']] }),
    ...zone('mail-provider.net', 13),
    'mx1.mail-provider.net': { A: ['192.0.2.10'] },
    'mx2.mail-provider.net': { A: ['192.0.2.11'] },
  },
};

describe('checkDnssec', () => {
  it('passes a signed domain with signed MX zones and algorithm 13', async () => {
    const { ctx } = world(secureWorld);
    const r = await checkDnssec(ctx);
    expect(r.id).toBe('dnssec');
    expect(r.status).toBe('pass');
    expect(codes(r)).toEqual([]);
    expect(r.summary).toContain('2 of 2 MX hosts in signed zones');
    // who vouched, and how far that can be trusted
    expect(r.evidence.resolver).toBe('memory');
    expect(String(r.evidence.trustNote)).toMatch(/only as trustworthy as that resolver and the path to it/);
    expect(r.evidence.domain).toMatchObject({ status: 'secure', ad: true, vouchedBy: 'memory' });
    const mx = r.evidence.mx as { hosts: Array<{ host: string; status: string }> };
    expect(mx.hosts.map((h) => [h.host, h.status])).toEqual([
      ['mx1.mail-provider.net', 'secure'], ['mx2.mail-provider.net', 'secure'],
    ]);
    const keys = (r.evidence.dnskey as { keys: Array<{ algorithm: number; role: string }> }).keys;
    expect(keys.map((k) => [k.role, k.algorithm])).toEqual([['KSK', 13], ['ZSK', 13]]);
  });

  it('runs the domain lookups concurrently and then one A query per MX host', async () => {
    const { ctx, resolver } = world(secureWorld);
    await checkDnssec(ctx);
    expect(resolver.log.slice(0, 3).sort()).toEqual(['example.com DNSKEY', 'example.com MX', 'example.com SOA']);
    expect(resolver.log.slice(3).sort()).toEqual(['mx1.mail-provider.net A', 'mx2.mail-provider.net A']);
  });

  it('reports dnssec.unsigned for an unsigned domain, plus its unsigned MX zone', async () => {
    const { ctx } = world({
      names: { 'example.com': { SOA, MX: [[10, 'mx.example.com']] }, 'mx.example.com': { A: ['192.0.2.1'] } },
    });
    const r = await checkDnssec(ctx);
    expect(codes(r).sort()).toEqual(['dnssec.mx_zone_unsigned', 'dnssec.unsigned']);
    expect(r.status).toBe('warn');
    const unsigned = r.findings.find((f) => f.code === 'dnssec.unsigned')!;
    expect(unsigned.message).toContain('example.com is not DNSSEC-signed');
    expect(unsigned.message).toContain('memory');
    expect(unsigned.fix).toContain('algorithm 13');
    expect(unsigned.fix).toContain('example.com. IN DS');
  });

  it('explains a signed zone without a DS record and gives the DS to publish', async () => {
    const { ctx } = world({ names: { ...zone('example.com', 13) } });
    const r = await checkDnssec(ctx);
    expect(codes(r)).toEqual(['dnssec.unsigned']);
    const f = r.findings[0]!;
    expect(f.message).toContain('publishes DNSKEY records');
    expect(f.message).toContain('no DS record');
    expect(f.fix).toMatch(/example\.com\. IN DS \d+ 13 2 [0-9A-F]{64}/);
  });

  it('does not judge the "zone" of an MX given as an IP address (that is mx.target_is_ip)', async () => {
    const fixture: DnsFixture = {
      ...secureWorld,
      names: { ...secureWorld.names, ...zone('example.com', 13, { MX: [[10, 'mx1.mail-provider.net'], [20, '192.0.2.99']] }) },
    };
    const r = await checkDnssec(world(fixture).ctx);
    expect(codes(r)).toEqual([]);
    expect(r.summary).not.toContain('192.0.2.99');
  });

  it('reports dnssec.mx_zone_unsigned once per unsigned MX zone, naming its hosts', async () => {
    const { ctx } = world({
      signed: ['example.com', 'good.net'],
      names: {
        ...zone('example.com', 13, { MX: [[10, 'a.mx.plain.org'], [20, 'b.mx.plain.org'], [30, 'mx.good.net']] }),
        'a.mx.plain.org': { A: ['192.0.2.1'] },
        'b.mx.plain.org': { A: ['192.0.2.2'] },
        'mx.good.net': { A: ['192.0.2.3'] },
      },
    });
    const r = await checkDnssec(ctx);
    expect(codes(r)).toEqual(['dnssec.mx_zone_unsigned']);
    const f = r.findings[0]!;
    expect(f.message).toContain('a.mx.plain.org, b.mx.plain.org');
    expect(f.message).toContain('plain.org');
    expect(f.message).not.toContain('mx.good.net');
    expect(f.ref).toBe('RFC 7672 §2.2');
    expect(r.summary).toContain('1 of 3 MX hosts in signed zones');
  });

  it('does not report dnssec.mx_zone_unsigned for a null-MX domain', async () => {
    const { ctx, resolver } = world({ names: { 'example.com': { SOA, MX: [[0, '.']] } } });
    const r = await checkDnssec(ctx);
    expect(codes(r)).toEqual(['dnssec.unsigned']);
    expect(String((r.evidence.mx as { note: string }).note)).toContain('null MX');
    expect(resolver.log.some((q) => q.endsWith(' A'))).toBe(false);
  });

  it('reports dnssec.bogus (fail) for a zone that SERVFAILs with EDE 6 and answers with CD', async () => {
    const { ctx } = world({
      signed: ['example.com'],
      bogus: ['example.com'],
      names: { ...zone('example.com', 13, { MX: [[10, 'mx.example.com']] }), 'mx.example.com': { A: ['192.0.2.1'] } },
    });
    const r = await checkDnssec(ctx);
    expect(r.status).toBe('fail');
    expect(codes(r)).toContain('dnssec.bogus');
    expect(codes(r)).not.toContain('dnssec.unsigned');
    expect(codes(r)).not.toContain('dns.lookup_failed');
    const f = r.findings.find((x) => x.code === 'dnssec.bogus' && x.message.startsWith('DNSSEC validation fails for example.com'))!;
    expect(f.message).toContain('EDE 6 DNSSEC Bogus');
    expect(f.fix).toMatch(/IN DS \d+ 13 2/);
    expect(r.evidence.domain).toMatchObject({ status: 'bogus', ede: [{ code: 6 }] });
  });

  it('classifies SERVFAIL without EDE, answered with CD=1, as bogus', async () => {
    const inner = new MemoryResolver(secureWorld);
    const resolver: Resolver = {
      async query<T extends RRType>(name: string, type: T, options: QueryOptions = {}): Promise<DnsResponse<T>> {
        const r = await inner.query(name, type, options);
        if (name === 'example.com' && !options.cd) return { ...r, outcome: 'servfail', rcode: 'SERVFAIL', answers: [], ad: false };
        return r;
      },
    };
    const r = await checkDnssec(withResolver('example.com', resolver));
    expect(codes(r)).toEqual(['dnssec.bogus']);
    expect(r.findings[0]!.message).toContain('checking disabled (CD=1)');
    expect(r.evidence.domain).toMatchObject({ status: 'bogus', cdRetry: { outcome: 'answer' } });
    // MX hosts were still found through the CD answer and judged
    expect((r.evidence.mx as { hosts: unknown[] }).hosts).toHaveLength(2);
  });

  it('reports dnssec.bogus for a bogus MX host zone, naming the host', async () => {
    const { ctx } = world({
      signed: ['example.com', 'broken.net'],
      bogus: ['broken.net'],
      names: { ...zone('example.com', 13, { MX: [[10, 'mx.broken.net']] }), 'mx.broken.net': { A: ['192.0.2.1'] } },
    });
    const r = await checkDnssec(ctx);
    expect(codes(r)).toEqual(['dnssec.bogus']);
    expect(r.findings[0]!.message).toContain('MX host mx.broken.net');
    expect(codes(r)).not.toContain('dnssec.mx_zone_unsigned');
  });

  it('is untested with dns.lookup_failed (not bogus) when SERVFAIL persists with CD=1', async () => {
    const { ctx, resolver } = world({ names: { 'example.com': { SOA, fault: 'servfail' } } });
    const r = await checkDnssec(ctx);
    expect(r.status).toBe('untested');
    expect(codes(r)).toEqual(['dns.lookup_failed']);
    expect(codes(r)).not.toContain('dnssec.bogus');
    expect(resolver.log.filter((q) => q === 'example.com SOA')).toHaveLength(2); // with and without CD
    expect(r.evidence.domain).toMatchObject({ status: 'unknown', cdRetry: { outcome: 'servfail' } });
  });

  it('is untested when the SOA lookup times out', async () => {
    const { ctx } = world({ names: { 'example.com': { SOA, fault: 'timeout', faultTypes: ['SOA'] } } });
    const r = await checkDnssec(ctx);
    expect(r.status).toBe('untested');
    expect(codes(r)).toEqual(['dns.lookup_failed']);
  });

  it('keeps the domain verdict but flags an MX host lookup that failed', async () => {
    const { ctx } = world({
      signed: ['example.com'],
      names: { ...zone('example.com', 13, { MX: [[10, 'mx.example.com']] }), 'mx.example.com': { fault: 'timeout' } },
    });
    const r = await checkDnssec(ctx);
    expect(codes(r)).toEqual(['dns.lookup_failed']);
    expect(codes(r)).not.toContain('dnssec.mx_zone_unsigned');
    expect(r.evidence.lookupFailures).toEqual(['mx.example.com A: timed out']);
  });

  it.each([1, 3, 5, 6, 7, 12])('reports dnssec.weak_algorithm for algorithm %i', async (alg) => {
    const { ctx } = world({ signed: ['example.com'], names: { ...zone('example.com', alg) } });
    const r = await checkDnssec(ctx);
    expect(codes(r)).toEqual(['dnssec.weak_algorithm']);
    expect(r.findings[0]!.message).toContain(`algorithm ${alg}`);
    expect(r.findings[0]!.fix).toContain('algorithm 13');
    expect(r.findings[0]!.ref).toBe('RFC 8624 §3.1');
  });

  it.each([8, 10, 13, 14, 15, 16])('does not flag algorithm %i', async (alg) => {
    const { ctx } = world({ signed: ['example.com'], names: { ...zone('example.com', alg) } });
    expect(codes(await checkDnssec(ctx))).toEqual([]);
  });

  it('mentions the strong keys during an algorithm rollover', async () => {
    const { ctx } = world({
      signed: ['example.com'],
      names: { 'example.com': { SOA, DNSKEY: [ksk(5), zsk(5), ksk(13), zsk(13)] } },
    });
    const r = await checkDnssec(ctx);
    expect(codes(r)).toEqual(['dnssec.weak_algorithm']);
    expect(r.findings[0]!.message).toContain('finish the rollover');
  });

  it('finds the DNSKEYs at the zone apex when the domain is below it', async () => {
    const { ctx, resolver } = world(
      { signed: ['example.com'], names: { ...zone('example.com', 5), 'mail.example.com': { A: ['192.0.2.1'] } } },
      'mail.example.com',
    );
    const r = await checkDnssec(ctx);
    expect(codes(r)).toEqual(['dnssec.weak_algorithm']);
    expect(r.findings[0]!.message).toContain('zone example.com');
    expect(resolver.log).toContain('example.com DNSKEY');
  });

  it('says the AD bit is untrustworthy when it came over the network from a remote resolver', async () => {
    const inner = new MemoryResolver(secureWorld);
    const resolver: Resolver = {
      async query<T extends RRType>(name: string, type: T, options?: QueryOptions) {
        return { ...(await inner.query(name, type, options)), server: '203.0.113.53:53' };
      },
    };
    const r = await checkDnssec(withResolver('example.com', resolver));
    expect(r.evidence.resolver).toBe('203.0.113.53:53');
    expect(r.evidence.resolverPath).toBe('unauthenticated network path');
    expect(String(r.evidence.trustNote)).toContain('loopback or over an authenticated channel');
  });
});
