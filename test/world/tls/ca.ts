/**
 * A throw-away certificate authority for the fixture world, made fresh at start
 * with @peculiar/x509 over Node's WebCrypto. It issues leaf certificates for
 * given names — valid, expired, for the wrong name, or self-signed — as PEM,
 * ready for `tls.createSecureContext`.
 *
 * Nothing here is trusted by the system: a client trusts it only when handed
 * `ca.certPem` (the `ca` option) or through NODE_EXTRA_CA_CERTS.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// the project compiles without the DOM lib: WebCrypto types come from node:crypto
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;
type EcdsaParams = webcrypto.EcdsaParams;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** `ec` is ECDSA P-256 (fast); RSA sizes let tests show weak keys (e.g. 1024). */
export type KeySpec = 'ec' | { rsa: number };

export interface IssuedCert {
  /** the names the certificate covers (its DNS SANs, or IP SANs for addresses) */
  names: string[];
  keyPem: string;
  certPem: string;
  /** leaf then issuing CA (what a server should send) */
  chainPem: string;
  /** DER of the leaf, for DANE-style hashes in tests */
  certDer: Buffer;
  notBefore: Date;
  notAfter: Date;
}

export interface IssueOptions {
  /** defaults to now − 1 day */
  notBefore?: Date;
  /** defaults to now + 90 days */
  notAfter?: Date;
  key?: KeySpec;
  /** subject CN; defaults to the first name */
  commonName?: string;
}

const DAY = 86_400_000;

function algorithmFor(key: KeySpec): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams {
  if (key === 'ec') return { name: 'ECDSA', namedCurve: 'P-256' };
  return {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: key.rsa,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  };
}

function signingAlgorithmFor(key: KeySpec): Algorithm | EcdsaParams {
  return key === 'ec' ? { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams : { name: 'RSASSA-PKCS1-v1_5' };
}

async function generateKeys(key: KeySpec): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algorithmFor(key), true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privateKeyPem(keys: CryptoKeyPair): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

function isIpLiteral(name: string): boolean {
  return /^[\d.]+$/.test(name) || name.includes(':');
}

function subjectAltNames(names: string[]): x509.SubjectAlternativeNameExtension {
  return new x509.SubjectAlternativeNameExtension(
    names.map((value) => ({ type: isIpLiteral(value) ? 'ip' as const : 'dns' as const, value })),
  );
}

function serial(): string {
  // positive, non-zero 16-byte serial (RFC 5280 §4.1.2.2)
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

export class TestCa {
  readonly name: string;
  readonly certPem: string;
  readonly keyPem: string;
  private readonly cert: x509.X509Certificate;
  private readonly keys: CryptoKeyPair;
  private readonly key: KeySpec;

  private constructor(name: string, cert: x509.X509Certificate, keys: CryptoKeyPair, keyPem: string, key: KeySpec) {
    this.name = name;
    this.cert = cert;
    this.keys = keys;
    this.keyPem = keyPem;
    this.key = key;
    this.certPem = cert.toString('pem');
  }

  /** Make a new root CA (valid from yesterday for ten years). */
  static async create(name = 'Posture Test Root CA', key: KeySpec = 'ec'): Promise<TestCa> {
    const keys = await generateKeys(key);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: `CN=${name}, O=Posture fixture world`,
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 3650 * DAY),
      keys,
      signingAlgorithm: signingAlgorithmFor(key),
      extensions: [
        // RFC 5280 §4.2.1.9 / §4.2.1.3: a CA certificate must say so and may sign certificates
        new x509.BasicConstraintsExtension(true, 1, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new TestCa(name, cert, keys, await privateKeyPem(keys), key);
  }

  /** A server certificate for `names`, signed by this CA. */
  async issue(names: string[], options: IssueOptions = {}): Promise<IssuedCert> {
    const key = options.key ?? 'ec';
    const keys = await generateKeys(key);
    const notBefore = options.notBefore ?? new Date(Date.now() - DAY);
    const notAfter = options.notAfter ?? new Date(Date.now() + 90 * DAY);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${options.commonName ?? names[0] ?? 'unnamed'}`,
      issuer: this.cert.subject,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: this.keys.privateKey,
      signingAlgorithm: signingAlgorithmFor(this.key),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        subjectAltNames(names),
        await x509.AuthorityKeyIdentifierExtension.create(this.keys.publicKey),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const certPem = cert.toString('pem');
    return {
      names,
      keyPem: await privateKeyPem(keys),
      certPem,
      chainPem: `${certPem}\n${this.certPem}\n`,
      certDer: Buffer.from(cert.rawData),
      notBefore,
      notAfter,
    };
  }

  /** Valid for `names`, but expired yesterday. */
  issueExpired(names: string[], options: IssueOptions = {}): Promise<IssuedCert> {
    return this.issue(names, {
      ...options,
      notBefore: new Date(Date.now() - 100 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
  }

  /** Signed by this CA, but for other names than the host that serves it. */
  issueWrongName(names: string[] = ['wrong-name.invalid'], options: IssueOptions = {}): Promise<IssuedCert> {
    return this.issue(names, options);
  }
}

/** A certificate that signs itself: no CA vouches for it. */
export async function selfSigned(names: string[], options: IssueOptions = {}): Promise<IssuedCert> {
  const key = options.key ?? 'ec';
  const keys = await generateKeys(key);
  const notBefore = options.notBefore ?? new Date(Date.now() - DAY);
  const notAfter = options.notAfter ?? new Date(Date.now() + 90 * DAY);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${options.commonName ?? names[0] ?? 'unnamed'}`,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: signingAlgorithmFor(key),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      subjectAltNames(names),
    ],
  });
  const certPem = cert.toString('pem');
  return {
    names,
    keyPem: await privateKeyPem(keys),
    certPem,
    chainPem: certPem,
    certDer: Buffer.from(cert.rawData),
    notBefore,
    notAfter,
  };
}
