/**
 * TLS-RPT record parser (RFC 8460 §3) under generated, mutated and garbage input: never throws,
 * valid URIs are a subset of the URIs written, a generated record is clean, and adversarial
 * records parse in linear time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTlsRpt, ruaProblem } from '../../src/checker/checks/tls-rpt.ts';
import { hostileInput, hostName, mailbox, params, timed, wsp } from './fuzz.ts';

const rua = fc.oneof(mailbox.map((m) => `mailto:${m}`), hostName.map((h) => `https://${h}/tlsrpt`));
const validTlsRpt: fc.Arbitrary<string> = fc
  .tuple(fc.array(rua, { minLength: 1, maxLength: 3 }), wsp, fc.boolean(), fc.option(fc.constant('ext_1=v'), { nil: undefined }))
  .map(([uris, space, trailing, ext]) => ['v=TLSRPTv1', `rua=${uris.join(`,${space}`)}`, ...(ext ? [ext] : [])].join(`;${space}`) + (trailing ? ';' : ''));

describe('TLS-RPT parser fuzz', () => {
  it('never throws and returns a well-formed result (valid, mutated, garbage)', () => {
    fc.assert(fc.property(hostileInput(validTlsRpt, 400), (input) => {
      const r = parseTlsRpt(input);
      expect(r.record).toBe(input);
      expect(r.validRua.every((u) => r.rua.includes(u))).toBe(true);
      for (const p of r.problems) expect(['syntax', 'rua']).toContain(p.kind);
      // a clean parse has somewhere to send reports
      if (r.problems.length === 0) expect(r.validRua.length).toBeGreaterThan(0);
    }), params());
  });

  it('generated valid records parse cleanly', () => {
    fc.assert(fc.property(validTlsRpt, (input) => {
      const r = parseTlsRpt(input);
      expect(r.problems).toEqual([]);
    }), params());
  });

  it('rua URIs: any string is valid or has a reason; a suggestion is itself valid or absent', () => {
    fc.assert(fc.property(hostileInput(rua, 120), (uri) => {
      const p = ruaProblem(uri);
      if (p) {
        expect(p.message.length).toBeGreaterThan(0);
        if (p.suggestion !== undefined) expect(typeof p.suggestion).toBe('string');
      }
    }), params());
  });
});

describe('TLS-RPT parser: linear time on adversarial records', () => {
  const shapes: Array<[string, (n: number) => string]> = [
    ['blanks inside a URI list', (n) => `v=TLSRPTv1; rua=mailto:a@b.example,${' '.repeat(n)}x`],
    ['blanks inside a field', (n) => `v=TLSRPTv1; rua=mailto:a@b.example; a${' '.repeat(n)}b`],
    ['many URIs', (n) => `v=TLSRPTv1; rua=${'mailto:a@b.example,'.repeat(n / 19)}`],
    ['near miss with many fields', (n) => `V=tlsrptv1${'; rua=x'.repeat(n / 7)}`],
  ];
  for (const size of [4096, 65_536, 262_144]) {
    it(`parses ${size}-byte adversarial records`, () => {
      for (const [name, make] of shapes) {
        const record = make(size);
        expect(timed(`tls-rpt ${name} (${record.length} B)`, () => parseTlsRpt(record)).record).toBe(record);
      }
    });
  }
});
