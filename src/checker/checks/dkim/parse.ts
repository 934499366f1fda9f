/**
 * DKIM key record parser: the `tag=value` list published at `<selector>._domainkey.<domain>`
 * (RFC 6376 §3.6.1, tag-list syntax §3.2), with Ed25519 keys per RFC 8463.
 *
 * The parser reports what it found and every problem that makes the record unusable; it does
 * not decide severities (that is `evaluate.ts`).
 */
import { createPublicKey } from 'node:crypto';

export type KeyFormat = 'spki' | 'rsa-public-key' | 'raw-ed25519';

export interface DkimKeyRecord {
  /** the record text as published (TXT strings joined) */
  raw: string;
  /** tags as written (names are case-sensitive, RFC 6376 §3.2) */
  tags: Record<string, string>;
  /** `v=`, when present */
  version?: string;
  /** `k=` lower-cased; `rsa` when absent (RFC 6376 §3.6.1) */
  keyType: string;
  /** `p=` with whitespace removed; empty means revoked */
  publicKey: string;
  revoked: boolean;
  /** RSA modulus size, or 256 for Ed25519; absent when the key could not be decoded */
  bits?: number;
  /** how `p=` was encoded */
  keyFormat?: KeyFormat;
  /** `h=` hash algorithms, lower case; null means "all" (tag absent) */
  hashAlgorithms: string[] | null;
  /** `s=` service types, lower case; `['*']` when absent */
  serviceTypes: string[];
  /** `t=` flags, lower case */
  flags: string[];
  /** `n=` notes */
  notes?: string;
  /** every reason the record cannot be used; empty when valid */
  problems: string[];
}

/** Known hash algorithms (RFC 6376 §3.3; RFC 8301 §3.1 forbids sha1 for signing). */
export const KNOWN_HASHES = ['sha1', 'sha256'] as const;

const TAG_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const WHITESPACE = /[ \t\r\n]+/g;

export interface TagListParse {
  tags: Record<string, string>;
  /** tag names in the order written */
  order: string[];
  problems: string[];
}

/** RFC 6376 §3.2 tag-list: `tag = value` separated by `;`, optional trailing `;`, FWS around both. */
export function parseTagList(text: string): TagListParse {
  const tags: Record<string, string> = {};
  const order: string[] = [];
  const problems: string[] = [];
  const parts = text.split(';');
  parts.forEach((part, i) => {
    const spec = part.trim();
    if (spec === '') {
      // only a trailing ";" is allowed to leave an empty spec (§3.2 ABNF)
      if (i !== parts.length - 1) problems.push('empty tag between two ";" separators');
      return;
    }
    const eq = spec.indexOf('=');
    if (eq < 0) {
      problems.push(`"${spec}" is not a tag=value pair`);
      return;
    }
    const name = spec.slice(0, eq).trim();
    const value = spec.slice(eq + 1).trim();
    if (!TAG_NAME.test(name)) {
      problems.push(`"${name}" is not a valid tag name`);
      return;
    }
    if (Object.hasOwn(tags, name)) {
      // §3.2: a duplicated tag name makes the entire tag-list invalid
      problems.push(`tag ${name}= appears more than once`);
      return;
    }
    tags[name] = value;
    order.push(name);
  });
  return { tags, order, problems };
}

/** Colon-separated list (h=, s=, t=), lower-cased, whitespace tolerated (§3.6.1). */
function colonList(value: string): string[] {
  return value
    .split(':')
    .map((v) => v.replace(WHITESPACE, '').toLowerCase())
    .filter((v) => v !== '');
}

/**
 * True when a TXT record looks like a DKIM key record at all (so that a wildcard SPF or
 * verification TXT answering every selector is not mistaken for a broken key).
 */
export function looksLikeKeyRecord(text: string): boolean {
  return /^\s*v\s*=\s*DKIM1\b/i.test(text) || /(^|;)\s*[pk]\s*=/.test(text);
}

