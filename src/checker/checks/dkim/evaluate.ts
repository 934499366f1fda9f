/**
 * What one selector's TXT answer says: the key records published there and the findings they
 * raise (RFC 6376 §3.6.1, §3.6.2.2; RFC 8301 §3.1–3.2; RFC 8463 §4).
 */
import { finding } from '../../findings.ts';
import type { Finding } from '../../types.ts';
import {
  allowsOnlySha1, excludesEmail, looksLikeKeyRecord, parseKeyRecord, type DkimKeyRecord,
} from './parse.ts';
import type { ProviderMatch } from './providers.ts';
import type { SelectorLookup } from './selectors.ts';

/** Evidence for one key record found. */
export interface KeyEvidence {
  selector: string;
  name: string;
  keyType: string;
  bits?: number;
  keyFormat?: string;
  hashAlgorithms: string[] | null;
  serviceTypes: string[];
  flags: string[];
  revoked: boolean;
  /** parsed without problems */
  valid: boolean;
  /** a verifier would use it to verify email signatures */
  usable: boolean;
  problems: string[];
  /** owner names followed, ending at the name that holds the key (empty: published directly) */
  cnameChain: string[];
  record: string;
}

export interface SelectorAnalysis {
  lookup: SelectorLookup;
  /** TXT records at the name, strings joined (RFC 6376 §3.6.2.2) */
  txt: string[];
  keys: KeyEvidence[];
  /** TXT records there that are not DKIM keys (e.g. a wildcard SPF record), ignored */
  ignored: string[];
  findings: Finding[];
  /** CNAME chain, ending at the target when the answer tells it */
  cnameChain: string[];
}

/** RFC 8301 §3.2: verifiers MUST NOT accept RSA keys under 1024 bits; signers SHOULD use ≥ 2048. */
export const RSA_MIN_BITS = 1024;
export const RSA_RECOMMENDED_BITS = 2048;

export interface EvaluateContext {
  domain: string;
  providers: readonly ProviderMatch[];
  /** clock for the replacement selector name (s<year>); defaults to now */
  now?: Date;
}

export function cnameChainOf(lookup: SelectorLookup): string[] {
  const { response } = lookup;
  if (response.cnames.length === 0) return [];
  const target = response.answers[0]?.name;
  return target && target !== response.cnames.at(-1) ? [...response.cnames, target] : [...response.cnames];
}

export function analyseSelector(lookup: SelectorLookup, ctx: EvaluateContext): SelectorAnalysis {
  const cnameChain = cnameChainOf(lookup);
  const txt = lookup.response.outcome === 'answer' ? lookup.response.answers.map((a) => a.data.join('')) : [];
  // a selector the user named is expected to hold a key: whatever is there is judged as one
  const keyTexts = lookup.source === 'user' ? txt : txt.filter(looksLikeKeyRecord);
  const ignored = txt.filter((t) => !keyTexts.includes(t));
  const analysis: SelectorAnalysis = { lookup, txt, keys: [], ignored, findings: [], cnameChain };
  if (keyTexts.length === 0) return analysis;

  const where = describeWhere(lookup, cnameChain);
  if (txt.length > 1) {
    // RFC 6376 §3.6.2.2: several TXT records at one selector give undefined results
    analysis.findings.push(finding(
      'dkim.invalid_record',
      `${where} has ${txt.length} TXT records (${txt.map((t) => `"${clip(t)}"`).join(', ')}); a verifier may pick any one of them, so DKIM results are unpredictable.`,
      `Keep exactly one TXT record at ${lookup.name}: the "v=DKIM1; k=…; p=…" key your signer uses. Delete the others.`,
      { ref: 'RFC 6376 §3.6.2.2' },
    ));
  }
  for (const text of keyTexts) {
    const record = parseKeyRecord(text);
    const key = keyEvidence(lookup, record, cnameChain);
    analysis.keys.push(key);
    analysis.findings.push(...keyFindings(lookup, record, where, cnameChain, ctx));
  }
  return analysis;
}

function keyEvidence(lookup: SelectorLookup, r: DkimKeyRecord, cnameChain: string[]): KeyEvidence {
  const valid = r.problems.length === 0;
  const weak = r.keyType === 'rsa' && r.bits !== undefined && r.bits < RSA_MIN_BITS;
  return {
    selector: lookup.selector,
    name: lookup.name,
    keyType: r.keyType,
    ...(r.bits !== undefined ? { bits: r.bits } : {}),
    ...(r.keyFormat ? { keyFormat: r.keyFormat } : {}),
    hashAlgorithms: r.hashAlgorithms,
    serviceTypes: r.serviceTypes,
    flags: r.flags,
    revoked: r.revoked,
    valid,
    usable: valid && !r.revoked && !weak && !allowsOnlySha1(r) && !excludesEmail(r),
    problems: r.problems,
    cnameChain,
    record: r.raw,
  };
}

