import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkDnssec, dnskeyRdata, dnssecStatus, dsRecord, keyTag, resolverTrust,
} from '../../src/checker/checks/dnssec.ts';
import type { DnsResponse, QueryOptions, RRType, Resolver } from '../../src/checker/dns/types.ts';
import { StubResolver } from '../../src/checker/dns/stub.ts';
import { startDnsServer, type DnsServer } from '../world/dns/server.ts';
import type { DnsFixture } from '../world/dns/zone.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';
import { codes, withResolver } from '../tls-rpt/helpers.ts';

const TLSA = { usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(32) };
const fixture: DnsFixture = {
  signed: ['sec.test', 'bad.test'],
  bogus: ['bad.test'],
  names: {
    '_25._tcp.mx.sec.test': { TLSA: [TLSA] },
    '_25._tcp.mx.plain.test': { TLSA: [TLSA] },
    '_25._tcp.mx.bad.test': { TLSA: [TLSA] },
    '_25._tcp.mx.down.test': { fault: 'servfail' },
  },
};

/** Wrap a resolver to add EDE codes to every non-CD answer. */
function withEde(inner: Resolver, code: number): Resolver {
  return {
    async query<T extends RRType>(name: string, type: T, options: QueryOptions = {}): Promise<DnsResponse<T>> {
      const r = await inner.query(name, type, options);
      return options.cd ? r : { ...r, ede: [{ code }] };
    },
  };
}

describe('dnssecStatus (reusable for DANE TLSA lookups)', () => {
  const resolver = new MemoryResolver(fixture);

  it('secure: AD set', async () => {
    const v = await dnssecStatus(resolver, '_25._tcp.mx.sec.test', 'TLSA');
    expect(v.status).toBe('secure');
    expect(v.response.answers[0]!.data).toEqual(TLSA);
    expect(v.cdResponse).toBeUndefined();
  });

  it('insecure: answer without AD', async () => {
    expect((await dnssecStatus(resolver, '_25._tcp.mx.plain.test', 'TLSA')).status).toBe('insecure');
  });

  it('insecure applies to NXDOMAIN/NODATA too (denial without AD)', async () => {
    expect((await dnssecStatus(resolver, '_25._tcp.nothing.plain.test', 'TLSA')).status).toBe('insecure');
    expect((await dnssecStatus(resolver, '_25._tcp.nothing.sec.test', 'TLSA')).status).toBe('secure');
  });

  it('bogus: SERVFAIL + EDE 6; the CD data is kept apart and unvalidated', async () => {
    const v = await dnssecStatus(resolver, '_25._tcp.mx.bad.test', 'TLSA');
    expect(v.status).toBe('bogus');
    expect(v.bogusEde).toEqual([6]);
    expect(v.response.answers).toEqual([]);
  });

  it('unknown: SERVFAIL with and without CD', async () => {
    const v = await dnssecStatus(resolver, '_25._tcp.mx.down.test', 'TLSA');
    expect(v.status).toBe('unknown');
    expect(v.cdResponse?.outcome).toBe('servfail');
  });

  it.each([6, 7, 8, 9, 10, 11, 12])('EDE %i on an answer means bogus', async (code) => {
    const v = await dnssecStatus(withEde(resolver, code), '_25._tcp.mx.sec.test', 'TLSA');
    expect(v.status).toBe('bogus');
    expect(v.reason).toContain(`EDE ${code}`);
  });

  it.each([0, 3, 18, 22])('EDE %i does not mean bogus', async (code) => {
    expect((await dnssecStatus(withEde(resolver, code), '_25._tcp.mx.sec.test', 'TLSA')).status).toBe('secure');
  });

  it('a bogus-EDE on an otherwise failing lookup is still bogus, not a lookup failure', async () => {
    const r = await checkDnssec(withResolver('sec.test', withEde(resolver, 7)));
    expect(codes(r)).toContain('dnssec.bogus');
    expect(r.findings[0]!.message).toContain('Signature Expired');
  });
});

describe('key tags and DS records', () => {
  // RFC 4034 §5.4 / RFC 4509 §2.3: dskey.example.com DNSKEY 256 3 5, key id 60485
  const key = {
    flags: 256,
    algorithm: 5,
    key: 'AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==',
  };

  it('computes the RFC 4034 key tag', () => {
    expect(keyTag(key)).toBe(60485);
  });

  it('matches the RFC 4034 §5.4 SHA-1 DS digest', () => {
    const owner = Buffer.from('0564736b6579076578616d706c6503636f6d00', 'hex'); // dskey.example.com.
    const sha1 = createHash('sha1').update(Buffer.concat([owner, dnskeyRdata(key)])).digest('hex').toUpperCase();
    expect(sha1).toBe('2BB183AF5F22588179A53B0A98631FAD1A292118');
  });

  it('produces the RFC 4509 §2.3 SHA-256 DS record', () => {
    expect(dsRecord('dskey.example.com', key)).toBe(
      'dskey.example.com. IN DS 60485 5 2 D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A',
    );
  });
});

describe('resolverTrust', () => {
  it.each([
    ['127.0.0.1:53', 'loopback', true],
    ['[::1]:5353', 'loopback', true],
    ['https://dns.example/dns-query', 'DNS-over-HTTPS (authenticated channel)', true],
    ['192.0.2.53:53', 'unauthenticated network path', false],
  ])('%s → %s', (server, path, trusted) => {
    expect(resolverTrust(server)).toMatchObject({ resolver: server, path, trusted });
  });
});

describe('over the wire (StubResolver → fixture DNS server on loopback)', () => {
  let server: DnsServer;
  let stub: StubResolver;
  const wire: DnsFixture = {
    signed: ['sec.test', 'bad.test'],
    bogus: ['bad.test'],
    names: {
      'sec.test': { SOA: { mname: 'ns.sec.test', rname: 'h.sec.test', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 }, DNSKEY: [{ flags: 257, algorithm: 13, key: Buffer.alloc(64, 1).toString('base64') }], MX: [[10, 'mx.sec.test'], [20, 'mx.plain.test']] },
      'mx.sec.test': { A: ['192.0.2.1'] },
      'mx.plain.test': { A: ['192.0.2.2'] },
      'bad.test': { SOA: { mname: 'ns.bad.test', rname: 'h.bad.test', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 }, MX: [[10, 'mx.sec.test']] },
      'down.test': { fault: 'servfail' },
    },
  };

  beforeAll(async () => {
    server = await startDnsServer(wire);
    stub = new StubResolver({ servers: [{ host: server.host, port: server.port }], timeoutMs: 500, tries: 1 });
  });
  afterAll(async () => {
    stub.close();
    await server.stop();
  });

  it('reads AD from the wire and names the loopback resolver that vouched', async () => {
    const r = await checkDnssec(withResolver('sec.test', stub));
    expect(codes(r)).toEqual(['dnssec.mx_zone_unsigned']);
    expect(r.findings[0]!.message).toContain('mx.plain.test');
    expect(r.evidence.resolver).toBe(server.address);
    expect(r.evidence.resolverPath).toBe('loopback');
  });

  it('reads EDE 6 from the wire and classifies bogus', async () => {
    const r = await checkDnssec(withResolver('bad.test', stub));
    expect(codes(r)).toEqual(['dnssec.bogus']);
    expect(r.evidence.domain).toMatchObject({ status: 'bogus', ede: [{ code: 6 }] });
  });

  it('a SERVFAIL that persists with CD is untested', async () => {
    const r = await checkDnssec(withResolver('down.test', stub));
    expect(r.status).toBe('untested');
    expect(codes(r)).toEqual(['dns.lookup_failed']);
  });
});
