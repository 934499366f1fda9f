import { describe, expect, it } from 'vitest';
import { checkMx, resolveMxHosts, MAX_MX_HOSTS } from '../../src/checker/checks/mx.ts';
import type { DnsResponse, RRType, Resolver } from '../../src/checker/dns/types.ts';
import { codes, contextFor, mailHost } from './helpers.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';
import { DEFAULT_CHECK_OPTIONS, type CheckContext, makeContext } from '../../src/checker/check.ts';

const healthy = {
  'example.com': { MX: [[20, 'mx2.example.net'], [10, 'mx1.example.net']] as Array<[number, string]>, TXT: ['v=spf1 mx -all'] },
  ...mailHost('mx1.example.net', '192.0.2.10', '2001:db8::10'),
  ...mailHost('mx2.example.net', '198.51.100.20', '2001:db8:0:1::20'),
};

describe('checkMx: healthy domain', () => {
  it('passes with no findings when 2 MX hosts resolve, have IPv6 and forward-confirmed reverse DNS', async () => {
    const { ctx } = contextFor('example.com', healthy);
    const r = await checkMx(ctx);
    expect(r.id).toBe('mx');
    expect(r.status).toBe('pass');
    expect(r.findings).toEqual([]);
    expect(r.summary).toBe('2 MX hosts, all resolvable');
  });

  it('shares one computation between resolveMxHosts and checkMx, hosts sorted by preference', async () => {
    const { ctx, resolver } = contextFor('example.com', healthy);
    const [facts, again] = await Promise.all([resolveMxHosts(ctx), resolveMxHosts(ctx)]);
    await checkMx(ctx);
    expect(again).toBe(facts);
    expect(facts.outcome).toBe('hosts');
    expect(facts.records.map((r) => r.exchange)).toEqual(['mx1.example.net', 'mx2.example.net']);
    expect(facts.hosts.map((h) => [h.name, h.addresses])).toEqual([
      ['mx1.example.net', ['192.0.2.10', '2001:db8::10']],
      ['mx2.example.net', ['198.51.100.20', '2001:db8:0:1::20']],
    ]);
    // every question asked once, even though forward confirmation re-asks the hosts' A/AAAA
    expect(resolver.log.filter((q) => q === 'example.com MX')).toHaveLength(1);
    expect(new Set(resolver.log).size).toBe(resolver.log.length);
  });
});

describe('checkMx: the domain itself', () => {
  it('raises dns.nxdomain when the domain does not exist', async () => {
    const { ctx } = contextFor('nope.example', { 'other.example': { A: ['192.0.2.1'] } });
    const r = await checkMx(ctx);
    expect(codes(r)).toEqual(['dns.nxdomain']);
    expect(r.status).toBe('fail');
    expect((await resolveMxHosts(ctx)).isNxdomain).toBe(true);
  });

  it('is untested, not missing, when the MX query times out', async () => {
    const { ctx } = contextFor('example.com', { 'example.com': { fault: 'timeout', faultTypes: ['MX'], A: ['192.0.2.1'] } });
    const r = await checkMx(ctx);
    expect(r.status).toBe('untested');
    expect(codes(r)).toEqual(['dns.lookup_failed']);
    expect(codes(r)).not.toContain('mx.missing');
    expect((await resolveMxHosts(ctx)).outcome).toBe('lookup_failed');
  });

  it('is untested on SERVFAIL for MX', async () => {
    const { ctx } = contextFor('example.com', { 'example.com': { fault: 'servfail', faultTypes: ['MX'] } });
    const r = await checkMx(ctx);
    expect(r.status).toBe('untested');
    expect(r.findings[0]?.message).toContain('SERVFAIL');
  });

  it('raises mx.missing naming the implicit-MX address when there is no MX but an A record', async () => {
    const { ctx } = contextFor('example.com', { 'example.com': { A: ['192.0.2.80'], TXT: ['v=spf1 -all'] } });
    const r = await checkMx(ctx);
    expect(codes(r)).toEqual(['mx.missing']);
    expect(r.status).toBe('warn');
    expect(r.findings[0]?.message).toContain('192.0.2.80');
    expect(r.findings[0]?.message).toMatch(/implicit MX/);
    expect(r.findings[0]?.fix).toContain('example.com. MX 10 example.com.');
    // SPF says it sends nothing, so a null MX is a fair suggestion
    expect(r.findings[0]?.fix).toContain('example.com. MX 0 .');
    const facts = await resolveMxHosts(ctx);
    expect(facts.outcome).toBe('implicit');
    expect(facts.hosts[0]?.addresses).toEqual(['192.0.2.80']);
  });

  it('raises mx.missing saying there is no A/AAAA either, and does not suggest null MX to a sending domain', async () => {
    const { ctx } = contextFor('example.com', {
      'example.com': { TXT: ['v=spf1 include:_spf.mailer.example ~all'] },
      'www.example.com': { A: ['192.0.2.1'] },
    });
    const r = await checkMx(ctx);
    expect(codes(r)).toEqual(['mx.missing']);
    expect(r.findings[0]?.message).toMatch(/no A\/AAAA/);
    expect(r.findings[0]?.fix).not.toContain('MX 0 .');
    expect((await resolveMxHosts(ctx)).outcome).toBe('none');
  });

  it('raises mx.missing but does not claim no A/AAAA when the fallback lookup fails', async () => {
    const { ctx } = contextFor('example.com', {
      'example.com': { fault: 'timeout', faultTypes: ['A', 'AAAA'] },
    });
    const r = await checkMx(ctx);
    expect(codes(r)).toContain('mx.missing');
    expect(codes(r)).toContain('dns.lookup_failed');
    expect(r.findings.find((f) => f.code === 'mx.missing')?.message).toMatch(/unknown/);
  });
});

