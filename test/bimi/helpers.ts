/**
 * The BIMI test world: one loopback HTTPS server with the logo host (and a host
 * with an expired certificate), DNS fixtures that publish TEST-NET addresses for
 * them, and --connect-to rules that route those to the loopback server.
 */
import { makeContext } from '../../src/checker/check.ts';
import { checkBimi, type BimiDeps } from '../../src/checker/checks/bimi/index.ts';
import type { CheckResult, Finding } from '../../src/checker/types.ts';
import type { DnsFixture, NameSpec } from '../world/dns/zone.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';
import { startHttpsWorld, type HttpsWorld, type Route } from '../world/https-server.ts';
import { TestCa } from '../world/tls/ca.ts';
import { BOMB_SVG, GOOD_SVG, UNTITLED_SVG, WIDE_SVG } from './fixtures.ts';
import { makeVmc } from './certs.ts';

export const LOGO_HOST = 'logo.example.com';
export const BADCERT_HOST = 'badcert.example.com';
export const LOGO = `https://${LOGO_HOST}/logo.svg`;
export const VMC = `https://${LOGO_HOST}/vmc.pem`;

export interface BimiWorld {
  ca: TestCa;
  https: HttpsWorld;
  connectTo: string[];
  close(): Promise<void>;
}

export async function startBimiWorld(): Promise<BimiWorld> {
  const ca = await TestCa.create('BIMI Test CA');
  const logoCert = await ca.issue([LOGO_HOST]);
  const svg = (body: string): Route => ({ kind: 'body', body, contentType: 'image/svg+xml' });
  const pem = (body: string): Route => ({ kind: 'body', body, contentType: 'application/x-pem-file' });

  const vmcExample = await ca.issue(['example.com'], { commonName: 'Example Brand' });
  const vmcOther = await ca.issue(['other-brand.net']);
  const vmcExpired = await ca.issueExpired(['example.com']);
  const vmcFuture = await ca.issue(['example.com'], { notBefore: new Date(Date.now() + 10 * 86_400_000), notAfter: new Date(Date.now() + 400 * 86_400_000) });
  const vmcWithLogo = await makeVmc({ names: ['example.com'], logoSvg: GOOD_SVG });
  const vmcWithOtherLogo = await makeVmc({ names: ['example.com'], logoSvg: WIDE_SVG });
  const vmcWithBadLogo = await makeVmc({ names: ['example.com'], logoSvg: UNTITLED_SVG, gzip: false });

  const https = await startHttpsWorld({
    defaultCert: logoCert,
    hosts: {
      [LOGO_HOST]: {
        cert: logoCert,
        routes: {
          '/logo.svg': svg(GOOD_SVG),
          '/wide.svg': svg(WIDE_SVG),
          '/untitled.svg': svg(UNTITLED_SVG),
          '/bomb.svg': svg(BOMB_SVG),
          '/big.svg': { kind: 'oversized', bytes: 40_000, contentType: 'image/svg+xml' },
          '/huge.svg': { kind: 'oversized', bytes: 200_000, contentType: 'image/svg+xml', declareLength: false },
          '/moved.svg': { kind: 'redirect', location: '/logo.svg' },
          '/vmc.pem': pem(vmcExample.chainPem),
          '/vmc-other.pem': pem(vmcOther.chainPem),
          '/vmc-expired.pem': pem(vmcExpired.chainPem),
          '/vmc-future.pem': pem(vmcFuture.chainPem),
          '/vmc-logo.pem': pem(vmcWithLogo),
          '/vmc-otherlogo.pem': pem(vmcWithOtherLogo),
          '/vmc-badlogo.pem': pem(vmcWithBadLogo),
          '/not-pem.pem': pem('<html>hello</html>'),
          '/broken.pem': pem('-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n'),
        },
      },
      [BADCERT_HOST]: { cert: await ca.issueExpired([BADCERT_HOST]), routes: { '/logo.svg': svg(GOOD_SVG) } },
    },
  });
  return {
    ca,
    https,
    connectTo: [`${LOGO_HOST}:443:127.0.0.1:${https.port}`, `${BADCERT_HOST}:443:127.0.0.1:${https.port}`],
    close: () => https.close(),
  };
}

export const MAIL_OK: NameSpec = { MX: [[10, 'mx.example.net']] };
export const DMARC_REJECT = 'v=DMARC1; p=reject; rua=mailto:dmarc@example.com';

/** The names every scenario shares: the hosts of the HTTPS world (TEST-NET-1 addresses) and a mail-accepting apex. */
export function baseNames(): DnsFixture['names'] {
  return {
    'example.com': MAIL_OK,
    [LOGO_HOST]: { A: ['192.0.2.10'] },
    [BADCERT_HOST]: { A: ['192.0.2.11'] },
  };
}

export function bimiTxt(record: string): NameSpec {
  return { TXT: [record] };
}

export interface Run {
  result: CheckResult;
  codes: string[];
  log: string[];
}

export async function run(
  world: BimiWorld,
  domain: string,
  names: DnsFixture['names'],
  deps: BimiDeps = {},
): Promise<Run> {
  const resolver = new MemoryResolver({ names: { ...baseNames(), ...names } });
  const ctx = makeContext({
    domain,
    resolver,
    options: { connectTo: world.connectTo, extraCa: [world.ca.certPem], timeoutMs: 5000 },
  });
  const result = await checkBimi(ctx, deps);
  return { result, codes: result.findings.map((f) => f.code), log: resolver.log };
}

export function findingOf(r: Run, code: string): Finding {
  const f = r.result.findings.find((x) => x.code === code);
  if (!f) throw new Error(`no ${code} in ${JSON.stringify(r.result.findings, null, 2)}`);
  return f;
}
