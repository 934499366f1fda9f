import { describe, expect, it } from 'vitest';
import { checkTlsRpt } from '../../src/checker/checks/tls-rpt.ts';
import { codes, contextFor } from './helpers.ts';

const D = 'example.com';
const N = `_smtp._tls.${D}`;

async function run(names: Parameters<typeof contextFor>[1]) {
  const { ctx, resolver } = contextFor(D, { [D]: { A: ['192.0.2.1'] }, ...names });
  return { r: await checkTlsRpt(ctx), resolver };
}

describe('checkTlsRpt', () => {
  it('passes a valid record and reports its rua list as evidence', async () => {
    const { r, resolver } = await run({ [N]: { TXT: ['v=TLSRPTv1; rua=mailto:tls@example.com,https://reports.example.net/tlsrpt'] } });
    expect(r.id).toBe('tls_rpt');
    expect(r.status).toBe('pass');
    expect(r.findings).toEqual([]);
    expect(r.evidence.record).toBe('v=TLSRPTv1; rua=mailto:tls@example.com,https://reports.example.net/tlsrpt');
    expect(r.evidence.rua).toEqual(['mailto:tls@example.com', 'https://reports.example.net/tlsrpt']);
    expect(r.summary).toContain('mailto:tls@example.com');
    expect(resolver.log).toEqual([`${N} TXT`]);
  });

  it('reports tls_rpt.missing (warn) when _smtp._tls does not exist, with a pasteable record', async () => {
    const { r } = await run({});
    expect(codes(r)).toEqual(['tls_rpt.missing']);
    expect(r.status).toBe('warn');
    const f = r.findings[0]!;
    expect(f.fix).toContain('_smtp._tls.example.com. IN TXT "v=TLSRPTv1; rua=mailto:tls-reports@example.com"');
    expect(f.ref).toBe('RFC 8460 §3');
    expect(f.message).toContain('example.com');
  });

  it('says a null-MX domain needs no TLS-RPT (info, not warn)', async () => {
    const { ctx } = contextFor(D, { [D]: { MX: [[0, '.']], TXT: ['v=spf1 -all'] } });
    const r = await checkTlsRpt(ctx);
    expect(codes(r)).toEqual(['tls_rpt.missing']);
    expect(r.status).toBe('info');
    expect(r.summary).toMatch(/null MX/);
  });

  it('reports tls_rpt.missing when the only TXT records there are not TLS-RPT', async () => {
    const { r } = await run({ [N]: { TXT: ['some-verification=abc123'] } });
    expect(codes(r)).toEqual(['tls_rpt.missing']);
    expect(r.findings[0]!.message).toContain('none starts with "v=TLSRPTv1"');
    expect(r.evidence.txt).toEqual(['some-verification=abc123']);
  });

  it('is untested (not missing) when the lookup times out', async () => {
    const { r } = await run({ [N]: { fault: 'timeout' } });
    expect(r.status).toBe('untested');
    expect(codes(r)).toEqual(['dns.lookup_failed']);
    expect(codes(r)).not.toContain('tls_rpt.missing');
    expect(r.findings[0]!.message).toContain(N);
  });

  it('is untested on SERVFAIL', async () => {
    const { r } = await run({ [N]: { fault: 'servfail' } });
    expect(r.status).toBe('untested');
    expect(codes(r)).toEqual(['dns.lookup_failed']);
  });

  it('reports tls_rpt.multiple_records for two TLSRPTv1 records and suggests one merged record', async () => {
    const { r } = await run({
      [N]: { TXT: ['v=TLSRPTv1; rua=mailto:a@example.com', 'v=TLSRPTv1; rua=https://tlsrpt.example.net/r'] },
    });
    expect(codes(r)).toEqual(['tls_rpt.multiple_records']);
    expect(r.status).toBe('fail');
    expect(r.findings[0]!.message).toContain('2 TXT records');
    expect(r.findings[0]!.fix).toContain('"v=TLSRPTv1; rua=mailto:a@example.com,https://tlsrpt.example.net/r"');
  });

  it('ignores other TXT records next to a valid one (no multiple_records)', async () => {
    const { r } = await run({ [N]: { TXT: ['v=spf1 -all', 'v=TLSRPTv1; rua=mailto:tls@example.com', 'hello'] } });
    expect(codes(r)).toEqual([]);
    expect(r.status).toBe('pass');
  });

  it('joins a record split into several character-strings without a separator', async () => {
    const { r } = await run({ [N]: { TXT: [['v=TLSRPTv1; rua=mailto:tls@exa', 'mple.com']] } });
    expect(r.status).toBe('pass');
    expect(r.evidence.rua).toEqual(['mailto:tls@example.com']);
  });

  it('follows a CNAME to a provider record', async () => {
    const { r } = await run({
      [N]: { CNAME: 'example-com.tlsrpt.provider.test' },
      'example-com.tlsrpt.provider.test': { TXT: ['v=TLSRPTv1;rua=https://ingest.provider.test/tlsrpt'] },
    });
    expect(r.status).toBe('pass');
    expect(r.evidence.cnames).toEqual([N]);
  });

  it('reports tls_rpt.record_invalid when rua is missing', async () => {
    const { r } = await run({ [N]: { TXT: ['v=TLSRPTv1;'] } });
    expect(codes(r)).toEqual(['tls_rpt.record_invalid']);
    expect(r.findings[0]!.message).toContain('rua');
    expect(r.findings[0]!.fix).toContain('v=TLSRPTv1; rua=mailto:tls-reports@example.com');
  });

  it('reports tls_rpt.record_invalid for a wrong-case version senders would discard', async () => {
    const { r } = await run({ [N]: { TXT: ['V=tlsrptv1; rua=mailto:tls@example.com'] } });
    expect(codes(r)).toEqual(['tls_rpt.record_invalid']);
    expect(r.findings[0]!.message).toContain('case-sensitive');
    expect(r.findings[0]!.fix).toContain('rua=mailto:tls@example.com');
  });

  it('reports tls_rpt.record_invalid when v= is not first', async () => {
    const { r } = await run({ [N]: { TXT: ['rua=mailto:tls@example.com; v=TLSRPTv1'] } });
    expect(codes(r)).toEqual(['tls_rpt.record_invalid']);
    expect(r.findings[0]!.message).toContain('must come first');
  });

  it('prefers the real record over a near miss beside it', async () => {
    const { r } = await run({ [N]: { TXT: ['v=tlsrptv1; rua=mailto:x@example.com', 'v=TLSRPTv1; rua=mailto:tls@example.com'] } });
    expect(codes(r)).toEqual([]);
  });

  it('reports tls_rpt.invalid_rua for http: and suggests https:', async () => {
    const { r } = await run({ [N]: { TXT: ['v=TLSRPTv1; rua=http://reports.example.com/tls'] } });
    expect(codes(r)).toEqual(['tls_rpt.invalid_rua']);
    expect(r.status).toBe('fail');
    expect(r.findings[0]!.message).toContain('http://reports.example.com/tls');
    expect(r.findings[0]!.fix).toContain('rua=https://reports.example.com/tls');
  });

  it('reports tls_rpt.invalid_rua for a bare address and suggests mailto:', async () => {
    const { r } = await run({ [N]: { TXT: ['v=TLSRPTv1; rua=tls@example.com'] } });
    expect(codes(r)).toEqual(['tls_rpt.invalid_rua']);
    expect(r.findings[0]!.fix).toContain('rua=mailto:tls@example.com');
    expect(r.findings[0]!.message).toContain('No valid report address remains');
  });

  it('names the valid addresses that still receive reports when only one URI is bad', async () => {
    const { r } = await run({ [N]: { TXT: ['v=TLSRPTv1; rua=mailto:tls@example.com, ftp://x.example.com/r'] } });
    expect(codes(r)).toEqual(['tls_rpt.invalid_rua']);
    expect(r.findings[0]!.message).toContain('ftp:');
    expect(r.findings[0]!.message).toContain('Reports still go to mailto:tls@example.com');
    expect(r.evidence.validRua).toEqual(['mailto:tls@example.com']);
  });

  it('allows unknown extension tags', async () => {
    const { r } = await run({ [N]: { TXT: ['v=TLSRPTv1; rua=mailto:tls@example.com; ext_1=value'] } });
    expect(r.status).toBe('pass');
    expect(r.evidence.tags).toEqual({ v: 'TLSRPTv1', rua: 'mailto:tls@example.com', ext_1: 'value' });
  });

  it('reports both codes when the record has syntax errors and a bad URI', async () => {
    const { r } = await run({ [N]: { TXT: ['v=TLSRPTv1; rua=mailto:tls@example.com;; rua=gopher://x'] } });
    expect(codes(r).sort()).toEqual(['tls_rpt.record_invalid']);
    const { r: r2 } = await run({ [N]: { TXT: ['v=TLSRPTv1; rua=bogus; junk'] } });
    expect(codes(r2).sort()).toEqual(['tls_rpt.invalid_rua', 'tls_rpt.record_invalid']);
  });
});