describe('checkMx: null MX (RFC 7505)', () => {
  it('raises mx.null_mx but not mx.null_mx_but_sending when SPF is v=spf1 -all', async () => {
    const { ctx } = contextFor('parked.example', { 'parked.example': { MX: [[0, '.']], TXT: ['v=spf1 -all'] } });
    const r = await checkMx(ctx);
    expect(codes(r)).toEqual(['mx.null_mx']);
    expect(r.status).toBe('info');
    expect(r.summary).toBe('Null MX: this domain accepts no mail');
    expect((await resolveMxHosts(ctx)).outcome).toBe('null_mx');
  });

  it('recognises the root exchange given as an empty string', async () => {
    const inner = new MemoryResolver({ names: { 'parked.example': { MX: [[0, '.']] } } });
    const resolver: Resolver = {
      async query<T extends RRType>(name: string, type: T): Promise<DnsResponse<T>> {
        const r = await inner.query(name, type);
        if (type !== 'MX') return r;
        const answers = (r as DnsResponse<'MX'>).answers.map((a) => ({ ...a, data: { ...a.data, exchange: '' } }));
        return { ...r, answers } as unknown as DnsResponse<T>;
      },
    };
    const ctx: CheckContext = makeContext({ domain: 'parked.example', resolver });
    const r = await checkMx(ctx);
    expect(codes(r)).toEqual(['mx.null_mx']);
    expect(codes(r)).not.toContain('mx.target_unresolvable');
  });

  it('raises mx.null_mx_but_sending when SPF authorises senders, quoting the record and suggesting v=spf1 -all', async () => {
    const spf = 'v=spf1 include:_spf.mailer.example ~all';
    const { ctx } = contextFor('parked.example', { 'parked.example': { MX: [[0, '.']], TXT: [spf, 'google-site-verification=x'] } });
    const r = await checkMx(ctx);
    expect(codes(r)).toEqual(['mx.null_mx_but_sending', 'mx.null_mx']);
    expect(r.status).toBe('warn');
    const f = r.findings[0];
    expect(f?.message).toContain(spf);
    expect(f?.fix).toContain('parked.example. TXT "v=spf1 -all"');
    expect(f?.ref).toBe('RFC 7505 §4.2');
  });

  it('does not guess about sending when the TXT lookup fails', async () => {
    const { ctx } = contextFor('parked.example', {
      'parked.example': { MX: [[0, '.']], fault: 'servfail', faultTypes: ['TXT'] },
    });
    const r = await checkMx(ctx);
    expect(codes(r)).toEqual(['mx.null_mx', 'dns.lookup_failed']);
  });

  it('raises mx.null_mx_with_other_mx and still examines the other hosts', async () => {
    const { ctx } = contextFor('example.com', {
      'example.com': { MX: [[0, '.'], [10, 'mx1.example.net']] },
      ...mailHost('mx1.example.net', '192.0.2.10', '2001:db8::10'),
    });
    const r = await checkMx(ctx);
    expect(codes(r)).toEqual(['mx.null_mx_with_other_mx']);
    expect(r.status).toBe('fail');
    const f = r.findings[0];
    expect(f?.message).toContain('10 mx1.example.net');
    expect(f?.fix).toContain('`example.com. MX 0 .`');
    expect(f?.fix).toContain('`example.com. MX 10 mx1.example.net.`');
    const facts = await resolveMxHosts(ctx);
    expect(facts.hasNullMx).toBe(true);
    expect(facts.hosts.map((h) => h.name)).toEqual(['mx1.example.net']);
  });
});

