/**
 * Fake mark certificates for the BIMI tests: self-signed (chain validation to
 * the Mark Verifying Authorities is out of scope), with the BIMI extended key
 * usage and, optionally, a logotype extension whose value holds the logo as a
 * `data:image/svg+xml;base64,` URI in an IA5String (the shape the checker
 * scans for; a real RFC 3709 LogotypeExtn wraps it in more ASN.1).
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const DAY = 86_400_000;
export const OID_BIMI_EKU = '1.3.6.1.5.5.7.3.31';
export const OID_LOGOTYPE = '1.3.6.1.5.5.7.1.12';

/** DER of an IA5String. */
export function ia5(text: string): Buffer {
  const body = Buffer.from(text, 'ascii');
  const len = body.length;
  let header: Buffer;
  if (len < 0x80) header = Buffer.from([0x16, len]);
  else if (len < 0x100) header = Buffer.from([0x16, 0x81, len]);
  else if (len < 0x10000) header = Buffer.from([0x16, 0x82, len >> 8, len & 0xff]);
  else header = Buffer.from([0x16, 0x83, len >> 16, (len >> 8) & 0xff, len & 0xff]);
  return Buffer.concat([header, body]);
}

/** A SEQUENCE around some DER (so the IA5String is not at offset 0). */
function sequence(inner: Buffer): Buffer {
  const len = inner.length;
  const header = len < 0x80 ? Buffer.from([0x30, len])
    : len < 0x100 ? Buffer.from([0x30, 0x81, len])
    : Buffer.from([0x30, 0x82, len >> 8, len & 0xff]);
  return Buffer.concat([header, inner]);
}

export interface VmcOptions {
  names: string[];
  logoSvg?: string;
  /** gzip the embedded logo (as real VMCs do); default true */
  gzip?: boolean;
  notBefore?: Date;
  notAfter?: Date;
}

export async function makeVmc(options: VmcOptions): Promise<string> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.ExtendedKeyUsageExtension([OID_BIMI_EKU]),
    new x509.SubjectAlternativeNameExtension(options.names.map((value) => ({ type: 'dns' as const, value }))),
  ];
  if (options.logoSvg !== undefined) {
    const raw = Buffer.from(options.logoSvg, 'utf8');
    const data = options.gzip === false ? raw : gzipSync(raw);
    const uri = `data:image/svg+xml;base64,${data.toString('base64')}`;
    extensions.push(new x509.Extension(OID_LOGOTYPE, false, sequence(ia5(uri))));
  }
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01' + Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex'),
    name: `CN=${options.names[0] ?? 'mark'}, O=Posture Test Brand`,
    notBefore: options.notBefore ?? new Date(Date.now() - DAY),
    notAfter: options.notAfter ?? new Date(Date.now() + 365 * DAY),
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
    extensions,
  });
  return cert.toString('pem');
}
