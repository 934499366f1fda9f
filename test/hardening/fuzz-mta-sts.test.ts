/**
 * MTA-STS: the `_mta-sts` TXT record and the policy file (RFC 8461 §3.1, §3.2) under generated,
 * mutated and garbage input: never throws, a policy with no errors is complete and consistent,
 * re-serialising a clean policy is a fixed point, and a 64 KiB policy parses in linear time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidMxPattern, MAX_AGE_LIMIT, parsePolicy, type ParsedPolicy } from '../../src/checker/checks/mta-sts/policy.ts';
import { isStsRecord, parseStsRecord } from '../../src/checker/checks/mta-sts/record.ts';
import { garbage, hostileInput, hostName, params, timed, wsp } from './fuzz.ts';

const id = fc.stringMatching(/^[A-Za-z0-9]{1,32}$/);
const ext = fc.tuple(fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,8}$/), fc.stringMatching(/^[!-:<>-~]{1,10}$/))
  .filter(([n]) => n !== 'id').map(([n, v]) => `${n}=${v}`);
const validRecord: fc.Arbitrary<string> = fc
  .tuple(id, fc.array(ext, { maxLength: 3 }), wsp, fc.boolean())
  .map(([i, exts, space, trailing]) => ['v=STSv1', `id=${i}`, ...exts].join(`;${space}`) + (trailing ? ';' : ''));

const mode = fc.constantFrom('enforce', 'testing', 'none');
const mxPattern = fc.oneof(hostName, hostName.map((h) => `*.${h}`));
const validPolicy: fc.Arbitrary<string> = fc
  .tuple(mode, fc.array(mxPattern, { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: MAX_AGE_LIMIT }), fc.constantFrom('\n', '\r\n'), fc.boolean(), fc.shuffledSubarray(['a_ext: 1', 'vendor.x: yes']))
  .map(([m, mx, age, eol, final, exts]) =>
    ['version: STSv1', `mode: ${m}`, ...mx.map((x) => `mx: ${x}`), `max_age: ${age}`, ...exts].join(eol) + (final ? eol : ''));

function checkPolicy(body: string, p: ParsedPolicy): void {
  expect(['lf', 'crlf', 'mixed', 'none']).toContain(p.lineEnding);
  for (const m of p.mx) expect(isValidMxPattern(m)).toBe(true);
  if (p.maxAge !== null) expect(p.maxAge >= 0 && p.maxAge <= MAX_AGE_LIMIT).toBe(true);
  if (p.version !== null) expect(p.version).toBe('STSv1');
  // clean parse or findings: no errors means a complete policy
  if (p.errors.length === 0) {
    expect(p.version).toBe('STSv1');
    expect(p.mode).not.toBeNull();
    expect(p.maxAge).not.toBeNull();
    if (p.mode !== 'none') expect(p.mx.length).toBeGreaterThan(0);
  }
  if (body.trim() === '') expect(p.errors.length).toBeGreaterThan(0);
}

function serialise(p: ParsedPolicy): string {
  return [`version: ${p.version}`, `mode: ${p.mode}`, ...p.mx.map((m) => `mx: ${m}`), `max_age: ${p.maxAge}`, ...p.extensions.map((e) => `${e.name}: ${e.value}`)].join('\n') + '\n';
}

describe('MTA-STS record fuzz', () => {
  it('never throws; an id is set only when the record is clean', () => {
    fc.assert(fc.property(hostileInput(validRecord, 300), (input) => {
      const r = parseStsRecord(input);
      expect(r.record).toBe(input);
      if (r.id !== null) expect(r.id).toMatch(/^[A-Za-z0-9]{1,32}$/);
      if (r.problems.length === 0) expect(r.id).not.toBeNull();
      if (!isStsRecord(input)) expect(r.problems.length).toBeGreaterThan(0);
    }), params());
  });

  it('generated valid records parse cleanly', () => {
    fc.assert(fc.property(validRecord, (input) => {
      const r = parseStsRecord(input);
      expect(r.problems).toEqual([]);
      expect(r.id).not.toBeNull();
    }), params());
  });
});

describe('MTA-STS policy fuzz', () => {
  it('never throws and returns a consistent result (valid, mutated, garbage)', () => {
    fc.assert(fc.property(hostileInput(validPolicy, 800), (body) => checkPolicy(body, parsePolicy(body))), params());
  });

  it('any line soup (random key: value lines) is judged, never thrown on', () => {
    const line = fc.oneof(
      fc.tuple(fc.constantFrom('version', 'mode', 'max_age', 'mx', 'Mode', ' mx', 'x'), fc.constantFrom(':', ': ', ':\t', ''), garbage(40)).map(([k, s, v]) => `${k}${s}${v}`),
      garbage(60),
    );
    fc.assert(fc.property(fc.array(line, { maxLength: 12 }), fc.constantFrom('\n', '\r\n', '\r'), (lines, eol) => {
      const body = lines.join(eol);
      checkPolicy(body, parsePolicy(body));
    }), params());
  });

  it('generated valid policies parse cleanly, and re-serialising is a fixed point', () => {
    fc.assert(fc.property(validPolicy, (body) => {
      const p = parsePolicy(body);
      expect(p.errors).toEqual([]);
      const again = parsePolicy(serialise(p));
      expect(again.errors).toEqual([]);
      expect({ ...again, lineEnding: 'x' }).toEqual({ ...p, lineEnding: 'x' });
    }), params());
  });
});

describe('MTA-STS: linear time on a 64 KiB policy and long records', () => {
  const policies: Array<[string, (n: number) => string]> = [
    ['blanks before a value ends', (n) => `version: STSv1\nmode: enforce${' '.repeat(n)}x\nmx: a.example\nmax_age: 86400\n`],
    ['many mx lines', (n) => `version: STSv1\nmode: enforce\nmax_age: 86400\n${'mx: mail.example.com\n'.repeat(n / 21)}`],
    ['one long line', (n) => 'x'.repeat(n)],
    ['long mx pattern', (n) => `mx: ${'a-'.repeat(n / 2)}!`],
    ['many colons', (n) => ':'.repeat(n)],
    ['blank lines', (n) => '\r\n'.repeat(n / 2)],
    ['duplicate keys', (n) => 'mode: enforce\n'.repeat(n / 14)],
  ];
  const records: Array<[string, (n: number) => string]> = [
    ['blanks inside a field', (n) => `v=STSv1; id=1; a${' '.repeat(n)}b`],
    ['many fields', (n) => `v=STSv1${'; a=b'.repeat(n / 5)}`],
    ['many ids', (n) => `v=STSv1${'; id=1'.repeat(n / 6)}`],
  ];
  for (const size of [4096, 65_536, 262_144]) {
    it(`parses ${size}-byte adversarial policies and records`, () => {
      for (const [name, make] of policies) {
        const body = make(size);
        expect(timed(`mta-sts policy ${name} (${body.length} B)`, () => parsePolicy(body)).errors.length).toBeGreaterThanOrEqual(0);
      }
      for (const [name, make] of records) {
        const record = make(size);
        expect(timed(`mta-sts record ${name} (${record.length} B)`, () => parseStsRecord(record)).record).toBe(record);
      }
    });
  }
});