describe('checkMx: MX targets', () => {
  it('raises mx.target_is_ip for an IP-literal exchange, without looking it up or calling it unresolvable', async () => {
    const { ctx, resolver } = contextFor('example.com', { 'example.com': { MX: [[10, '192.0.2.25']] } });
    const r = await checkMx(ctx);
    expect(codes(r)).toEqual(['mx.target_is_ip']);
    expect(r.findings[0]?.message).toContain('192.0.2.25');
    expect(r.findings[0]?.fix).toContain('mail.example.com. A 192.0.2.25');
    expect(r.findings[0]?.fix).toContain('example.com. MX 10 mail.example.com.');
    expect(resolver.log).not.toContain('192.0.2.25 A');
  });

  it('raises mx.target_is_cname with a fix naming the canonical host', async () => {
    const { ctx } = contextFor('example.com', {
      'example.com': { MX: [[10, 'mx.example.com']] },
      'mx.example.com': { CNAME: 'mail.provider.net' },
      ...mailHost('mail.provider.net', '192.0.2.30', '2001:db8::30'),
    });
    const r = await checkMx(ctx);
    expect(codes(r)).toEqual(['mx.target_is_cname']);
    expect(r.findings[0]?.message).toContain('mail.provider.net');
    expect(r.findings[0]?.fix).toContain('`example.com. MX 10 mail.provider.net.`');
    const facts = await resolveMxHosts(ctx);
    expect(facts.hosts[0]?.isCname).toBe(true);
    expect(facts.hosts[0]?.canonicalName).toBe('mail.provider.net');
  });

  it('names the CNAME target even when the alias leads to no address', async () => {
    const { ctx } = contextFor('example.com', {
      'example.com': { MX: [[10, 'mx.example.com']] },
      'mx.example.com': { CNAME: 'gone.provider.net' },
      'provider.net': { A: ['192.0.2.1'] },
    });
    const r = await checkMx(ctx);
    expect(codes(r)).toEqual(['mx.target_is_cname', 'mx.target_unresolvable']);
    expect(r.findings[0]?.fix).toContain('example.com. MX 10 gone.provider.net.');
  });

  it('raises mx.target_unresolvable when a host has neither A nor AAAA', async () => {
    const { ctx } = contextFor('example.com', {
      'example.com': { MX: [[10, 'mx1.example.net'], [20, 'ghost.example.net']] },
      ...mailHost('mx1.example.net', '192.0.2.10', '2001:db8::10'),
    });
    const r = await checkMx(ctx);
    expect(codes(r)).toEqual(['mx.target_unresolvable']);
    expect(r.findings[0]?.message).toContain('ghost.example.net');
    expect(r.findings[0]?.message).toContain('NXDOMAIN');
    expect(r.findings[0]?.fix).toContain('example.com. MX 20 ghost.example.net.');
    expect(r.summary).toBe('2 MX hosts: 1 resolvable, 1 without an address');
  });

  it('does not raise mx.target_unresolvable when the host A query times out', async () => {
    const { ctx } = contextFor('example.com', {
      'example.com': { MX: [[10, 'mx1.example.net']] },
      'mx1.example.net': { fault: 'timeout', faultTypes: ['A'] },
    });
    const r = await checkMx(ctx);
    expect(codes(r)).not.toContain('mx.target_unresolvable');
    expect(codes(r)).not.toContain('mx.no_ipv6');
    expect(codes(r)).toContain('dns.lookup_failed');
    expect(r.evidence.lookupFailures).toEqual(['mx1.example.net A: timed out']);
  });

  it('caps the hosts examined and records the rest in evidence', async () => {
    const mx: Array<[number, string]> = [];
    for (let i = 0; i < 40; i++) mx.push([i, `mx${i}.example.net`]);
    const { ctx, resolver } = contextFor('example.com', { 'example.com': { MX: mx }, 'example.net': { A: ['192.0.2.1'] } });
    const r = await checkMx(ctx);
    const facts = await resolveMxHosts(ctx);
    expect(facts.hosts).toHaveLength(MAX_MX_HOSTS);
    expect(facts.skippedHosts).toHaveLength(40 - MAX_MX_HOSTS);
    expect(r.evidence.skippedHosts).toContain('mx39.example.net');
    expect(resolver.log.some((q) => q.startsWith('mx39.'))).toBe(false);
    expect(resolver.log.length).toBeLessThanOrEqual(2 + 2 * MAX_MX_HOSTS);
  });
});

