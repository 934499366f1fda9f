/**
 * The BIMI mark certificate (VMC or CMC) at `a=`: a PEM chain, leaf first.
 *
 * What we check with `node:crypto` X509Certificate: it parses, the leaf is
 * within its validity period, and the leaf's DNS subjectAltNames cover the
 * domain — the domain itself, the domain whose record was used, or its
 * organizational domain (a subdomain that uses its organizational domain's
 * record and certificate is fine: checkdmarc#151 reported the opposite as a
 * daily false positive).
 *
 * What we do NOT check: the chain to the Mark Verifying Authorities' roots
 * (that needs their CA bundle and the VMC profile's extension rules); the
 * evidence says so. We report, without judging, whether the leaf carries the
 * BIMI extended key usage (id-kp-BrandIndicatorforMessageIdentification,
 * 1.3.6.1.5.5.7.3.31) and the logotype extension (RFC 3709,
 * 1.3.6.1.5.5.7.1.12), and we extract the embedded logo (the
 * `data:image/svg+xml;base64,…` URI, usually gzip-compressed) by a cheap scan
 * of the DER for its IA5String rather than a full ASN.1 decode, so that it can
 * be compared with the `l=` SVG.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';

export interface CertFacts {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  sha256: string;
}

export interface VmcFacts {
  /** certificates found in the PEM, leaf first */
  chain: CertFacts[];
  /** leaf DNS subjectAltNames (lower case) */
  sans: string[];
  /** names the leaf had to cover (any one of them suffices) */
  acceptableNames: string[];
  /** the SAN that matched, or null */
  coveredBy: string | null;
  validNow: boolean | null;
  /** each certificate is signed by the next (a consistent chain as sent; not a trust decision) */
  chainLinked: boolean | null;
  bimiEku: boolean;
  logotypeExtension: boolean;
  /** the logo embedded in the leaf, when found */
  embeddedLogo: { bytes: number; sha256: string; gzip: boolean } | null;
  /** the embedded logo itself (not evidence: for comparison and validation) */
  embeddedLogoSvg?: Buffer;
  /** always stated: the trust chain to the Mark Verifying Authorities is not validated */
  chainValidation: 'not_checked';
  problems: string[];
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
// DER of the OIDs (tag 06, length 08, 1.3.6.1.5.5.7 = 2B 06 01 05 05 07)
const OID_BIMI_EKU = Buffer.from('06082b0601050507031f', 'hex');
const OID_LOGOTYPE = Buffer.from('06082b0601050507010c', 'hex');
const DATA_URI = Buffer.from('data:image/svg+xml', 'ascii');
const MAX_LOGO_BYTES = 256 * 1024;

export function certFacts(cert: X509Certificate): CertFacts {
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    serialNumber: cert.serialNumber,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    sha256: cert.fingerprint256,
  };
}

/** DNS names of a certificate's subjectAltName, lower case, no trailing dot. */
export function dnsSans(cert: X509Certificate): string[] {
  const raw = cert.subjectAltName ?? '';
  const out: string[] = [];
  for (const m of raw.matchAll(/(?:^|,\s*)DNS:("(?:[^"\\]|\\.)*"|[^,]*)/g)) {
    let v = m[1] ?? '';
    if (v.startsWith('"')) {
      try {
        v = JSON.parse(v) as string;
      } catch {
        continue;
      }
    }
    out.push(v.trim().toLowerCase().replace(/\.$/, ''));
  }
  return out;
}

/** Find the IA5String holding a `data:image/svg+xml…` URI in DER and return the logo bytes. */
export function extractEmbeddedLogo(der: Buffer): { svg: Buffer; gzip: boolean } | null {
  let from = 0;
  for (;;) {
    const at = der.indexOf(DATA_URI, from);
    if (at < 0) return null;
    from = at + 1;
    const len = ia5LengthBefore(der, at);
    if (len === null) continue;
    const uri = der.subarray(at, at + len).toString('ascii');
    const m = /^data:image\/svg\+xml(;[^,]*)?,(.*)$/s.exec(uri);
    if (!m) continue;
    const params = m[1] ?? '';
    let data: Buffer;
    if (/;base64/i.test(params)) data = Buffer.from(m[2] ?? '', 'base64');
    else {
      try {
        data = Buffer.from(decodeURIComponent(m[2] ?? ''), 'utf8');
      } catch {
        continue;
      }
    }
    const gzip = data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
    if (gzip) {
      try {
        data = gunzipSync(data, { maxOutputLength: MAX_LOGO_BYTES });
      } catch {
        continue;
      }
    }
    return { svg: data, gzip };
  }
}

