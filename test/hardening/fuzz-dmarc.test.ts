/**
 * DMARC record parser (RFC 7489 §6.3–6.4, DMARCbis) under generated, mutated and garbage input:
 * never throws, problems point inside the record, stated values are in their domains, and a
 * clean record re-serialised from its values parses to the same values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { effectiveTags, parseDmarc, parseReportUri, POLICY_VALUES, type DmarcRecord } from '../../src/checker/checks/dmarc/parse.ts';
import { hostileInput, mailbox, params, timed, wsp } from './fuzz.ts';

const policy = fc.constantFrom(...POLICY_VALUES);
const uri = fc.tuple(mailbox, fc.constantFrom('', '!10m', '!5k', '!1')).map(([m, s]) => `mailto:${m}${s}`);
const tag = fc.oneof(
  policy.map((p) => `sp=${p}`),
  policy.map((p) => `np=${p}`),
  fc.constantFrom('r', 's').map((m) => `adkim=${m}`),
  fc.constantFrom('r', 's').map((m) => `aspf=${m}`),
  fc.integer({ min: 0, max: 100 }).map((n) => `pct=${n}`),
  fc.constantFrom('0', '1', 'd', 's', '0:1', 'd:s').map((f) => `fo=${f}`),
  fc.constant('rf=afrf'),
  fc.integer({ min: 0, max: 0xffffffff }).map((n) => `ri=${n}`),
  fc.array(uri, { minLength: 1, maxLength: 3 }).map((u) => `rua=${u.join(',')}`),
  fc.array(uri, { minLength: 1, maxLength: 2 }).map((u) => `ruf=${u.join(',')}`),
  fc.constantFrom('y', 'n', 'u').map((v) => `psd=${v}`),
  fc.constantFrom('y', 'n').map((v) => `t=${v}`),
);
const validDmarc: fc.Arbitrary<string> = fc
  .tuple(policy, fc.uniqueArray(tag, { maxLength: 6, selector: (t) => t.split('=')[0] }), wsp, fc.boolean())
  .map(([p, tags, space, trailing]) => [`v=DMARC1`, `p=${p}`, ...tags].join(`;${space}`) + (trailing ? ';' : ''));

function checkShape(input: string, r: DmarcRecord): void {
  expect(r.text).toBe(input);
  for (const p of r.problems) {
    expect(p.position).toBeGreaterThanOrEqual(0);
    expect(p.position).toBeLessThanOrEqual(input.length);
  }
  for (const t of r.tags) expect(t.name).toBe(t.name.toLowerCase());
  const v = r.values;
  if (v.p !== undefined) expect(POLICY_VALUES).toContain(v.p);
  if (v.pct !== undefined) expect(v.pct >= 0 && v.pct <= 100).toBe(true);
  if (v.ri !== undefined) expect(v.ri >= 0 && v.ri <= 0xffffffff).toBe(true);
  for (const u of [...r.rua, ...r.ruf]) {
    expect(u.address).toContain('@');
    expect(u.domain).toBe(u.domain.toLowerCase());
  }
  // never throws downstream either
  const eff = effectiveTags(r);
  expect(['r', 's']).toContain(eff.adkim);
  // a clean parse or findings: without a leading v=DMARC1 there is always a problem
  if (!r.versionOk) expect(r.problems.length).toBeGreaterThan(0);
}

describe('DMARC parser fuzz', () => {
  it('never throws and returns a well-formed result (valid, mutated, garbage)', () => {
    fc.assert(fc.property(hostileInput(validDmarc, 500), (input) => checkShape(input, parseDmarc(input))), params());
  });

  it('generated valid records parse cleanly and round-trip through their values', () => {
    fc.assert(fc.property(validDmarc, (input) => {
      const r = parseDmarc(input);
      expect(r.versionOk).toBe(true);
      expect(r.problems).toEqual([]);
      const rebuilt = ['v=DMARC1', ...r.tags.filter((t) => t.name !== 'v').map((t) => `${t.name}=${t.value}`)].join('; ');
      const again = parseDmarc(rebuilt);
      expect(again.problems).toEqual([]);
      expect(again.values).toEqual(r.values);
      expect(again.rua.map((u) => u.address)).toEqual(r.rua.map((u) => u.address));
    }), params());
  });

  it('report URIs: any string gives a URI or a reason, never an exception', () => {
    fc.assert(fc.property(hostileInput(uri, 200), (raw) => {
      const r = parseReportUri('rua', raw);
      if ('reason' in r) expect(r.reason.length).toBeGreaterThan(0);
      else expect(r.domain.length).toBeGreaterThan(0);
    }), params());
  });
});

describe('DMARC parser: linear time on adversarial records', () => {
  const shapes: Array<[string, (n: number) => string]> = [
    ['white space inside a value', (n) => `v=DMARC1; p=none${' '.repeat(n)};x`],
    ['size suffixes', (n) => `v=DMARC1; p=none; rua=${'!1'.repeat(n / 2)}x`],
    ['many tags', (n) => `v=DMARC1${'; a=b'.repeat(n / 5)}`],
    ['many separators', (n) => `v=DMARC1${';'.repeat(n)}`],
    ['many report URIs', (n) => `v=DMARC1; p=none; rua=${'mailto:a@b.example,'.repeat(n / 19)}`],
    ['near-miss version', (n) => `v${' '.repeat(n)}`],
  ];
  for (const size of [4096, 65_536, 262_144]) {
    it(`parses ${size}-byte adversarial records`, () => {
      for (const [name, make] of shapes) {
        const record = make(size);
        expect(timed(`dmarc ${name} (${record.length} B)`, () => parseDmarc(record)).text).toBe(record);
      }
    });
  }
});
