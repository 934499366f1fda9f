/** Real keys for DKIM fixtures, generated once per test file with node:crypto. */
import { generateKeyPairSync } from 'node:crypto';

const cache = new Map<string, string>();

/** base64 SubjectPublicKeyInfo DER of a fresh RSA key of `bits` bits (what p= holds, RFC 6376 §3.6.1). */
export function rsaSpki(bits: number): string {
  const id = `spki-${bits}`;
  let v = cache.get(id);
  if (!v) {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
    v = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    cache.set(id, v);
  }
  return v;
}

/** base64 bare RSAPublicKey (PKCS#1), which some publishers use instead of SPKI. */
export function rsaPkcs1(bits: number): string {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return publicKey.export({ type: 'pkcs1', format: 'der' }).toString('base64');
}

/** Ed25519 keys: the raw 32-byte key (RFC 8463 §4) and, wrongly, the SPKI-wrapped form. */
export function ed25519(): { raw: string; spki: string } {
  const { publicKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return { raw: der.subarray(der.length - 32).toString('base64'), spki: der.toString('base64') };
}

export const dkim = (p: string, extra = ''): string => `v=DKIM1; k=rsa;${extra ? ` ${extra};` : ''} p=${p}`;
