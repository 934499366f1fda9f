/**
 * SPF record parser (RFC 7208 §4.6, §12) under generated, mutated and garbage input:
 * it never throws, every input yields a clean parse or errors with positions inside the record,
 * re-serialising a clean parse is a fixed point, and adversarial 4 KiB–64 KiB records parse in
 * linear time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMacroString } from '../../src/checker/checks/spf/macro.ts';
import { parseSpf, type SpfRecord } from '../../src/checker/checks/spf/parse.ts';
import { hostileInput, hostName, ipv4, ipv6, params, timed } from './fuzz.ts';

const qualifier = fc.constantFrom('', '+', '-', '~', '?');
const domainSpec = fc.oneof(hostName, hostName.map((h) => `%{d}.${h}`), fc.constant('%{i}.%{l1r-}.example.com'), fc.constant('%{d2}'));
const cidr4 = fc.option(fc.integer({ min: 0, max: 32 }), { nil: undefined }).map((n) => (n === undefined ? '' : `/${n}`));
const cidr6 = fc.option(fc.integer({ min: 0, max: 128 }), { nil: undefined }).map((n) => (n === undefined ? '' : `//${n}`));
const mechanism = fc.oneof(
  fc.tuple(qualifier, domainSpec).map(([q, d]) => `${q}include:${d}`),
  fc.tuple(qualifier, fc.constantFrom('a', 'mx'), fc.option(domainSpec, { nil: undefined }), cidr4, cidr6)
    .map(([q, k, d, c4, c6]) => `${q}${k}${d ? `:${d}` : ''}${c4}${c6}`),
  fc.tuple(qualifier, ipv4, fc.integer({ min: 0, max: 32 })).map(([q, ip, p]) => `${q}ip4:${ip}/${p}`),
  fc.tuple(qualifier, ipv6).map(([q, ip]) => `${q}ip6:${ip}`),
  fc.tuple(qualifier, domainSpec).map(([q, d]) => `${q}exists:${d}`),
  fc.tuple(qualifier, fc.option(hostName, { nil: undefined })).map(([q, d]) => `${q}ptr${d ? `:${d}` : ''}`),
);
const validSpf: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(mechanism, { maxLength: 8 }),
    fc.option(hostName.map((h) => `redirect=${h}`), { nil: undefined }),
    fc.option(hostName.map((h) => `exp=explain.${h}`), { nil: undefined }),
    fc.option(fc.tuple(qualifier).map(([q]) => `${q}all`), { nil: undefined }),
    fc.constantFrom('v=spf1', 'V=SPF1', 'v=Spf1'),
    fc.constantFrom('', ' ', '  '),
  )
  .map(([mechs, redirect, exp, all, version, trailing]) =>
    [version, ...mechs, ...(all ? [all] : []), ...(redirect ? [redirect] : []), ...(exp ? [exp] : [])].join(' ') + trailing);

function checkShape(input: string, r: SpfRecord): void {
  expect(r.text).toBe(input);
  for (const e of r.errors) {
    expect(['syntax', 'unknown_mechanism', 'invalid_ip_or_cidr']).toContain(e.kind);
    expect(e.position).toBeGreaterThanOrEqual(0);
    expect(e.position).toBeLessThanOrEqual(input.length);
    expect(typeof e.reason).toBe('string');
    expect(e.reason.length).toBeGreaterThan(0);
  }
  for (const t of r.terms) {
    // every term is a slice of the record at its position
    expect(input.slice(t.position, t.position + t.text.length)).toBe(t.text);
    if (t.type === 'mechanism' && (t.kind === 'ip4' || t.kind === 'ip6')) {
      expect(t.prefix).toBeGreaterThanOrEqual(0);
      expect(t.prefix).toBeLessThanOrEqual(t.kind === 'ip4' ? 32 : 128);
    }
    if (t.type === 'mechanism' && (t.kind === 'a' || t.kind === 'mx')) {
      expect(t.cidr4).toBeLessThanOrEqual(32);
      expect(t.cidr6).toBeLessThanOrEqual(128);
    }
  }
  expect(r.mechanisms.every((m) => r.terms.includes(m))).toBe(true);
  // a clean parse or findings: a record that does not start with v=spf1 always says so
  if (!/^v=spf1( |$)/i.test(input)) expect(r.errors.length).toBeGreaterThan(0);
}

describe('SPF parser fuzz', () => {
  it('never throws and returns a well-formed result (valid, mutated, garbage)', () => {
    fc.assert(fc.property(hostileInput(validSpf, 600), (input) => {
      checkShape(input, parseSpf(input));
    }), params());
  });

  it('garbage after v=spf1 is still parsed term by term', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (tail) => {
      const input = `v=spf1 ${tail}`;
      checkShape(input, parseSpf(input));
    }), params());
  });

  it('generated valid records parse cleanly, and re-serialising the terms is a fixed point', () => {
    fc.assert(fc.property(validSpf, (input) => {
      const r = parseSpf(input);
      expect(r.errors).toEqual([]);
      const again = parseSpf(['v=spf1', ...r.terms.map((t) => t.text)].join(' '));
      expect(again.errors).toEqual([]);
      expect(again.terms.map((t) => t.text)).toEqual(r.terms.map((t) => t.text));
      expect(again.mechanisms.map((m) => [m.kind, m.qualifier])).toEqual(r.mechanisms.map((m) => [m.kind, m.qualifier]));
    }), params());
  });

  it('domain-end is judged as the RFC 7208 ABNF says (reference: the §12 grammar as a regular expression)', () => {
    // the regex is the ABNF, fine as a reference on short input (it is quadratic on long input)
    const reference = /\.(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9])\.?$/;
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', 'Z', '1', '-', '.'), minLength: 1, maxLength: 14 }), (domain) => {
      const r = parseSpf(`v=spf1 include:${domain}`);
      expect(r.errors.length === 0).toBe(reference.test(domain));
    }), params());
  });

  it('the macro-string parser never throws in any context', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('%', '{', '}', 'd', 'i', 'L', 'r', '1', '0', '.', '-', '+', ',', '/', '_', '=', 'x', ' ', '\u00e9'), maxLength: 60 }), fc.constantFrom('domain', 'explain', 'modifier' as const), (s, context) => {
      const r = parseMacroString(s, context);
      if (!r.ok) {
        expect(r.position).toBeGreaterThanOrEqual(0);
        expect(r.position).toBeLessThanOrEqual(s.length);
      } else {
        // literal and macro texts cover the input (escapes are two characters)
        expect(r.tokens.every((t) => t.type === 'literal' || s.includes(t.text))).toBe(true);
      }
    }), params());
  });
});

/**
 * Linear time: adversarial shapes at 4 KiB (a TXT record's realistic ceiling) and 64 KiB (a DNS
 * message's), plus 256 KiB. A quadratic regular expression turns the 256 KiB cases into tens of
 * seconds, far beyond the test timeout; linear code takes milliseconds. Nothing here compares times.
 */
describe('SPF parser: linear time on adversarial records', () => {
  const shapes: Array<[string, (n: number) => string]> = [
    ['include domain-end with a long last label', (n) => `v=spf1 include:.${'a'.repeat(n)}!`],
    ['a long hyphenated last label', (n) => `v=spf1 include:x.${'a-'.repeat(n / 2)}!`],
    ['many terms', (n) => `v=spf1${' a'.repeat(n / 2)}`],
    ['long cidr digits', (n) => `v=spf1 a:/${'1'.repeat(n)}x`],
    ['unclosed macros', (n) => `v=spf1 include:${'%{'.repeat(n / 2)}`],
    ['many macros', (n) => `v=spf1 exists:${'%{d}'.repeat(n / 4)}.com`],
    ['ip6 junk', (n) => `v=spf1 ip6:${':'.repeat(n)}`],
  ];
  for (const size of [4096, 65_536, 262_144]) {
    it(`parses ${size}-byte adversarial records`, () => {
      for (const [name, make] of shapes) {
        const record = make(size);
        const r = timed(`spf ${name} (${record.length} B)`, () => parseSpf(record));
        expect(r.text).toBe(record);
      }
    });
  }
});
