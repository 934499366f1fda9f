import { describe, expect, it } from 'vitest';
import { isBimiRecord, parseBimi, suggestedRecord } from '../../src/checker/checks/bimi/record.ts';

describe('parseBimi', () => {
  it('parses a full record', () => {
    const p = parseBimi('v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem; avp=brand');
    expect(p.problems).toEqual([]);
    expect(p).toMatchObject({ logos: ['https://example.com/logo.svg'], authority: 'https://example.com/vmc.pem', avp: 'brand', declined: false });
  });

  it('an empty l= with no (or empty) a= is a declination', () => {
    expect(parseBimi('v=BIMI1; l=; a=;')).toMatchObject({ declined: true, problems: [] });
    expect(parseBimi('v=BIMI1; l=')).toMatchObject({ declined: true, problems: [] });
    expect(parseBimi('v=BIMI1; l=; a=https://example.com/vmc.pem')).toMatchObject({ declined: false, problems: [] });
  });

  it.each([
    ['v=BIMI1; l=http://example.com/logo.svg', 'uses http:, but BIMI fetches only https: URLs'],
    ['v=BIMI1; l=https://example.com/logo.svg; a=ftp://example.com/vmc.pem', 'uses ftp:'],
    ['v=BIMI1; l=https://example.com/logo.svg; avp=company', 'avp=company is not allowed'],
    ['v=BIMI1; l=https://example.com/logo.svg; l=https://example.com/2.svg', 'appears more than once'],
    ['v=BIMI1; l=logo.svg', 'is not a URL'],
    ['v=BIMI1; a=', 'no l= tag'],
    ['v=BIMI1; l=https://example.com/logo.svg; garbage', 'is not a tag=value pair'],
  ])('%s is invalid', (record, problem) => {
    const p = parseBimi(record);
    expect(p.problems.map((x) => x.message).join(' | ')).toContain(problem);
  });

  it('ignores unknown tags but lists them', () => {
    const p = parseBimi('v=BIMI1; l=https://example.com/l.svg; zz=1');
    expect(p.problems).toEqual([]);
    expect(p.unknownTags).toEqual(['zz']);
  });

  it('recognises BIMI records as receivers do', () => {
    expect(isBimiRecord('v=BIMI1; l=')).toBe(true);
    expect(isBimiRecord('v=BIMI1')).toBe(true);
    expect(isBimiRecord('v=bimi1; l=')).toBe(false);
    expect(isBimiRecord(' v=BIMI1; l=')).toBe(false);
    expect(isBimiRecord('v=BIMI10; l=')).toBe(false);
  });

  it('suggests a corrected record', () => {
    expect(suggestedRecord(parseBimi('v=BIMI1; l=http://example.com/logo.svg; avp=BRAND'), 'https://x/l.svg'))
      .toBe('v=BIMI1; l=https://example.com/logo.svg; a=; avp=brand');
  });
});
