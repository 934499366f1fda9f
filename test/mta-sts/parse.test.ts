import { describe, expect, it } from 'vitest';
import {
  coveringPattern, freshId, isNearMissStsRecord, isStsRecord, isValidMxPattern, mxMatches, parsePolicy, parseStsRecord,
  publishFix, suggestPatterns, suggestPolicy,
} from '../../src/checker/checks/mta-sts/index.ts';

describe('TXT record (RFC 8461 §3.1)', () => {
  it('accepts a plain record and extension fields', () => {
    expect(parseStsRecord('v=STSv1; id=20160831085700Z')).toMatchObject({ id: '20160831085700Z', problems: [] });
    const ext = parseStsRecord('v=STSv1; id=abc123; foo_bar=baz-1;');
    expect(ext.problems).toEqual([]);
    expect(ext.extensions).toEqual([{ name: 'foo_bar', value: 'baz-1' }]);
    expect(parseStsRecord('v=STSv1 ;id=a').problems).toEqual([]);
  });

  it('rejects a missing, empty, too long or non-alphanumeric id', () => {
    expect(parseStsRecord('v=STSv1;').problems.join()).toMatch(/no id= field/);
    expect(parseStsRecord('v=STSv1; id=').problems.join()).toMatch(/id= is empty/);
    expect(parseStsRecord(`v=STSv1; id=${'a'.repeat(33)}`).problems.join()).toMatch(/33 characters/);
    expect(parseStsRecord('v=STSv1; id=2024-01-01').problems.join()).toMatch(/contains "--"/);
    expect(parseStsRecord('v=STSv1; id=a; id=b').problems.join()).toMatch(/2 id= fields/);
  });

  it('recognises records by their exact version prefix, and near misses', () => {
    expect(isStsRecord('v=STSv1; id=1')).toBe(true);
    expect(isStsRecord('v=STSv1')).toBe(true);
    expect(isStsRecord('v=STSv10; id=1')).toBe(false);
    expect(isStsRecord('v=spf1 -all')).toBe(false);
    expect(isNearMissStsRecord('v=stsv1; id=1')).toBe(true);
    expect(isNearMissStsRecord(' v=STSv1; id=1')).toBe(true);
    expect(isNearMissStsRecord('v=spf1 -all')).toBe(false);
    expect(parseStsRecord('V=STSv1; id=1').problems.join()).toMatch(/case-sensitive/);
  });
});

const GOOD = 'version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmax_age: 604800\n';

describe('policy file (RFC 8461 §3.2)', () => {
  it('parses a valid policy with LF or CRLF endings', () => {
    for (const body of [GOOD, GOOD.replace(/\n/g, '\r\n'), GOOD.trimEnd()]) {
      const p = parsePolicy(body);
      expect(p.errors).toEqual([]);
      expect(p).toMatchObject({ version: 'STSv1', mode: 'enforce', maxAge: 604800, mx: ['mail.example.com', '*.example.net'] });
    }
    expect(parsePolicy(GOOD.replace(/\n/g, '\r\n')).lineEnding).toBe('crlf');
  });

  it('allows extension keys and trailing white space', () => {
    const p = parsePolicy(`${GOOD}foo_bar: something else\nx.y-z: a=b;c   \n`);
    expect(p.errors).toEqual([]);
    expect(p.warnings).toEqual([]);
    expect(p.extensions).toEqual([{ name: 'foo_bar', value: 'something else' }, { name: 'x.y-z', value: 'a=b;c' }]);
  });

  it('mode none needs no mx', () => {
    expect(parsePolicy('version: STSv1\nmode: none\nmax_age: 86400\n').errors).toEqual([]);
  });

  it('reports each problem', () => {
    const errs = (body: string) => parsePolicy(body).errors.join(' | ');
    expect(errs('')).toMatch(/empty/);
    expect(errs('version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n')).toMatch(/only version is "STSv1"/);
    expect(errs('version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n')).toMatch(/case-sensitive: write "enforce"/);
    expect(errs('version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n')).toMatch(/enforce, testing or none/);
    expect(errs('version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n')).toMatch(/above the maximum/);
    expect(errs('version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1w\n')).toMatch(/whole number/);
    expect(errs('version: STSv1\nmode: enforce\nmax_age: 1\n')).toMatch(/no "mx:" line/);
    expect(errs('version: STSv1\nmode: enforce\nmx: *.*.example\nmax_age: 1\n')).toMatch(/whole left-most label/);
    expect(errs('version: STSv1\nmode: enforce\nmx: mail.example:25\nmax_age: 1\n')).toMatch(/not a host name/);
    expect(errs('version: STSv1\nmode enforce\nmx: a.example\nmax_age: 1\n')).toMatch(/not a "key: value" line/);
    expect(errs('Version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\n')).toMatch(/"Version:" line, but keys are case-sensitive/);
    expect(errs('\uFEFFversion: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\n')).toMatch(/byte-order mark/);
    expect(errs('<html><body>hello</body></html>')).toMatch(/not a "key: value" line/);
  });

  it('duplicates of version/mode/max_age: the first wins, reported as a warning (§3.2)', () => {
    const p = parsePolicy('version: STSv1\nmode: enforce\nmode: testing\nmx: a.example\nmx: b.example\nmax_age: 86400\nmax_age: 604800\n');
    expect(p.errors).toEqual([]);
    expect(p.mode).toBe('enforce');
    expect(p.maxAge).toBe(86400);
    expect(p.mx).toEqual(['a.example', 'b.example']);
    expect(p.warnings).toHaveLength(2);
    expect(p.warnings[0]).toMatch(/"mode" appears more than once; senders use the first value \(enforce\)/);
  });

  it('validates mx patterns', () => {
    expect(isValidMxPattern('*.example.com')).toBe(true);
    expect(isValidMxPattern('mail.example.com.')).toBe(true);
    expect(isValidMxPattern('*example.com')).toBe(false);
    expect(isValidMxPattern('mail.*.example.com')).toBe(false);
    expect(isValidMxPattern('-bad.example.com')).toBe(false);
  });
});

