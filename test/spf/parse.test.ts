/** The SPF record parser (RFC 7208 §4.6, §12). */
import { describe, expect, it } from 'vitest';
import { isSpfVersion, parseSpf } from '../../src/checker/checks/spf/parse.ts';

const errorsOf = (text: string) => parseSpf(text).errors.map((e) => ({ kind: e.kind, position: e.position, term: e.term }));

describe('parseSpf', () => {
  it('parses every mechanism with qualifiers, domains and dual cidr lengths', () => {
    const r = parseSpf('v=spf1 +a -mx:mail.example.com/24//64 ~ptr ?ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.example.net exists:%{i}.x.example.com a//48 redirect=_spf.example.com exp=why.%{d} foo.bar=baz');
    expect(r.errors).toEqual([]);
    expect(r.mechanisms.map((m) => `${m.qualifier}${m.kind}`)).toEqual(['+a', '-mx', '~ptr', '?ip4', '+ip6', '+include', '+exists', '+a']);
    expect(r.mechanisms[1]).toMatchObject({ kind: 'mx', domainSpec: { text: 'mail.example.com' }, cidr4: 24, cidr6: 64 });
    expect(r.mechanisms[7]).toMatchObject({ kind: 'a', domainSpec: null, cidr4: 32, cidr6: 48 });
    expect(r.mechanisms[3]).toMatchObject({ kind: 'ip4', network: '192.0.2.0', prefix: 24 });
    expect(r.redirect?.value).toBe('_spf.example.com');
    expect(r.exp?.value).toBe('why.%{d}');
    expect(r.terms.filter((t) => t.type === 'modifier').map((t) => t.text)).toEqual(['redirect=_spf.example.com', 'exp=why.%{d}', 'foo.bar=baz']);
  });

  it('accepts the version in any case followed by a space or the end, and extra spaces', () => {
    expect(isSpfVersion('V=SPF1')).toBe(true);
    expect(isSpfVersion('v=spf1 -all')).toBe(true);
    expect(isSpfVersion('v=spf10')).toBe(false);
    expect(isSpfVersion('v=spf1\t-all')).toBe(false);
    expect(parseSpf('v=spf1  a   -all ').errors).toEqual([]);
    expect(parseSpf('v=spf1').terms).toEqual([]);
  });

  it('tells unknown mechanisms, bad addresses and general syntax apart, with positions', () => {
    expect(errorsOf('v=spf1 ip4:1.2.3.4 -all moo')).toEqual([{ kind: 'unknown_mechanism', position: 24, term: 'moo' }]);
    expect(errorsOf('v=spf1 redirect:example.com')).toMatchObject([{ kind: 'unknown_mechanism' }]);
    expect(errorsOf('v=spf1 ip4:1.2.3')).toMatchObject([{ kind: 'invalid_ip_or_cidr', position: 11 }]);
    expect(errorsOf('v=spf1 ip4:1.2.3.4/032')).toMatchObject([{ kind: 'invalid_ip_or_cidr' }]);
    expect(errorsOf('v=spf1 ip6:::1/129')).toMatchObject([{ kind: 'invalid_ip_or_cidr' }]);
    expect(errorsOf('v=spf1 a/33')).toMatchObject([{ kind: 'invalid_ip_or_cidr' }]);
    expect(errorsOf('v=spf1 -all.')).toMatchObject([{ kind: 'syntax' }]);
    expect(errorsOf('v=spf1 a:ctrl.example.com\rptr')).toMatchObject([{ kind: 'syntax' }]);
    expect(errorsOf('v=spf1 \u0080a:example.net')).toMatchObject([{ kind: 'syntax', position: 7 }]);
  });

  it('validates domain-spec endings (§7.1)', () => {
    for (const bad of ['a:museum', 'a:museum.', 'a:abc.123', 'a:example.-com', 'a:', 'include:', 'exists:mail.example.com/24', 'ptr/0']) {
      expect(parseSpf(`v=spf1 ${bad}`).errors, bad).toHaveLength(1);
    }
    for (const good of ['a:foo:bar/baz.example.com', 'a:foo.example.xn--zckzah', 'a:%{H}', 'include:o.spf.example.com.', 'a:mail.example...com']) {
      expect(parseSpf(`v=spf1 ${good}`).errors, good).toEqual([]);
    }
  });

  it('rejects duplicate redirect/exp (§6) and bad modifiers', () => {
    expect(errorsOf('v=spf1 redirect=a.example.com -all redirect=b.example.com')).toMatchObject([{ kind: 'syntax', term: 'redirect=b.example.com' }]);
    expect(errorsOf('v=spf1 exp=a.example.com exp=b.example.com')).toHaveLength(1);
    expect(errorsOf('v=spf1 exp=')).toHaveLength(1);
    expect(errorsOf('v=spf1 foo=%abc')).toHaveLength(1);
    expect(errorsOf('v=spf1 1up=foo')).toHaveLength(1);
    expect(errorsOf('v=spf1 =all')).toHaveLength(1);
    expect(errorsOf('v=spf1 default=+')).toEqual([]);
  });

  it('allows c, r and t macros only in explanation text, not in exp= itself (§7.1)', () => {
    expect(errorsOf('v=spf1 -all exp=%{r}.example.com')).toHaveLength(1);
    expect(errorsOf('v=spf1 a:%{a}.example.com')).toHaveLength(1);
    expect(errorsOf('v=spf1 a:%{d0}.example.com')).toHaveLength(1);
  });
});
