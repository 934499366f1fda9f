/** Macro expansion, with the examples of RFC 7208 §7.4. */
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { expandMacros, parseMacroString, type MacroValues } from '../../src/checker/checks/spf/macro.ts';

function values(ip: string): MacroValues {
  return {
    sender: 'strong-bad@email.example.com',
    localPart: 'strong-bad',
    senderDomain: 'email.example.com',
    domain: 'email.example.com',
    ip: ipaddr.process(ip),
    helo: 'mx.example.org',
    receiver: 'receiver.example.net',
    now: new Date(1_700_000_000_000),
    validatedDomain: async () => 'mx.example.org',
  };
}

async function expand(text: string, ip = '192.0.2.3', context: 'domain' | 'explain' = 'domain'): Promise<string> {
  const p = parseMacroString(text, context);
  if (!p.ok) throw new Error(p.reason);
  return expandMacros(p.tokens, values(ip));
}

describe('macro expansion (RFC 7208 §7.4)', () => {
  it.each([
    ['%{s}', 'strong-bad@email.example.com'],
    ['%{o}', 'email.example.com'],
    ['%{d}', 'email.example.com'],
    ['%{d4}', 'email.example.com'],
    ['%{d3}', 'email.example.com'],
    ['%{d2}', 'example.com'],
    ['%{d1}', 'com'],
    ['%{dr}', 'com.example.email'],
    ['%{d2r}', 'example.email'],
    ['%{l}', 'strong-bad'],
    ['%{l-}', 'strong.bad'],
    ['%{lr}', 'strong-bad'],
    ['%{lr-}', 'bad.strong'],
    ['%{l1r-}', 'strong'],
    ['%{ir}.%{v}._spf.%{d2}', '3.2.0.192.in-addr._spf.example.com'],
    ['%{lr-}.lp._spf.%{d2}', 'bad.strong.lp._spf.example.com'],
    ['%{lr-}.lp.%{ir}.%{v}._spf.%{d2}', 'bad.strong.lp.3.2.0.192.in-addr._spf.example.com'],
    ['%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}', '3.2.0.192.in-addr.strong.lp._spf.example.com'],
    ['%{d2}.trusted-domains.example.net', 'example.com.trusted-domains.example.net'],
  ])('%s → %s', async (macro, expected) => {
    expect(await expand(macro)).toBe(expected);
  });

  it('expands IPv6 %{i} to nibbles (domain names are case-insensitive; the suite wants upper case)', async () => {
    expect((await expand('%{ir}.%{v}._spf.%{d2}', '2001:db8::cb01')).toLowerCase())
      .toBe('1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com');
  });

  it('handles escapes, URL-escaping of upper-case letters, and exp-only letters', async () => {
    expect(await expand('a%%b%_c%-d.example.com')).toBe('a%b c%20d.example.com');
    expect(await expand('%{L}', '192.0.2.3')).toBe('strong-bad');
    expect(await expand('%{S}')).toBe('strong-bad%40email.example.com');
    expect(await expand('%{c} %{r} %{t} %{p}', '2001:DB8::CB01', 'explain')).toBe('2001:db8::cb01 receiver.example.net 1700000000 mx.example.org');
    expect(await expand('%{i}', '::ffff:192.0.2.3')).toBe('192.0.2.3');
  });

  it('rejects malformed macros', () => {
    for (const bad of ['%', '%x', '%{', '%{x}', '%{d0}', '%{c}', '%(ir)', 'a b']) {
      expect(parseMacroString(bad, 'domain').ok, bad).toBe(false);
    }
    expect(parseMacroString('a b %{c}', 'explain').ok).toBe(true);
  });
});