describe('MX matching (RFC 8461 §4.1)', () => {
  it('a wildcard matches exactly one left-most label', () => {
    expect(mxMatches('*.example.com', 'mail.example.com')).toBe(true);
    expect(mxMatches('*.example.com', 'a.b.example.com')).toBe(false);
    expect(mxMatches('*.example.com', 'example.com')).toBe(false);
    expect(mxMatches('*.mail.example', 'a.b.mail.example')).toBe(false);
    expect(mxMatches('*.example.com', 'mail.example.com.evil')).toBe(false);
    expect(mxMatches('*.example.com', 'mailexample.com')).toBe(false);
  });

  it('is anchored, case-insensitive, and ignores trailing dots', () => {
    expect(mxMatches('mail.example.com', 'MAIL.Example.COM.')).toBe(true);
    expect(mxMatches('Mail.Example.com.', 'mail.example.com')).toBe(true);
    expect(mxMatches('mail.example.com', 'xmail.example.com')).toBe(false);
    expect(mxMatches('example.com', 'mail.example.com')).toBe(false);
    expect(coveringPattern(['a.example', '*.example'], 'b.example')).toBe('*.example');
    expect(coveringPattern(['a.example'], 'b.example')).toBeNull();
  });
});

describe('suggested policy', () => {
  it('uses a wildcard only where several hosts share a parent', () => {
    expect(suggestPatterns(['mail.example.com'])).toEqual(['mail.example.com']);
    expect(suggestPatterns(['mx1.example.com', 'mx2.example.com.', 'backup.other.net'])).toEqual(['*.example.com', 'backup.other.net']);
    // an IP-literal MX (mx.target_is_ip) never matches a pattern: it is left out of the suggested policy
    expect(suggestPatterns(['mail.example.com', '192.0.2.99', '[2001:db8::1]'])).toEqual(['mail.example.com']);
    expect(suggestPatterns([
      'aspmx.l.google.com', 'alt1.aspmx.l.google.com', 'alt2.aspmx.l.google.com',
    ])).toEqual(['aspmx.l.google.com', '*.aspmx.l.google.com']);
    // never a wildcard over a public suffix
    expect(suggestPatterns(['example.com', 'other.com'])).toEqual(['example.com', 'other.com']);
    expect(suggestPatterns(['a.co.uk', 'b.co.uk'])).toEqual(['a.co.uk', 'b.co.uk']);
  });

  it('writes the file and the TXT record', () => {
    const now = new Date('2026-03-04T05:06:07Z');
    expect(freshId(now)).toBe('20260304050607');
    const s = suggestPolicy('example.com', ['mx1.example.com', 'mx2.example.com'], now);
    expect(s.policy).toBe('version: STSv1\nmode: testing\nmx: *.example.com\nmax_age: 604800\n');
    expect(s.txtRecord).toBe('_mta-sts.example.com. TXT "v=STSv1; id=20260304050607"');
    const fix = publishFix('example.com', ['mail.example.com'], now);
    expect(fix).toContain('https://mta-sts.example.com/.well-known/mta-sts.txt');
    expect(fix).toContain('mx: mail.example.com');
    expect(fix).toContain('mode: enforce');
    expect(parsePolicy(s.policy).errors).toEqual([]);
  });
});
