/**
 * TLSA handling (RFC 6698, RFC 7672 §3.1): classification and matching of arbitrary records
 * against arbitrary or real certificate chains never throws, and a record computed from a served
 * certificate matches it.
 */
import { X509Certificate, createHash } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifyTlsa, matchTlsa, tlsaText } from '../../src/checker/checks/dane.ts';
import type { TlsaData } from '../../src/checker/dns/types.ts';
import { summarizeCertificate, type CertSummary } from '../../src/checker/net/tls-facts.ts';
import { TestCa } from '../world/tls/ca.ts';
import { params } from './fuzz.ts';

const hex = fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString('hex'));
const tlsa: fc.Arbitrary<TlsaData> = fc.record({
  usage: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 })),
  selector: fc.oneof(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 255 })),
  matchingType: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 255 })),
  data: fc.oneof(hex, fc.string({ maxLength: 70 }), fc.constant('')),
});

let real: CertSummary[] = [];
let leafDer: Buffer;

beforeAll(async () => {
  const ca = await TestCa.create();
  const leaf = await ca.issue(['mx.example.test']);
  leafDer = leaf.certDer;
  real = [summarizeCertificate(leaf.certDer), summarizeCertificate(new X509Certificate(ca.certPem))];
});

const garbageChain: fc.Arbitrary<CertSummary[]> = fc.array(
  fc.uint8Array({ maxLength: 200 }).map((b) => ({ derBase64: Buffer.from(b).toString('base64') }) as unknown as CertSummary),
  { maxLength: 3 },
);

describe('TLSA fuzz', () => {
  it('classifyTlsa: usable only for DANE-TA/EE, known selector and matching type, right digest length', () => {
    fc.assert(fc.property(tlsa, (r) => {
      const c = classifyTlsa(r);
      expect(['usable', 'pkix', 'unusable']).toContain(c.kind);
      if (c.kind === 'usable') {
        expect([2, 3]).toContain(r.usage);
        expect([0, 1]).toContain(r.selector);
        expect(r.data).toMatch(/^([0-9a-f]{2})+$/i);
        if (r.matchingType === 1) expect(r.data.length).toBe(64);
        if (r.matchingType === 2) expect(r.data.length).toBe(128);
      } else {
        expect(c.reason).toBeTruthy();
      }
      expect(tlsaText(r).startsWith(`${r.usage} ${r.selector} ${r.matchingType}`)).toBe(true);
    }), params());
  });

  it('matchTlsa never throws on arbitrary records against garbage and real chains', () => {
    fc.assert(fc.property(tlsa, fc.oneof(garbageChain, fc.constant(null)), fc.boolean(), (r, chain, nameOk) => {
      const m = matchTlsa(r, chain ?? real, { host: 'mx.example.test', hostnameMatches: nameOk, now: new Date() });
      expect(m.record).toBe(tlsaText(r));
      if (chain !== null && m.matched) throw new Error('matched a garbage chain');
    }), params());
  });

  it('a 3 1 1 record computed from the leaf matches; any other digest does not', () => {
    const spki = new X509Certificate(leafDer).publicKey.export({ type: 'spki', format: 'der' });
    const good = createHash('sha256').update(spki).digest('hex');
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (other) => {
      const ctx = { host: 'mx.example.test', hostnameMatches: true, now: new Date() };
      expect(matchTlsa({ usage: 3, selector: 1, matchingType: 1, data: good }, real, ctx).matched).toBe(true);
      const data = Buffer.from(other).toString('hex');
      if (data !== good) expect(matchTlsa({ usage: 3, selector: 1, matchingType: 1, data }, real, ctx).matched).toBe(false);
    }), params(0.3));
  });
});