describe('checkMx: reverse DNS and IPv6', () => {
  it('raises mx.no_fcrdns per host, naming the address and saying it has no PTR', async () => {
    const { ctx } = contextFor('example.com', {
      'example.com': { MX: [[10, 'mx1.example.net']] },
      'mx1.example.net': { A: ['192.0.2.10'], AAAA: ['2001:db8::10'] },
      '10.2.0.192.in-addr.arpa': { PTR: ['mx1.example.net'] },
    });
    const r = await checkMx(ctx);
    expect(codes(r)).toEqual(['mx.no_fcrdns']);
    const f = r.findings[0];
    expect(f?.message).toContain('mx1.example.net');
    expect(f?.message).toContain('2001:db8::10 has no PTR');
    expect(f?.message).not.toContain('192.0.2.10');
    expect(f?.fix).toContain('0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR mx1.example.net.');
  });

  it('raises mx.no_fcrdns when the PTR name does not resolve back, naming the PTR name', async () => {
    const { ctx } = contextFor('example.com', {
      'example.com': { MX: [[10, 'mx1.example.net']] },
      'mx1.example.net': { A: ['192.0.2.10'] },
      '10.2.0.192.in-addr.arpa': { PTR: ['static-10.isp.example'] },
      'static-10.isp.example': { A: ['192.0.2.99'] },
    });
    const r = await checkMx(ctx);
    expect(codes(r)).toContain('mx.no_fcrdns');
    const f = r.findings.find((x) => x.code === 'mx.no_fcrdns');
    expect(f?.message).toContain('static-10.isp.example');
    expect(f?.message).toContain('192.0.2.99');
    expect(f?.fix).toContain('10.2.0.192.in-addr.arpa. PTR mx1.example.net.');
  });

  it('accepts a host whose reverse DNS is confirmed by any one of several PTR names', async () => {
    const { ctx } = contextFor('example.com', {
      'example.com': { MX: [[10, 'mx1.example.net']] },
      'mx1.example.net': { A: ['192.0.2.10'], AAAA: ['2001:db8::10'] },
      '10.2.0.192.in-addr.arpa': { PTR: ['other.example.org', 'mx1.example.net'] },
      'other.example.org': { A: ['203.0.113.1'] },
      '0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa': { PTR: ['mx1.example.net'] },
    });
    const r = await checkMx(ctx);
    expect(r.findings).toEqual([]);
  });

  it('does not raise mx.no_fcrdns when the PTR lookup fails', async () => {
    const { ctx } = contextFor('example.com', {
      'example.com': { MX: [[10, 'mx1.example.net']] },
      'mx1.example.net': { A: ['192.0.2.10'], AAAA: ['2001:db8::10'] },
      '10.2.0.192.in-addr.arpa': { fault: 'servfail' },
      '0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa': { PTR: ['mx1.example.net'] },
    });
    const r = await checkMx(ctx);
    expect(codes(r)).toEqual(['dns.lookup_failed']);
    expect(r.status).toBe('info');
  });

  it('raises mx.no_ipv6 when no MX host has AAAA', async () => {
    const { ctx } = contextFor('example.com', {
      'example.com': { MX: [[10, 'mx1.example.net'], [20, 'mx2.example.net']] },
      ...mailHost('mx1.example.net', '192.0.2.10'),
      ...mailHost('mx2.example.net', '192.0.2.20'),
    });
    const r = await checkMx(ctx);
    expect(codes(r)).toEqual(['mx.no_ipv6']);
    expect(r.status).toBe('info');
    expect(r.findings[0]?.message).toContain('mx1.example.net, mx2.example.net');
  });

  it('does not raise mx.no_ipv6 when one host has AAAA', async () => {
    const { ctx } = contextFor('example.com', {
      'example.com': { MX: [[10, 'mx1.example.net'], [20, 'mx2.example.net']] },
      ...mailHost('mx1.example.net', '192.0.2.10'),
      ...mailHost('mx2.example.net', '192.0.2.20', '2001:db8::20'),
    });
    const r = await checkMx(ctx);
    expect(codes(r)).not.toContain('mx.no_ipv6');
    expect(r.status).toBe('pass');
  });

  it('does not raise mx.no_ipv6 when an AAAA lookup failed', async () => {
    const { ctx } = contextFor('example.com', {
      'example.com': { MX: [[10, 'mx1.example.net']] },
      'mx1.example.net': { A: ['192.0.2.10'], fault: 'timeout', faultTypes: ['AAAA'] },
      '10.2.0.192.in-addr.arpa': { PTR: ['mx1.example.net'] },
    });
    const r = await checkMx(ctx);
    expect(codes(r)).toEqual(['dns.lookup_failed']);
  });
});

