import { describe, expect, it } from 'vitest';
import { ipLiteralOf, normaliseAddress, reverseName } from '../../src/checker/checks/mx/addresses.ts';
import { spfRecordsIn } from '../../src/checker/checks/mx/spf-senders.ts';
import { spfAuthorisesSenders as authorisesSenders } from '../../src/checker/checks/spf/index.ts';
import { ip6Arpa } from './helpers.ts';

describe('reverse names', () => {
  it('builds in-addr.arpa names (RFC 1035 §3.5)', () => {
    expect(reverseName('192.0.2.10')).toBe('10.2.0.192.in-addr.arpa');
  });

  it('builds ip6.arpa names from compressed IPv6 (RFC 3596 §2.5)', () => {
    expect(reverseName('2001:db8::10')).toBe(ip6Arpa('2001:db8::10'));
    expect(reverseName('2001:db8::10')).toBe('0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
    expect(reverseName('::1').startsWith('1.0.0.0.')).toBe(true);
  });

  it('compares IPv6 addresses whatever their spelling', () => {
    expect(normaliseAddress('2001:DB8:0:0::10')).toBe(normaliseAddress('2001:db8::10'));
  });
});

describe('IP-literal exchanges', () => {
  it('recognises IPv4, IPv6 and bracketed literals, not host names', () => {
    expect(ipLiteralOf('192.0.2.1')).toBe('192.0.2.1');
    expect(ipLiteralOf('[192.0.2.1]')).toBe('192.0.2.1');
    expect(ipLiteralOf('2001:db8::1')).toBe('2001:db8::1');
    expect(ipLiteralOf('[IPv6:2001:db8::1]')).toBe('2001:db8::1');
    expect(ipLiteralOf('mx1.example.net')).toBeNull();
    expect(ipLiteralOf('192.0.2.mail.example')).toBeNull();
  });
});

describe('authorisesSenders (RFC 7505 §4.2)', () => {
  it('is false for records that pass nobody', () => {
    expect(authorisesSenders('v=spf1 -all')).toBe(false);
    expect(authorisesSenders('v=spf1  -all ')).toBe(false);
    expect(authorisesSenders('v=spf1 ~all')).toBe(false);
    expect(authorisesSenders('v=spf1 -include:x.example -all')).toBe(false);
    expect(authorisesSenders('v=spf1 -all redirect=_spf.example')).toBe(false);
    expect(authorisesSenders('v=spf1 -all ip4:192.0.2.1')).toBe(false);
  });

  it('is true when some mechanism can pass', () => {
    expect(authorisesSenders('v=spf1 include:_spf.google.com ~all')).toBe(true);
    expect(authorisesSenders('v=spf1 +ip4:192.0.2.0/24 -all')).toBe(true);
    expect(authorisesSenders('v=spf1 mx -all')).toBe(true);
    expect(authorisesSenders('v=spf1 +all')).toBe(true);
    expect(authorisesSenders('v=spf1 redirect=_spf.example')).toBe(true);
  });

  it('finds SPF records among TXT records, joining character-strings', () => {
    expect(spfRecordsIn([['v=spf1 ', 'mx -all'], ['hello'], ['v=spf10 x']])).toEqual(['v=spf1 mx -all']);
  });
});
