import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isNearMissTlsRpt, isTlsRptRecord, parseTlsRpt, ruaProblem } from '../../src/checker/checks/tls-rpt.ts';

const ok = (r: string) => parseTlsRpt(r).problems;

describe('isTlsRptRecord (RFC 8460 §3 discard rule)', () => {
  it.each([
    ['v=TLSRPTv1; rua=mailto:a@b.example', true],
    ['v=TLSRPTv1;rua=mailto:a@b.example', true],
    ['v=TLSRPTv1', true],
    ['v=TLSRPTv10; rua=x', false],
    ['v=tlsrptv1; rua=x', false],
    [' v=TLSRPTv1; rua=x', false],
    ['v=spf1 -all', false],
  ])('%s → %s', (txt, expected) => {
    expect(isTlsRptRecord(txt)).toBe(expected);
  });

  it('recognises near misses but not unrelated records', () => {
    expect(isNearMissTlsRpt('V=TLSRPTv1; rua=mailto:a@b.example')).toBe(true);
    expect(isNearMissTlsRpt('rua=mailto:a@b.example; v=TLSRPTv1')).toBe(true);
    expect(isNearMissTlsRpt('v=spf1 -all')).toBe(false);
    expect(isNearMissTlsRpt('v=TLSRPTv1; rua=mailto:a@b.example')).toBe(false);
  });
});

describe('parseTlsRpt', () => {
  it('accepts the RFC 8460 §3 examples', () => {
    expect(ok('v=TLSRPTv1; rua=mailto:reports@example.com')).toEqual([]);
    expect(ok('v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt')).toEqual([]);
  });

  it('accepts a trailing delimiter and white space around delimiters and commas', () => {
    expect(ok('v=TLSRPTv1 ;\trua=mailto:a@example.com ,  https://r.example.net/x ;')).toEqual([]);
    expect(parseTlsRpt('v=TLSRPTv1; rua=mailto:a@example.com , https://r.example.net/x').rua).toEqual([
      'mailto:a@example.com', 'https://r.example.net/x',
    ]);
  });

  it('rejects empty fields, duplicate tags, bad tag names and a stray comma', () => {
    expect(ok('v=TLSRPTv1;; rua=mailto:a@example.com').map((p) => p.kind)).toEqual(['syntax']);
    expect(ok('v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com')[0]!.message).toContain('more than once');
    expect(ok('v=TLSRPTv1; rua=mailto:a@example.com; _x=1')[0]!.message).toContain('tag name');
    expect(ok('v=TLSRPTv1; rua=mailto:a@example.com,').map((p) => p.kind)).toEqual(['rua']);
    expect(ok('v=TLSRPTv1; rua=')[0]!.message).toContain('empty');
    expect(ok('v=TLSRPTv1; rua=mailto:a@example.com; x=a=b')[0]!.message).toContain('"x"');
    expect(ok('v=TLSRPTv1 rua=mailto:a@example.com').length).toBeGreaterThan(0);
  });

  it('never throws and never loses the rua list on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string(), (tail) => {
        const p = parseTlsRpt(`v=TLSRPTv1; ${tail}`);
        expect(p.validRua.every((u) => ruaProblem(u) === null)).toBe(true);
        expect(p.validRua.length).toBeLessThanOrEqual(p.rua.length);
      }),
    );
  });
});

describe('ruaProblem', () => {
  it.each([
    'mailto:tls@example.com',
    'MAILTO:tls@example.com',
    'mailto:tls+rpt@sub.example.co.uk?subject=tlsrpt',
    'https://reports.example.com/tlsrpt',
    'https://reports.example.com:8443/v1/tlsrpt?id=1',
  ])('accepts %s', (uri) => {
    expect(ruaProblem(uri)).toBeNull();
  });

  it.each([
    ['tls@example.com', 'bare e-mail'],
    ['http://r.example.com/x', 'plain http'],
    ['ftp://r.example.com/x', 'ftp:'],
    ['mailto:', 'no e-mail address'],
    ['mailto:tls@', 'no e-mail address'],
    ['mailto:tls@localhost', 'invalid mail domain'],
    ['mailto:a@example.com!10m', '"!"'],
    ['mailto:a@example.com%2Cb@example.com', 'more than one address'],
    ['https:reports.example.com', 'https://host'],
    ['https://user:pw@r.example.com/', 'credentials'],
    ['https://bad_host/x', 'invalid host'],
    ['mailto:a b@example.com', 'not allowed in a URI'],
    ['reports', 'no scheme'],
  ])('rejects %s (%s)', (uri, why) => {
    expect(ruaProblem(uri)?.message).toContain(why);
  });
});
