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
