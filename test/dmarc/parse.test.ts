import { describe, expect, it } from 'vitest';
import { effectiveTags, isDmarcRecord, parseDmarc, parseReportUri } from '../../src/checker/checks/dmarc/parse.ts';
import { treeWalkTargets } from '../../src/checker/checks/dmarc/discovery.ts';
import { correctedRecordText } from '../../src/checker/checks/dmarc/fixes.ts';

const kinds = (text: string) => parseDmarc(text).problems.map((p) => p.kind);

describe('parseDmarc', () => {
  it('reads a full record with whitespace, case and a trailing separator', () => {
    const r = parseDmarc('v=DMARC1 ;  P = Reject; sp=quarantine; adkim=S; aspf=r; pct=50; fo=0:d; rua=mailto:a@example.com, mailto:b@example.net!10m ;');
    expect(r.problems).toEqual([]);
    expect(r.versionOk).toBe(true);
    expect(r.values).toMatchObject({ p: 'reject', sp: 'quarantine', adkim: 's', aspf: 'r', pct: 50, fo: ['0', 'd'] });
    expect(r.rua.map((u) => [u.address, u.domain, u.maxSize])).toEqual([
      ['a@example.com', 'example.com', undefined],
      ['b@example.net', 'example.net', '10m'],
    ]);
  });

  it('accepts the DMARCbis tags np, psd and t', () => {
    const r = parseDmarc('v=DMARC1; p=reject; np=reject; psd=n; t=y');
    expect(r.problems).toEqual([]);
    expect(r.values).toMatchObject({ np: 'reject', psd: 'n', t: 'y' });
  });

  it('requires v=DMARC1 first, DMARC1 in capitals', () => {
    expect(kinds('p=reject; v=DMARC1')).toContain('syntax');
    expect(kinds('v=dmarc1; p=reject')).toContain('syntax');
    expect(isDmarcRecord('v=dmarc1; p=reject')).toBe(false);
    expect(isDmarcRecord('V = DMARC1; p=reject')).toBe(true);
    expect(isDmarcRecord('v=DMARC1')).toBe(true);
    expect(isDmarcRecord('v=DMARC10; p=reject')).toBe(false);
  });

  it('flags a term that is not tag=value, with its position', () => {
    const r = parseDmarc('v=DMARC1; p=reject; rua');
    const p = r.problems[0];
    expect(p).toMatchObject({ kind: 'syntax', position: 20 });
  });

  it('flags duplicates, keeping the first value', () => {
    const r = parseDmarc('v=DMARC1; p=reject; p=none');
    expect(r.problems).toEqual([{ kind: 'duplicate', tag: 'p', value: 'none', position: 20, firstPosition: 10 }]);
    expect(r.values.p).toBe('reject');
  });

  it('flags unknown tags as ignorable', () => {
    expect(parseDmarc('v=DMARC1; p=reject; pto=none').problems).toEqual([
      { kind: 'unknown_tag', tag: 'pto', value: 'none', position: 20 },
    ]);
  });

  it.each([
    ['p=block'], ['sp=maybe'], ['np=x'], ['adkim=strict'], ['aspf=1'], ['pct=101'], ['pct=-1'],
    ['fo=2'], ['rf=iodef'], ['ri=day'], ['psd=yes'], ['t=1'],
  ])('rejects %s', (tag) => {
    expect(kinds(`v=DMARC1; p=none; ${tag}`.replace('p=none; p=', 'p='))).toContain('invalid_value');
  });

  it('validates report URIs', () => {
    const r = parseDmarc('v=DMARC1; p=none; rua=reports@example.com,mailto:ok@example.com,https://x.example/r,mailto:nobody,mailto:a@b!big');
    expect(r.rua.map((u) => u.address)).toEqual(['ok@example.com']);
    expect(r.problems.filter((p) => p.kind === 'invalid_uri').map((p) => 'uri' in p && p.uri)).toEqual([
      'reports@example.com', 'https://x.example/r', 'mailto:nobody', 'mailto:a@b!big',
    ]);
    expect(parseReportUri('rua', 'MAILTO:Dmarc%2Breports@Example.COM')).toMatchObject({ address: 'Dmarc+reports@example.com', domain: 'example.com' });
  });

  it('applies defaults and RFC 7489 §6.6.3 for a missing p', () => {
    expect(effectiveTags(parseDmarc('v=DMARC1; p=quarantine'))).toMatchObject({ p: 'quarantine', sp: 'quarantine', np: 'quarantine', pct: 100, adkim: 'r' });
    expect(effectiveTags(parseDmarc('v=DMARC1; p=reject; sp=none'))).toMatchObject({ sp: 'none', np: 'none' });
    expect(effectiveTags(parseDmarc('v=DMARC1; rua=mailto:a@example.com')).p).toBe('none');
    expect(effectiveTags(parseDmarc('v=DMARC1')).p).toBeNull();
  });

  it('rebuilds a clean record', () => {
    const r = parseDmarc('v=DMARC1; rua=mailto:a@example.com; p=none; pto=x; p=reject; pct=20');
    expect(correctedRecordText(r, { p: 'quarantine', pct: null })).toBe('v=DMARC1; p=quarantine; rua=mailto:a@example.com');
  });
});

describe('treeWalkTargets', () => {
  it('drops one label at a time down to the TLD', () => {
    expect(treeWalkTargets('a.b.example.com')).toEqual(['b.example.com', 'example.com', 'com']);
  });
  it('jumps to seven labels for long names (at most 8 queries)', () => {
    const t = treeWalkTargets('a.b.c.d.e.f.g.h.i.example.com');
    expect(t[0]).toBe('e.f.g.h.i.example.com');
    expect(t.length).toBe(7);
  });
});
