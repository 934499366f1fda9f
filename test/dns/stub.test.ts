import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type DnsServer } from '../world/dns/server.ts';
import { StubResolver, parseServer } from '../../src/checker/dns/stub.ts';
import { DohResolver } from '../../src/checker/dns/doh.ts';
import { CachingResolver } from '../../src/checker/dns/cache.ts';
import type { DnsFixture } from '../world/dns/zone.ts';

const bigSpf = `v=spf1 ${Array.from({ length: 100 }, (_, i) => `ip4:198.51.100.${i}`).join(' ')} -all`;

const fixture: DnsFixture = {
  signed: ['sec.test'],
  bogus: ['bogus.test'],
  names: {
    'sec.test': { TXT: ['v=spf1 include:_s1.sec.test -all'], MX: [[10, 'mx1.sec.test']] },
    'mx1.sec.test': { A: ['192.0.2.10'], AAAA: ['2001:db8::10'] },
    '_25._tcp.mx1.sec.test': { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(32) }] },
    'plain.test': { TXT: ['hello', ['two', 'strings']] },
    'big.plain.test': { TXT: [bigSpf] },
    'alias.plain.test': { CNAME: 'target.plain.test' },
    'target.plain.test': { A: ['192.0.2.20'] },
    'deep.ent.plain.test': { A: ['192.0.2.21'] },
    'broken.plain.test': { fault: 'servfail' },
    'slow.plain.test': { fault: 'timeout' },
    'www.bogus.test': { A: ['192.0.2.30'] },
    'spf99.plain.test': { SPF: ['v=spf1 -all'] },
  },
};

let server: DnsServer;
let stub: StubResolver;

beforeAll(async () => {
  server = await startDnsServer(fixture, { doh: true });
  stub = new StubResolver({ servers: [{ host: server.host, port: server.port }], timeoutMs: 800, tries: 1 });
});
afterAll(async () => {
  stub.close();
  await server.stop();
});

describe('StubResolver against the fixture DNS server', () => {
  it('returns records with TTLs and the AD flag for signed zones', async () => {
    const r = await stub.query('SEC.test.', 'TXT');
    expect(r.outcome).toBe('answer');
    expect(r.answers[0]?.data).toEqual(['v=spf1 include:_s1.sec.test -all']);
    expect(r.answers[0]?.ttl).toBe(300);
    expect(r.ad).toBe(true);
    const plain = await stub.query('plain.test', 'TXT');
    expect(plain.ad).toBe(false);
    expect(plain.answers.map((a) => a.data)).toEqual([['hello'], ['two', 'strings']]);
  });

  it('tells NXDOMAIN, NODATA, SERVFAIL and timeout apart', async () => {
    const [nx, nodata, ent, servfail, timeout] = await Promise.all([
      stub.query('nope.plain.test', 'A'),
      stub.query('plain.test', 'MX'),
      stub.query('ent.plain.test', 'A'),
      stub.query('broken.plain.test', 'TXT'),
      stub.query('slow.plain.test', 'TXT'),
    ]);
    expect(nx.outcome).toBe('nxdomain');
    expect(nodata.outcome).toBe('nodata');
    expect(ent.outcome).toBe('nodata'); // empty non-terminal exists (RFC 8020)
    expect(servfail.outcome).toBe('servfail');
    expect(timeout.outcome).toBe('timeout');
    expect(timeout.error).toMatch(/800 ms/);
  });

  it('falls back to TCP when the UDP answer is truncated', async () => {
    const before = server.stats.tcp;
    const r = await stub.query('big.plain.test', 'TXT');
    expect(r.outcome).toBe('answer');
    expect(r.answers[0]?.data.join('')).toBe(bigSpf);
    expect(r.answers[0]?.data.every((s) => Buffer.byteLength(s) <= 255)).toBe(true);
    expect(server.stats.tcp).toBe(before + 1);
  });

  it('follows CNAME chains and reports them', async () => {
    const r = await stub.query('alias.plain.test', 'A');
    expect(r.answers.map((a) => a.data)).toEqual(['192.0.2.20']);
    expect(r.cnames).toEqual(['alias.plain.test']);
  });

  it('decodes MX, TLSA and the SPF (99) type', async () => {
    const mx = await stub.query('sec.test', 'MX');
    expect(mx.answers[0]?.data).toEqual({ preference: 10, exchange: 'mx1.sec.test' });
    const tlsa = await stub.query('_25._tcp.mx1.sec.test', 'TLSA');
    expect(tlsa.answers[0]?.data).toMatchObject({ usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(32) });
    const spf = await stub.query('spf99.plain.test', 'SPF');
    expect(spf.answers[0]?.data).toEqual(['v=spf1 -all']);
  });

  it('reports a bogus zone as SERVFAIL with EDE 6, and answers with CD set', async () => {
    const r = await stub.query('www.bogus.test', 'A');
    expect(r.outcome).toBe('servfail');
    expect(r.ede[0]?.code).toBe(6);
    const cd = await stub.query('www.bogus.test', 'A', { cd: true });
    expect(cd.outcome).toBe('answer');
    expect(cd.ad).toBe(false);
  });

  it('rotates to the next server when one does not answer', async () => {
    // a UDP port nobody answers on: the first server costs one timeout, then the real one answers
    const dead = new StubResolver({
      servers: [{ host: '127.0.0.1', port: 9 }, { host: server.host, port: server.port }],
      timeoutMs: 200,
      tries: 1,
    });
    const r = await dead.query('plain.test', 'TXT');
    expect(r.outcome).toBe('answer');
    dead.close();
  });

  it('sends a query whose ID is already in flight under a fresh ID, and gets its answer', async () => {
    // the first two queries draw the same ID: the second must not wait out its timeout
    const ids = [7, 7, 8];
    const colliding = new StubResolver({
      servers: [{ host: server.host, port: server.port }], timeoutMs: 2000, tries: 1, poolSize: 1,
      nextId: () => ids.shift() ?? 9,
    });
    const [a, b] = await Promise.all([colliding.query('plain.test', 'TXT'), colliding.query('sec.test', 'MX')]);
    expect(a.outcome).toBe('answer');
    expect(b.outcome).toBe('answer');
    colliding.close();
  });

  it('does not ask a server again after it answered SERVFAIL', async () => {
    const twice = new StubResolver({ servers: [{ host: server.host, port: server.port }], timeoutMs: 800, tries: 2 });
    const before = server.stats.byQuestion.get('broken.plain.test A') ?? 0;
    expect((await twice.query('broken.plain.test', 'A')).outcome).toBe('servfail');
    expect(server.stats.byQuestion.get('broken.plain.test A')).toBe(before + 1);
    twice.close();
  });

  it('rejects when aborted', async () => {
    const ac = new AbortController();
    const p = stub.query('slow.plain.test', 'A', { signal: ac.signal });
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
  });

  it('answers over DNS-over-HTTPS wire format too', async () => {
    const doh = new DohResolver({ url: server.dohUrl!, timeoutMs: 500, tries: 1 });
    const r = await doh.query('sec.test', 'MX');
    expect(r.outcome).toBe('answer');
    expect(r.ad).toBe(true);
    expect((await doh.query('nope.plain.test', 'A')).outcome).toBe('nxdomain');
    expect((await doh.query('slow.plain.test', 'A')).outcome).toBe('timeout');
    await doh.close();
  });
});

