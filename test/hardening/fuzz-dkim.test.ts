/**
 * DKIM key record parser (RFC 6376 §3.6.1, RFC 8463) under generated, mutated and garbage input,
 * including random bytes as the key: never throws, a record is either usable (no problems) or says
 * why not, and adversarial records parse in linear time.
 */
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseKeyRecord, parseTagList, type DkimKeyRecord } from '../../src/checker/checks/dkim/parse.ts';
import { hostileInput, params, timed, wsp } from './fuzz.ts';

// a few real keys, made once (key generation is too slow to do per case)
const RSA_1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const RSA_PKCS1 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'pkcs1', format: 'der' }).toString('base64');
const ED = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).subarray(12).toString('base64');

const key = fc.oneof(
  fc.constantFrom(`k=rsa; p=${RSA_1024}`, `p=${RSA_PKCS1}`, `k=ed25519; p=${ED}`, 'p='),
  // random bytes as a key: must be judged, not crash the decoder
  fc.uint8Array({ maxLength: 300 }).map((b) => `p=${Buffer.from(b).toString('base64')}`),
  fc.uint8Array({ maxLength: 64 }).map((b) => `k=ed25519; p=${Buffer.from(b).toString('base64')}`),
);
const extra = fc.constantFrom('h=sha256', 'h=sha1', 'h=sha1:sha256', 's=email', 's=*', 's=other', 't=y', 't=s', 't=y:s', 'n=note');
const validDkim: fc.Arbitrary<string> = fc
  .tuple(fc.boolean(), key, fc.uniqueArray(extra, { maxLength: 3, selector: (e) => e.split('=')[0] }), wsp)
  .map(([v, k, extras, space]) => [...(v ? ['v=DKIM1'] : []), ...extras, k].join(`;${space}`));

function checkShape(input: string, r: DkimKeyRecord): void {
  expect(r.raw).toBe(input);
  expect(r.keyType).toBe(r.keyType.toLowerCase());
  if (r.revoked) expect(r.publicKey).toBe('');
  if (r.bits !== undefined) expect(r.bits).toBeGreaterThan(0);
  for (const p of r.problems) expect(typeof p).toBe('string');
  // usable, or a reason why not: a record without p= always has a problem
  if (!('p' in r.tags)) expect(r.problems.length).toBeGreaterThan(0);
}

describe('DKIM key record fuzz', () => {
  it('never throws and returns a well-formed result (valid, mutated, garbage)', () => {
    fc.assert(fc.property(hostileInput(validDkim, 500), (input) => checkShape(input, parseKeyRecord(input))), params());
  });

  it('generated records with real keys are usable and sized', () => {
    fc.assert(fc.property(fc.constantFrom(`v=DKIM1; k=rsa; p=${RSA_1024}`, `v=DKIM1; p=${RSA_PKCS1}`, `v=DKIM1; k=ed25519; p=${ED}`), wsp, (record, space) => {
      const r = parseKeyRecord(record.replaceAll('; ', `;${space}`));
      expect(r.problems).toEqual([]);
      expect(r.bits).toBe(record.includes('ed25519') ? 256 : 1024);
    }), params(0.2));
  });

  it('tag lists: duplicate names are always reported', () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/), fc.string({ maxLength: 10 }), (name, value) => {
      const clean = value.replace(/[;=]/g, '');
      const r = parseTagList(`${name}=${clean}; ${name}=${clean}`);
      expect(r.problems.some((p) => p.includes('more than once'))).toBe(true);
    }), params());
  });
});

describe('DKIM parser: linear time on adversarial records', () => {
  const shapes: Array<[string, (n: number) => string]> = [
    ['white space in the key', (n) => `v=DKIM1; p=${' A'.repeat(n / 2)}`],
    ['long base64 key', (n) => `v=DKIM1; p=${'A'.repeat(n)}`],
    ['many tags', (n) => `v=DKIM1${'; a=b'.repeat(n / 5)}`],
    ['long colon list', (n) => `v=DKIM1; h=${'sha1:'.repeat(n / 5)}; p=`],
  ];
  for (const size of [4096, 65_536, 262_144]) {
    it(`parses ${size}-byte adversarial records`, () => {
      for (const [name, make] of shapes) {
        const record = make(size);
        expect(timed(`dkim ${name} (${record.length} B)`, () => parseKeyRecord(record)).raw).toBe(record);
      }
    });
  }
});
