/**
 * Regression tests for the bugs the hardening work found in src/checker (each failed before its
 * fix). The linear-time ones live beside the fuzz suites (`fuzz-*.test.ts`, "linear time").
 */
import { describe, expect, it } from 'vitest';
import { makeContext } from '../../src/checker/check.ts';
import { checkDane } from '../../src/checker/checks/dane.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';
import { parseDmarc } from '../../src/checker/checks/dmarc/parse.ts';
import { canonicalName } from '../../src/checker/dns/types.ts';
import { ConnectToSyntaxError, parseConnectTo } from '../../src/checker/net/connect-to.ts';

// found by `npm run fuzz` (5,000 cases a property)
describe('found by the long fuzz run', () => {
  it('a DMARC record that starts with ";" is a syntax problem, not a silent non-record', () => {
    const r = parseDmarc(';p=none');
    expect(r.versionOk).toBe(false);
    expect(JSON.stringify(r.problems)).toMatch(/must start with \\"v=DMARC1/);
  });

  it('canonicalName is idempotent (every trailing dot goes; the root stays ".")', () => {
    expect(canonicalName(';..')).toBe(';');
    expect(canonicalName(canonicalName('Example.COM..'))).toBe('example.com');
    expect(canonicalName('.')).toBe('.');
    expect(canonicalName('..')).toBe('.');
  });

  it('an IPv6 literal with a zone id in --connect-to is a syntax error, not a crash', () => {
    expect(() => parseConnectTo('[::%000:0:0:0]:0:[::000:0:0:0]:0')).toThrow(ConnectToSyntaxError);
  });
});

describe('DANE: an MX host whose address lookups fail', () => {
  it('is untested with dns.lookup_failed, not "no MX host with an address"', async () => {
    const resolver = new MemoryResolver({
      names: {
        'dane.test': { MX: [[10, 'mx.dane.test']] },
        'mx.dane.test': { fault: 'servfail', faultTypes: ['A', 'AAAA'] },
      },
    });
    const result = await checkDane(makeContext({ domain: 'dane.test', resolver, options: { smtp: false } }));
    expect(result.status).toBe('untested');
    expect(result.findings.map((f) => f.code)).toContain('dns.lookup_failed');
    expect(result.summary).not.toMatch(/No MX host with an address/);
  });
});