describe('CachingResolver', () => {
  it('de-duplicates in-flight lookups and serves repeats from cache within the TTL', async () => {
    let now = 0;
    const cache = new CachingResolver(stub, { now: () => now });
    const before = server.stats.byQuestion.get('sec.test MX') ?? 0;
    const all = await Promise.all(Array.from({ length: 20 }, () => cache.query('sec.test', 'MX')));
    expect(all.every((r) => r.outcome === 'answer')).toBe(true);
    await cache.query('SEC.TEST.', 'MX');
    expect(server.stats.byQuestion.get('sec.test MX')).toBe(before + 1);
    expect(cache.stats).toMatchObject({ lookups: 21, queries: 1, joined: 19, hits: 1 });
    now += 301_000; // past the 300 s TTL
    await cache.query('sec.test', 'MX');
    expect(server.stats.byQuestion.get('sec.test MX')).toBe(before + 2);
  });
});

describe('CachingResolver and CNAMEs', () => {
  it('an answer reached through a CNAME also answers its canonical name, without another query', async () => {
    const cache = new CachingResolver(stub);
    const alias = await cache.query('alias.plain.test', 'A');
    expect(alias.cnames).toEqual(['alias.plain.test']);
    const before = server.stats.byQuestion.get('target.plain.test A') ?? 0;
    const target = await cache.query('target.plain.test', 'A');
    expect(target.answers.map((a) => a.data)).toEqual(['192.0.2.20']);
    expect(target.cnames).toEqual([]);
    expect(target.name).toBe('target.plain.test');
    expect(server.stats.byQuestion.get('target.plain.test A') ?? 0).toBe(before);
    expect(cache.stats.queries).toBe(1);
  });
});

describe('parseServer', () => {
  it('understands host, host:port and bracketed IPv6', () => {
    expect(parseServer('192.0.2.1')).toEqual({ host: '192.0.2.1', port: 53 });
    expect(parseServer('127.0.0.1:5300')).toEqual({ host: '127.0.0.1', port: 5300 });
    expect(parseServer('[::1]:5300')).toEqual({ host: '::1', port: 5300 });
    expect(parseServer('::1')).toEqual({ host: '::1', port: 53 });
  });
});