/** The content length of an IA5String (tag 0x16) whose content starts at `at`, or null. */
function ia5LengthBefore(der: Buffer, at: number): number | null {
  // short form: 16 LL; long forms: 16 81 LL, 16 82 HH LL, 16 83 …
  if (at >= 2 && der[at - 2] === 0x16 && (der[at - 1] ?? 0xff) < 0x80) return fits(der, at, der[at - 1] ?? 0);
  if (at >= 3 && der[at - 3] === 0x16 && der[at - 2] === 0x81) return fits(der, at, der[at - 1] ?? 0);
  if (at >= 4 && der[at - 4] === 0x16 && der[at - 3] === 0x82) return fits(der, at, ((der[at - 2] ?? 0) << 8) | (der[at - 1] ?? 0));
  if (at >= 5 && der[at - 5] === 0x16 && der[at - 4] === 0x83) {
    return fits(der, at, ((der[at - 3] ?? 0) << 16) | ((der[at - 2] ?? 0) << 8) | (der[at - 1] ?? 0));
  }
  return null;
}

function fits(der: Buffer, at: number, len: number): number | null {
  return at + len <= der.length && len >= DATA_URI.length ? len : null;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Parse and assess a PEM mark certificate chain for `names` (any one of them
 * must be a SAN of the leaf). Never throws.
 */
export function assessVmc(pem: string, names: string[], now: Date = new Date()): VmcFacts {
  const facts: VmcFacts = {
    chain: [], sans: [], acceptableNames: [...new Set(names)], coveredBy: null, validNow: null, chainLinked: null,
    bimiEku: false, logotypeExtension: false, embeddedLogo: null, chainValidation: 'not_checked', problems: [],
  };
  const blocks = pem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) {
    facts.problems.push(/-----BEGIN /.test(pem)
      ? 'the file holds no PEM "CERTIFICATE" block'
      : 'the file is not PEM (no "-----BEGIN CERTIFICATE-----" block)');
    return facts;
  }
  const certs: X509Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      certs.push(new X509Certificate(block));
    } catch (err) {
      facts.problems.push(`certificate ${i + 1} in the PEM cannot be parsed (${(err as Error).message})`);
      return facts;
    }
  }
  facts.chain = certs.map(certFacts);
  const leaf = certs[0];
  if (!leaf) return facts;

  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (now < notBefore) facts.problems.push(`the certificate is not valid yet (valid from ${notBefore.toISOString()})`);
  if (now > notAfter) facts.problems.push(`the certificate expired on ${notAfter.toISOString()}`);
  facts.validNow = now >= notBefore && now <= notAfter;

  facts.sans = dnsSans(leaf);
  facts.coveredBy = facts.acceptableNames.find((n) => facts.sans.includes(n)) ?? null;
  if (facts.coveredBy === null) {
    facts.problems.push(facts.sans.length === 0
      ? `the certificate names no domain (no DNS subjectAltName), so it does not cover ${names[0]}`
      : `the certificate is for ${facts.sans.join(', ')}, which does not cover ${facts.acceptableNames.join(' or ')}`);
  }

  facts.chainLinked = certs.length < 2 ? null : certs.slice(0, -1).every((c, i) => {
    const issuer = certs[i + 1];
    return issuer !== undefined && c.checkIssued(issuer) && c.verify(issuer.publicKey);
  });

  const der = leaf.raw;
  facts.bimiEku = der.includes(OID_BIMI_EKU);
  facts.logotypeExtension = der.includes(OID_LOGOTYPE);
  const logo = extractEmbeddedLogo(der);
  if (logo) {
    facts.embeddedLogo = { bytes: logo.svg.length, sha256: sha256(logo.svg), gzip: logo.gzip };
    facts.embeddedLogoSvg = logo.svg;
  }
  return facts;
}