describe('checkMx: scheduling and cancellation', () => {
  it('starts a host’s PTR lookups without waiting for a slower host', async () => {
    const inner = new MemoryResolver({
      names: {
        'example.com': { MX: [[10, 'fast.example.net'], [20, 'slow.example.net']] },
        ...mailHost('fast.example.net', '192.0.2.10', '2001:db8::10'),
        ...mailHost('slow.example.net', '192.0.2.20', '2001:db8::20'),
      },
    });
    const events: string[] = [];
    const resolver: Resolver = {
      async query<T extends RRType>(name: string, type: T): Promise<DnsResponse<T>> {
        events.push(`ask ${name} ${type}`);
        if (name === 'slow.example.net') await new Promise((r) => setTimeout(r, 50));
        const r = await inner.query(name, type);
        events.push(`got ${name} ${type}`);
        return r;
      },
    };
    const ctx: CheckContext = makeContext({ domain: 'example.com', resolver });
    const r = await checkMx(ctx);
    expect(r.status).toBe('pass');
    expect(events.indexOf('ask 10.2.0.192.in-addr.arpa PTR')).toBeLessThan(events.indexOf('got slow.example.net A'));
  });

  it('rejects when the run is aborted, rather than reporting anything', async () => {
    const controller = new AbortController();
    controller.abort(new Error('budget'));
    const ctx: CheckContext = makeContext({
      domain: 'example.com',
      resolver: new MemoryResolver({ names: healthy }),
      signal: controller.signal,
      options: DEFAULT_CHECK_OPTIONS,
    });
    await expect(checkMx(ctx)).rejects.toThrow('budget');
  });

  it('suggests the canonical name in the PTR fix for an aliased MX host', async () => {
    const { ctx } = contextFor('example.com', {
      'example.com': { MX: [[10, 'mx.example.com']] },
      'mx.example.com': { CNAME: 'mail.provider.net' },
      'mail.provider.net': { A: ['192.0.2.30'], AAAA: ['2001:db8::30'] },
    });
    const r = await checkMx(ctx);
    const f = r.findings.find((x) => x.code === 'mx.no_fcrdns');
    expect(f?.fix).toContain('30.2.0.192.in-addr.arpa. PTR mail.provider.net.');
  });

  it('suggests distinct names when several MX records are IP literals', async () => {
    const { ctx } = contextFor('example.com', { 'example.com': { MX: [[10, '192.0.2.25'], [20, '2001:db8::25']] } });
    const r = await checkMx(ctx);
    expect(codes(r)).toEqual(['mx.target_is_ip', 'mx.target_is_ip']);
    expect(r.findings[0]?.fix).toContain('mail1.example.com. A 192.0.2.25');
    expect(r.findings[1]?.fix).toContain('mail2.example.com. AAAA 2001:db8::25');
  });
});

describe('resolveMxHosts: duplicates', () => {
  it('examines an exchange listed twice once, at its lowest preference', async () => {
    const { ctx, resolver } = contextFor('example.com', {
      'example.com': { MX: [[30, 'mx1.example.net'], [10, 'mx1.example.net']] },
      ...mailHost('mx1.example.net', '192.0.2.10', '2001:db8::10'),
    });
    const facts = await resolveMxHosts(ctx);
    expect(facts.records).toHaveLength(2);
    expect(facts.hosts.map((h) => [h.name, h.preference])).toEqual([['mx1.example.net', 10]]);
    expect(resolver.log.filter((q) => q === 'mx1.example.net A')).toHaveLength(1);
  });
});
