import { describe, expect, it } from 'vitest';
import { normalizeDomain } from '../../src/checker/domain.ts';

const ok = (s: string) => {
  const r = normalizeDomain(s);
  if (!r.ok) throw new Error(`expected ${s} to be valid: ${r.error}`);
  return r.domain;
};
const err = (s: string) => {
  const r = normalizeDomain(s);
  if (r.ok) throw new Error(`expected ${s} to be refused, got ${r.domain}`);
  return r.error;
};

describe('normalizeDomain', () => {
  it('lower-cases and strips one trailing dot', () => {
    expect(ok('Example.COM.')).toBe('example.com');
    expect(ok('  example.org ')).toBe('example.org');
  });
  it('converts Unicode to A-labels (UTS #46) and keeps A-labels', () => {
    expect(ok('Bücher.example')).toBe('xn--bcher-kva.example');
    expect(ok('xn--bcher-kva.example')).toBe('xn--bcher-kva.example');
    expect(ok('faß.de')).toBe('xn--fa-hia.de'); // non-transitional: ß is kept
  });
  it('takes the domain of an e-mail address', () => {
    expect(ok('Alice@Example.com')).toBe('example.com');
    expect(ok('mailto:bob@example.net')).toBe('example.net');
  });
  it('refuses URLs with a hint naming the host', () => {
    expect(err('https://www.example.com/path')).toMatch(/URL.*www\.example\.com/);
    expect(err('example.com/about')).toMatch(/URL/);
  });
  it('refuses IP addresses, single labels and malformed names', () => {
    expect(err('192.0.2.1')).toMatch(/IP address/);
    expect(err('[2001:db8::1]')).toMatch(/IP address/);
    expect(err('localhost')).toMatch(/full domain/);
    expect(err('a..b.com')).toMatch(/empty label/);
    expect(err(`${'a'.repeat(64)}.com`)).toMatch(/63/);
    expect(err(`${'abcdefghi.'.repeat(26)}com`)).toMatch(/253|valid domain/);
    expect(err('-bad.example')).toMatch(/hyphen/);
    expect(err('under_score.example')).toMatch(/not a valid domain/);
    expect(err('')).toMatch(/no domain/);
    expect(err('two words.com')).toMatch(/spaces/);
  });
});
