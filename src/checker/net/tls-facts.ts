/**
 * What we record about a TLS peer, shared by the HTTPS fetch and the STARTTLS
 * probe: a summary of each certificate in the chain (with the SHA-256 hashes
 * DANE matches, RFC 6698 §2.1) and the classification of TLS errors.
 */
import { X509Certificate, createHash } from 'node:crypto';
import tls from 'node:tls';

export interface CertSummary {
  subject: string;
  issuer: string;
  /** DNS names and IP addresses from subjectAltName */
  subjectAltNames: string[];
  /** ISO 8601 */
  notBefore: string;
  notAfter: string;
  serialNumber: string;
  /** `rsa`, `ec`, `ed25519`, … (KeyObject.asymmetricKeyType) */
  keyType: string;
  /** RSA modulus bits, or EC curve size in bits */
  keyBits?: number;
  /** EC named curve */
  curve?: string;
  selfIssued: boolean;
  isCa: boolean;
  /** SHA-256 of the SubjectPublicKeyInfo DER: TLSA selector 1, matching type 1 (RFC 6698 §2.1.2–2.1.3) */
  spkiSha256: string;
  /** SHA-256 of the whole certificate DER: TLSA selector 0, matching type 1 */
  certSha256: string;
  /** DER of the certificate, base64 (for DANE matching types 0 and 2 and for display) */
  derBase64: string;
}

const CURVE_BITS: Record<string, number> = {
  prime256v1: 256, 'P-256': 256, secp384r1: 384, 'P-384': 384, secp521r1: 521, 'P-521': 521,
};

function parseSans(san: string | undefined): string[] {
  if (!san) return [];
  // "DNS:a.example, DNS:b.example, IP Address:192.0.2.1"
  return san.split(/,\s*/).map((entry) => entry.replace(/^(DNS|IP Address):/, '')).filter(Boolean);
}

export function summarizeCertificate(der: Buffer | X509Certificate): CertSummary {
  const cert = der instanceof X509Certificate ? der : new X509Certificate(der);
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  const spki = key.export({ type: 'spki', format: 'der' });
  const summary: CertSummary = {
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    subjectAltNames: parseSans(cert.subjectAltName),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    serialNumber: cert.serialNumber,
    keyType: key.asymmetricKeyType ?? 'unknown',
    selfIssued: cert.subject === cert.issuer,
    isCa: cert.ca,
    spkiSha256: createHash('sha256').update(spki).digest('hex'),
    certSha256: createHash('sha256').update(cert.raw).digest('hex'),
    derBase64: cert.raw.toString('base64'),
  };
  if (details.modulusLength !== undefined) summary.keyBits = details.modulusLength;
  if (details.namedCurve !== undefined) {
    summary.curve = details.namedCurve;
    const bits = CURVE_BITS[details.namedCurve];
    if (bits !== undefined) summary.keyBits = bits;
  }
  return summary;
}

/**
 * The chain the peer sent, leaf first, by walking `issuerCertificate` until it
 * repeats (Node links the root to itself).
 */
export function peerChain(socket: tls.TLSSocket): CertSummary[] {
  const chain: CertSummary[] = [];
  let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (cert && cert.raw && chain.length < 10) {
    const fp = cert.fingerprint256;
    if (seen.has(fp)) break;
    seen.add(fp);
    chain.push(summarizeCertificate(cert.raw));
    const next: tls.DetailedPeerCertificate | undefined = cert.issuerCertificate;
    if (!next || next === cert) break;
    cert = next;
  }
  return chain;
}

/**
 * OpenSSL verification codes (and Node's hostname error) that mean "the
 * certificate is not acceptable" — as opposed to "we could not talk TLS".
 * MTA-STS needs the difference (RFC 8461 §3.3: the policy host must present a
 * valid certificate for mta-sts.<domain>).
 */
const CERTIFICATE_ERROR_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_CERT_ALTNAME_FORMAT',
  'EE_KEY_TOO_SMALL',
  'CA_KEY_TOO_SMALL',
  'CA_MD_TOO_WEAK',
]);

export function isCertificateErrorCode(code: string | undefined): boolean {
  return code !== undefined && CERTIFICATE_ERROR_CODES.has(code);
}

/** A short English phrase for a certificate verification code. */
export function describeCertificateError(code: string): string {
  switch (code) {
    case 'CERT_HAS_EXPIRED':
      return 'the certificate has expired';
    case 'CERT_NOT_YET_VALID':
      return 'the certificate is not valid yet';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'the certificate is self-signed';
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return 'the chain ends in an untrusted self-signed root';
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      return 'the certificate is not issued by a trusted authority (or the chain is incomplete)';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
    case 'HOSTNAME_MISMATCH':
      return 'the certificate is not valid for this host name';
    default:
      return `certificate verification failed (${code})`;
  }
}

/**
 * Trust anchors for a handshake: the default store (Node's roots plus
 * NODE_EXTRA_CA_CERTS) with `extra` added, never replaced — Node's `ca` option
 * replaces the defaults, so the extras must be appended to them.
 */
export function trustAnchors(extra: string | readonly string[] | undefined): string[] | undefined {
  if (!extra || extra.length === 0) return undefined;
  return [...tls.getCACertificates('default'), ...(typeof extra === 'string' ? [extra] : extra)];
}

const contexts = new Map<string, tls.SecureContext>();

/**
 * One TLS context per trust-anchor list and settings, built once: creating a context parses
 * every root certificate (tens of ms of CPU), far too much to repeat for each connection.
 * Undefined when there is nothing to add (Node's default context is already shared).
 */
export function secureContextFor(
  extra: string | readonly string[] | undefined,
  settings: { minVersion?: tls.SecureVersion; ciphers?: string } = {},
): tls.SecureContext | undefined {
  const ca = trustAnchors(extra);
  if (!ca) return undefined;
  const key = `${settings.minVersion ?? ''}|${settings.ciphers ?? ''}|${typeof extra === 'string' ? extra : extra!.join('\n')}`;
  let context = contexts.get(key);
  if (!context) {
    if (contexts.size > 32) contexts.clear(); // a handful of lists in practice; never unbounded
    context = tls.createSecureContext({ ca, ...settings });
    contexts.set(key, context);
  }
  return context;
}
