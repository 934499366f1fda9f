import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { trustAnchors } from '../../src/checker/net/tls-facts.ts';

describe('trustAnchors', () => {
  it('adds extra CAs to the default roots instead of replacing them', () => {
    const anchors = trustAnchors(['-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----\n'])!;
    expect(anchors).toContain(tls.rootCertificates[0]);
    expect(anchors.at(-1)).toMatch(/TEST/);
  });
  it('leaves the defaults alone when there is nothing to add', () => {
    expect(trustAnchors(undefined)).toBeUndefined();
    expect(trustAnchors([])).toBeUndefined();
  });
});

describe('secureContextFor', () => {
  it('builds one context per trust list and settings, and none when there is nothing to add', async () => {
    const { secureContextFor } = await import('../../src/checker/net/tls-facts.ts');
    const { TestCa } = await import('../world/tls/ca.ts');
    await import('reflect-metadata');
    const ca = await TestCa.create();
    const a = secureContextFor([ca.certPem]);
    expect(a).toBeDefined();
    expect(secureContextFor([ca.certPem])).toBe(a);
    expect(secureContextFor([ca.certPem], { minVersion: 'TLSv1' })).not.toBe(a);
    expect(secureContextFor(undefined)).toBeUndefined();
  });
});