export function parseKeyRecord(raw: string): DkimKeyRecord {
  const { tags, order, problems } = parseTagList(raw);
  const version = tags['v'];
  // §3.6.1 v=: if present MUST be "DKIM1" and MUST be the first tag
  if (version !== undefined) {
    if (version !== 'DKIM1') problems.push(`v=${version} is not DKIM1`);
    else if (order[0] !== 'v') problems.push('v=DKIM1 is present but is not the first tag');
  }

  const keyType = (tags['k'] ?? 'rsa').toLowerCase();
  const hashAlgorithms = tags['h'] === undefined ? null : colonList(tags['h']);
  const serviceTypes = tags['s'] === undefined ? ['*'] : colonList(tags['s']);
  const flags = tags['t'] === undefined ? [] : colonList(tags['t']);

  const record: DkimKeyRecord = {
    raw,
    tags,
    ...(version !== undefined ? { version } : {}),
    keyType,
    publicKey: '',
    revoked: false,
    hashAlgorithms,
    serviceTypes,
    flags,
    ...(tags['n'] !== undefined ? { notes: tags['n'] } : {}),
    problems,
  };

  // §3.6.1 h=: unrecognised algorithms are ignored; none recognised leaves nothing to verify with
  if (hashAlgorithms && !hashAlgorithms.some((h) => (KNOWN_HASHES as readonly string[]).includes(h))) {
    problems.push(`h=${tags['h']} names no hash algorithm verifiers know (sha256)`);
  }

  const p = tags['p'];
  if (p === undefined) {
    problems.push('the required p= tag (the public key) is missing');
    return record;
  }
  record.publicKey = p.replace(WHITESPACE, '');
  if (record.publicKey === '') {
    // §3.6.1 p=: an empty value means the key has been revoked
    record.revoked = true;
    return record;
  }

  if (keyType !== 'rsa' && keyType !== 'ed25519') {
    problems.push(`k=${tags['k']} is not a key type verifiers know (rsa, ed25519)`);
    return record;
  }
  if (!BASE64.test(record.publicKey) || record.publicKey.length % 4 !== 0) {
    problems.push('p= is not valid base64');
    return record;
  }
  const der = Buffer.from(record.publicKey, 'base64');
  if (keyType === 'rsa') decodeRsa(der, record);
  else decodeEd25519(der, record);
  return record;
}

/** RFC 6376 §3.6.1: RSA p= is a SubjectPublicKeyInfo; some publishers use a bare RSAPublicKey (PKCS#1). */
function decodeRsa(der: Buffer, record: DkimKeyRecord): void {
  for (const [type, format] of [['spki', 'spki'], ['pkcs1', 'rsa-public-key']] as const) {
    let key;
    try {
      key = createPublicKey({ key: der, format: 'der', type });
    } catch {
      continue;
    }
    if (key.asymmetricKeyType !== 'rsa') {
      record.problems.push(`p= holds a ${key.asymmetricKeyType ?? 'non-RSA'} key but k= says rsa`);
      return;
    }
    const bits = key.asymmetricKeyDetails?.modulusLength;
    if (bits !== undefined) record.bits = bits;
    record.keyFormat = format;
    return;
  }
  record.problems.push('p= does not decode to an RSA public key');
}

/** RFC 8463 §4: the Ed25519 p= is the raw 32-byte public key, not wrapped in SubjectPublicKeyInfo. */
function decodeEd25519(der: Buffer, record: DkimKeyRecord): void {
  if (der.length === 32) {
    record.bits = 256;
    record.keyFormat = 'raw-ed25519';
    return;
  }
  let wrapped = false;
  try {
    wrapped = createPublicKey({ key: der, format: 'der', type: 'spki' }).asymmetricKeyType === 'ed25519';
  } catch {
    wrapped = false;
  }
  record.problems.push(
    wrapped
      ? 'p= is an Ed25519 key wrapped in SubjectPublicKeyInfo (44 bytes); RFC 8463 wants only the raw 32-byte key'
      : `p= decodes to ${der.length} bytes; an Ed25519 key is exactly 32 bytes`,
  );
}

/** `h=` allows SHA-1 and nothing stronger (RFC 8301 §3.1). */
export function allowsOnlySha1(record: DkimKeyRecord): boolean {
  return record.hashAlgorithms !== null && record.hashAlgorithms.includes('sha1') && !record.hashAlgorithms.includes('sha256');
}

/** `s=` lists service types but neither `*` nor `email` (RFC 6376 §3.6.1). */
export function excludesEmail(record: DkimKeyRecord): boolean {
  return !record.serviceTypes.includes('*') && !record.serviceTypes.includes('email');
}