function keyFindings(
  lookup: SelectorLookup,
  r: DkimKeyRecord,
  where: string,
  cnameChain: string[],
  ctx: EvaluateContext,
): Finding[] {
  const out: Finding[] = [];
  const { domain } = ctx;
  const fresh = replacementSelector(lookup.selector, ctx.now ?? new Date());
  const hosted = hostedAdvice(lookup, cnameChain, ctx.providers);

  if (r.problems.length > 0) {
    out.push(finding(
      'dkim.invalid_record',
      `The DKIM key record at ${where} is invalid: ${r.problems.join('; ')}. Verifiers cannot use it, so mail signed with selector ${lookup.selector} fails DKIM. Record: "${clip(r.raw)}".`,
      hosted ?? `Republish ${lookup.name} as one TXT record of the form "v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>" (for Ed25519: "v=DKIM1; k=ed25519; p=<base64 of the raw 32-byte key>"), using the public half of the key your signer uses.`,
    ));
    return out;
  }
  if (r.revoked) {
    // RFC 6376 §3.6.1: an empty p= means the key has been revoked
    out.push(finding(
      'dkim.key_revoked',
      `The DKIM key at ${where} is revoked (empty p=): mail signed with selector ${lookup.selector} fails DKIM. That is right for a retired selector, wrong if anything still signs with it.`,
      `If a system still signs with selector ${lookup.selector}, switch it to a current selector; otherwise nothing to do. To sign again, publish a new 2048-bit key at ${fresh}._domainkey.${domain} rather than reusing this selector.`,
    ));
    return out;
  }
  const rotate = hosted ?? rotationAdvice(lookup.selector, fresh, domain);
  if (r.keyType === 'rsa' && r.bits !== undefined && r.bits < RSA_MIN_BITS) {
    out.push(finding(
      'dkim.key_too_short',
      `The DKIM key at ${where} is a ${r.bits}-bit RSA key. Verifiers must reject signatures made with RSA keys under ${RSA_MIN_BITS} bits, so mail signed with it fails DKIM, and such keys can be factored.`,
      rotate,
    ));
  } else if (r.keyType === 'rsa' && r.bits !== undefined && r.bits < RSA_RECOMMENDED_BITS) {
    out.push(finding(
      'dkim.key_1024',
      `The DKIM key at ${where} is a ${r.bits}-bit RSA key; ${RSA_RECOMMENDED_BITS} bits is the recommended minimum, and 1024-bit keys are within reach of well-funded attackers.`,
      rotate,
    ));
  }
  if (allowsOnlySha1(r)) {
    // RFC 8301 §3.1: rsa-sha1 MUST NOT be used for signing or verifying
    out.push(finding(
      'dkim.sha1_only',
      `The DKIM key at ${where} allows only SHA-1 (h=${r.tags['h']}). Verifiers no longer accept rsa-sha1 signatures, so mail signed with it fails DKIM.`,
      hosted ?? `Remove the h= tag from ${lookup.name} (or set h=sha256) and make sure your signer uses rsa-sha256: "${withoutTag(r, 'h')}".`,
    ));
  }
  if (r.flags.includes('y')) {
    // RFC 6376 §3.6.1 t=y: verifiers MUST NOT treat signed mail differently from unsigned
    out.push(finding(
      'dkim.testing_mode',
      `The DKIM key at ${where} is in testing mode (t=${r.tags['t']}): receivers are told to treat mail signed with it like unsigned mail, so it earns no DKIM protection.`,
      hosted ?? `Once signing works, remove "y" from the t= tag of ${lookup.name}: "${withoutTag(r, 't', r.flags.filter((f) => f !== 'y').join(':'))}".`,
    ));
  }
  if (excludesEmail(r)) {
    out.push(finding(
      'dkim.service_type_excludes_email',
      `The DKIM key at ${where} is limited to service type(s) s=${r.tags['s']}, which does not include email, so verifiers will not use it for mail.`,
      hosted ?? `Remove the s= tag from ${lookup.name} (or set s=email): "${withoutTag(r, 's')}".`,
    ));
  }
  return out;
}

/** "selector s1 (s1._domainkey.example.com, an alias of …)" */
export function describeWhere(lookup: SelectorLookup, cnameChain: readonly string[]): string {
  const alias = cnameChain.length > 1 ? `, an alias (CNAME) of ${cnameChain.at(-1)}` : '';
  return `selector ${lookup.selector} (${lookup.name}${alias})`;
}

/** A fresh selector name for a replacement key: rotate to a new selector, never reuse one. */
export function replacementSelector(current: string, now: Date): string {
  const base = `s${now.getUTCFullYear()}`;
  return current === base ? `${base}b` : base;
}

function rotationAdvice(selector: string, fresh: string, domain: string): string {
  return [
    `Generate a 2048-bit RSA key (openssl genrsa -out dkim.key 2048; public half: openssl rsa -in dkim.key -pubout -outform der | openssl base64 -A),`,
    `publish it as ${fresh}._domainkey.${domain} TXT "v=DKIM1; k=rsa; p=<base64>", switch your signer to selector ${fresh},`,
    `and once mail signed with the old key has been delivered (a few days), revoke it by publishing "v=DKIM1; p=" at ${selector}._domainkey.${domain}.`,
  ].join(' ');
}

/** When the key is delegated to a provider by CNAME, the fix is in the provider's console. */
function hostedAdvice(lookup: SelectorLookup, cnameChain: readonly string[], providers: readonly ProviderMatch[]): string | undefined {
  if (cnameChain.length < 2) return undefined;
  const provider = providers.find((p) => p.selectors.includes(lookup.selector));
  const where = provider?.enable ? ` (${provider.provider}: ${provider.enable})` : '';
  return `${lookup.name} is a CNAME to ${cnameChain.at(-1)}, so the key is published by your mail provider: rotate or regenerate it in the provider's console${where} rather than in your own zone.`;
}

/** The record with one tag removed (or replaced when `value` is given), for a pasteable fix. */
function withoutTag(r: DkimKeyRecord, tag: string, value?: string): string {
  return Object.entries(r.tags)
    .flatMap(([k, v]) => (k !== tag ? [`${k}=${v}`] : value ? [`${k}=${value}`] : []))
    .join('; ');
}

function clip(text: string, max = 120): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
