/** checkHost() behaviour beyond the RFC suite: what decided, reasons, limits, time budget. */
import { describe, expect, it } from 'vitest';
import type { DnsResponse, RRType, Resolver } from '../../src/checker/dns/types.ts';
import { checkHost } from '../../src/checker/checks/spf/evaluate.ts';
import { spfIdentity } from '../../src/checker/checks/spf/names.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';
import type { NameSpec } from '../world/dns/zone.ts';

function host(names: Record<string, NameSpec>, ip: string, mailFrom = 'user@example.com', helo = 'mail.example.org') {
  const resolver = new MemoryResolver({ names });
  const { sender, domain } = spfIdentity(mailFrom, helo);
  return { resolver, run: () => checkHost({ ip, domain, sender, helo, resolver }) };
}

describe('checkHost', () => {
  it('names the deciding term, "default" when none matched', async () => {
    const names = { 'example.com': { TXT: ['v=spf1 ip4:192.0.2.0/24 include:p.example.net ~all'] }, 'p.example.net': { TXT: ['v=spf1 ip6:2001:db8::/32 -all'] } };
    expect(await host(names, '192.0.2.9').run()).toEqual({ result: 'pass', mechanism: 'ip4:192.0.2.0/24' });
    expect(await host(names, '2001:db8::1').run()).toEqual({ result: 'pass', mechanism: 'include:p.example.net' });
    expect(await host(names, '198.51.100.1').run()).toEqual({ result: 'softfail', mechanism: '~all' });
    expect(await host({ 'example.com': { TXT: ['v=spf1 ip4:192.0.2.1'] } }, '198.51.100.1').run()).toEqual({ result: 'neutral', mechanism: 'default' });
  });

  it('explains a fail with exp= and gives reasons for errors', async () => {
    const names = { 'example.com': { TXT: ['v=spf1 -all exp=why.example.com'] }, 'why.example.com': { TXT: ['%{i} may not send as %{o}'] } };
    expect(await host(names, '192.0.2.1').run()).toEqual({ result: 'fail', mechanism: '-all', explanation: '192.0.2.1 may not send as example.com' });
    const perm = await host({ 'example.com': { TXT: ['v=spf1 include:nothing.example.net -all'] } }, '192.0.2.1').run();
    expect(perm).toMatchObject({ result: 'permerror', mechanism: 'include:nothing.example.net' });
    expect(perm.reason).toContain('no SPF record');
  });

  it('stops at 10 DNS-querying terms, so include loops end in permerror', async () => {
    const { run, resolver } = host({ 'example.com': { TXT: ['v=spf1 include:example.com -all'] } }, '192.0.2.1');
    expect((await run()).result).toBe('permerror');
    expect(resolver.log.filter((q) => q === 'example.com TXT').length).toBeLessThanOrEqual(11);
  });

  it('returns none for a malformed domain without querying', async () => {
    const resolver = new MemoryResolver({ names: {} });
    expect((await checkHost({ ip: '192.0.2.1', domain: 'a..example.com', sender: 'x@a..example.com', helo: 'h', resolver })).result).toBe('none');
    expect(resolver.log).toEqual([]);
  });

  it('turns an exhausted time budget into temperror (§4.6.4)', async () => {
    const controller = new AbortController();
    const slow: Resolver = {
      query<T extends RRType>(_name: string, _type: T, options?: { signal?: AbortSignal }): Promise<DnsResponse<T>> {
        return new Promise((_, reject) => options?.signal?.addEventListener('abort', () => reject(options.signal?.reason)));
      },
    };
    setTimeout(() => controller.abort(), 20);
    const r = await checkHost({ ip: '192.0.2.1', domain: 'example.com', sender: 'a@example.com', helo: 'h.example.com', resolver: slow, signal: controller.signal });
    expect(r.result).toBe('temperror');
  });

  it('rejects an address that is not one', async () => {
    await expect(checkHost({ ip: 'nope', domain: 'example.com', sender: 'a@example.com', helo: '', resolver: new MemoryResolver({ names: {} }) })).rejects.toThrow(TypeError);
  });
});

describe('spfIdentity', () => {
  it('uses postmaster@HELO for the null reverse-path and postmaster for an empty local-part', () => {
    expect(spfIdentity('', 'mail.example.org')).toEqual({ sender: 'postmaster@mail.example.org', domain: 'mail.example.org', localPart: 'postmaster' });
    expect(spfIdentity('@example.net', 'h')).toEqual({ sender: 'postmaster@example.net', domain: 'example.net', localPart: 'postmaster' });
    expect(spfIdentity('a@b@example.com', 'h')).toMatchObject({ domain: 'example.com', localPart: 'a@b' });
  });
});
