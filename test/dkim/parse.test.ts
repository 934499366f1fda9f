import { describe, expect, it } from 'vitest';
import {
  allowsOnlySha1, excludesEmail, looksLikeKeyRecord, parseKeyRecord, parseTagList,
} from '../../src/checker/checks/dkim/parse.ts';
import { ed25519, rsaPkcs1, rsaSpki } from './keys.ts';

describe('parseTagList (RFC 6376 §3.2)', () => {
  it('accepts whitespace around tags and values and a trailing semicolon', () => {
    const t = parseTagList(' v = DKIM1 ;\tk=rsa ; p=abc ;');
    expect(t.problems).toEqual([]);
    expect(t.tags).toEqual({ v: 'DKIM1', k: 'rsa', p: 'abc' });
    expect(t.order).toEqual(['v', 'k', 'p']);
  });
  it('rejects a duplicated tag', () => {
    expect(parseTagList('p=a; p=b').problems.join()).toMatch(/more than once/);
  });
  it('rejects a spec without "="', () => {
    expect(parseTagList('v=DKIM1; garbage; p=a').problems.join()).toMatch(/not a tag=value/);
  });
});

describe('parseKeyRecord', () => {
  it('measures an RSA SubjectPublicKeyInfo key', () => {
    const r = parseKeyRecord(`v=DKIM1; k=rsa; p=${rsaSpki(2048)}`);
    expect(r.problems).toEqual([]);
    expect(r.bits).toBe(2048);
    expect(r.keyFormat).toBe('spki');
    expect(r.keyType).toBe('rsa');
  });
  it('defaults k to rsa and accepts a bare RSAPublicKey', () => {
    const r = parseKeyRecord(`p=${rsaPkcs1(1024)}`);
    expect(r.problems).toEqual([]);
    expect(r.bits).toBe(1024);
    expect(r.keyFormat).toBe('rsa-public-key');
  });
  it('tolerates whitespace inside p= (folded key)', () => {
    const p = rsaSpki(2048);
    const folded = `${p.slice(0, 100)} ${p.slice(100, 200)}\t${p.slice(200)}`;
    const r = parseKeyRecord(`v=DKIM1; p=${folded}`);
    expect(r.problems).toEqual([]);
    expect(r.bits).toBe(2048);
  });
  it('treats an empty p= as revoked, not invalid', () => {
    const r = parseKeyRecord('v=DKIM1; k=rsa; p=');
    expect(r.revoked).toBe(true);
    expect(r.problems).toEqual([]);
  });
  it('requires p=', () => {
    expect(parseKeyRecord('v=DKIM1; k=rsa').problems.join()).toMatch(/p= tag .* missing/);
  });
  it('requires v=DKIM1 and first', () => {
    expect(parseKeyRecord(`v=DKIM2; p=${rsaSpki(2048)}`).problems.join()).toMatch(/v=DKIM2 is not DKIM1/);
    expect(parseKeyRecord(`k=rsa; v=DKIM1; p=${rsaSpki(2048)}`).problems.join()).toMatch(/not the first tag/);
  });
  it('rejects an unknown key type', () => {
    expect(parseKeyRecord(`v=DKIM1; k=dsa; p=${rsaSpki(2048)}`).problems.join()).toMatch(/k=dsa/);
  });
  it('rejects p= that is not base64 or not a key', () => {
    expect(parseKeyRecord('v=DKIM1; p=not*base64!').problems.join()).toMatch(/base64/);
    expect(parseKeyRecord('v=DKIM1; p=AAAA').problems.join()).toMatch(/does not decode to an RSA/);
  });
  it('rejects an Ed25519 key under k=rsa', () => {
    expect(parseKeyRecord(`v=DKIM1; k=rsa; p=${ed25519().spki}`).problems.join()).toMatch(/ed25519 key but k= says rsa/);
  });
  it('accepts a raw 32-byte Ed25519 key (RFC 8463)', () => {
    const r = parseKeyRecord(`v=DKIM1; k=ed25519; p=${ed25519().raw}`);
    expect(r.problems).toEqual([]);
    expect(r.bits).toBe(256);
  });
  it('rejects an SPKI-wrapped or mis-sized Ed25519 key', () => {
    expect(parseKeyRecord(`v=DKIM1; k=ed25519; p=${ed25519().spki}`).problems.join()).toMatch(/wrapped in SubjectPublicKeyInfo/);
    expect(parseKeyRecord(`v=DKIM1; k=ed25519; p=${Buffer.alloc(31).toString('base64')}`).problems.join()).toMatch(/31 bytes/);
  });
  it('reads h=, s=, t= as colon lists', () => {
    const r = parseKeyRecord(`v=DKIM1; h=sha1 : sha256; s=email:*; t=y:s; n=hello; p=${rsaSpki(2048)}`);
    expect(r.hashAlgorithms).toEqual(['sha1', 'sha256']);
    expect(r.serviceTypes).toEqual(['email', '*']);
    expect(r.flags).toEqual(['y', 's']);
    expect(r.notes).toBe('hello');
    expect(allowsOnlySha1(r)).toBe(false);
    expect(excludesEmail(r)).toBe(false);
  });
  it('detects sha1-only, no known hash, and service types without email', () => {
    expect(allowsOnlySha1(parseKeyRecord(`h=sha1; p=${rsaSpki(2048)}`))).toBe(true);
    expect(parseKeyRecord(`h=md5; p=${rsaSpki(2048)}`).problems.join()).toMatch(/h=md5/);
    expect(excludesEmail(parseKeyRecord(`s=tlsrpt; p=${rsaSpki(2048)}`))).toBe(true);
    expect(excludesEmail(parseKeyRecord(`p=${rsaSpki(2048)}`))).toBe(false);
  });
});

describe('looksLikeKeyRecord', () => {
  it('tells DKIM keys from other TXT records', () => {
    expect(looksLikeKeyRecord('v=DKIM1; p=')).toBe(true);
    expect(looksLikeKeyRecord('k=rsa; p=abc')).toBe(true);
    expect(looksLikeKeyRecord('p=abc')).toBe(true);
    expect(looksLikeKeyRecord('v=spf1 -all')).toBe(false);
    expect(looksLikeKeyRecord('google-site-verification=abc')).toBe(false);
  });
});
