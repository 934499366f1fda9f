/**
 * Regression tests for the bugs the hardening work found in src/checker (each failed before its
 * fix). The linear-time ones live beside the fuzz suites (`fuzz-*.test.ts`, "linear time").
 */
import { describe, expect, it } from 'vitest';
import { makeContext } from '../../src/checker/check.ts';
import { checkDane } from '../../src/checker/checks/dane.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';

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
