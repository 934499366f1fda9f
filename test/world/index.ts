/**
 * The fixture world: everything the checker talks to, on loopback. Tests and
 * `posture demo` start it. DNS publishes documentation addresses (192.0.2.x);
 * `connectTo` maps those to the loopback HTTPS and SMTP servers, so the
 * checker's address policy stays on while nothing ever leaves the machine.
 */
import 'reflect-metadata';
import net from 'node:net';
import { startDnsServer, type DnsServer } from './dns/server.ts';
import type { DnsFixture } from './dns/zone.ts';
import { startHttpsWorld, type HttpsWorld, type Route } from './https-server.ts';
import { startSmtpWorld, type SmtpWorld, type SmtpWorldOptions } from './smtp-server.ts';
import { TestCa, selfSigned, type IssuedCert, type KeySpec } from './tls/ca.ts';

/** What certificate a host serves. */
export type CertKind = 'valid' | 'expired' | 'wrong-name' | 'self-signed';

export interface CertSpec {
  kind?: CertKind;
  key?: KeySpec;
}

export interface HttpsHostSpec extends CertSpec {
  /** the documentation address DNS publishes for the host */
  address: string;
  routes: Record<string, Route>;
}

export interface SmtpHostSpec extends CertSpec {
  /** the documentation address DNS publishes for the MX host */
  address: string;
  /** behaviour of the server (STARTTLS on/off, legacy TLS, banner, …) */
  server?: Omit<SmtpWorldOptions, 'certs' | 'defaultCert' | 'hostname'>;
  /** closed port: no server at all, the connection is refused */
  closed?: boolean;
}

export interface WorldOptions {
  /** the DNS fixture; a function receives the issued certificates (e.g. to publish TLSA) */
  dns: DnsFixture | ((certs: Record<string, IssuedCert>, ca: TestCa) => DnsFixture);
  https?: Record<string, HttpsHostSpec>;
  smtp?: Record<string, SmtpHostSpec>;
  doh?: boolean;
}

export interface World {
  dns: DnsServer;
  /** `--resolver` value for the world's DNS server */
  resolver: string;
  ca: TestCa;
  /** certificates issued, by host name */
  certs: Record<string, IssuedCert>;
  https?: HttpsWorld;
  smtp: Record<string, SmtpWorld>;
  /** `--connect-to` rules routing the published addresses to the loopback servers */
  connectTo: string[];
  stop(): Promise<void>;
}

const DAY = 86_400_000;

/** A loopback port with nothing listening: bind an ephemeral port, then close it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function certFor(ca: TestCa, host: string, spec: CertSpec): Promise<IssuedCert> {
  const key = spec.key ? { key: spec.key } : {};
  switch (spec.kind ?? 'valid') {
    case 'expired':
      return ca.issue([host], { ...key, notBefore: new Date(Date.now() - 100 * DAY), notAfter: new Date(Date.now() - 10 * DAY) });
    case 'wrong-name':
      return ca.issue([`other.${host}`], key);
    case 'self-signed':
      return selfSigned([host], key);
    default:
      return ca.issue([host], key);
  }
}

export async function startWorld(options: WorldOptions): Promise<World> {
  const ca = await TestCa.create();
  const certs: Record<string, IssuedCert> = {};
  for (const [host, spec] of [...Object.entries(options.https ?? {}), ...Object.entries(options.smtp ?? {})]) {
    certs[host] = await certFor(ca, host, spec);
  }
  const connectTo: string[] = [];
  const stops: Array<() => Promise<void>> = [];
  let https: HttpsWorld | undefined;
  const smtp: Record<string, SmtpWorld> = {};
  try {
    const httpsHosts = Object.entries(options.https ?? {});
    if (httpsHosts.length) {
      https = await startHttpsWorld({
        hosts: Object.fromEntries(httpsHosts.map(([host, spec]) => [host, { cert: certs[host]!, routes: spec.routes }])),
        defaultCert: certs[httpsHosts[0]![0]]!,
      });
      const h = https;
      stops.push(() => h.close());
    }
    const ports = new Map<string, { port: number; service: number }>();
    for (const [host] of httpsHosts) ports.set(host, { port: https!.port, service: 443 });
    for (const [host, spec] of Object.entries(options.smtp ?? {})) {
      if (spec.closed) {
        // nothing listens there, so the connection is refused
        ports.set(host, { port: await closedPort(), service: 25 });
        continue;
      }
      const server = await startSmtpWorld({ hostname: host, ...spec.server, certs: { [host]: certs[host]! }, defaultCert: certs[host]! });
      smtp[host] = server;
      stops.push(() => server.close());
      ports.set(host, { port: server.port, service: 25 });
    }
    const fixture = typeof options.dns === 'function' ? options.dns(certs, ca) : options.dns;
    // route every address the fixture publishes for a served host (A and AAAA) to its loopback server
    const specs: Record<string, { address: string }> = { ...options.https, ...options.smtp };
    for (const [host, { port, service }] of ports) {
      const published = fixture.names[host] ?? {};
      const addresses = new Set([specs[host]!.address, ...(published.A ?? []), ...(published.AAAA ?? [])]);
      for (const a of addresses) connectTo.push(`${a.includes(':') ? `[${a}]` : a}:${service}:127.0.0.1:${port}`);
    }
    const dns = await startDnsServer(fixture, { doh: options.doh ?? false });
    stops.push(() => dns.stop());
    return {
      dns,
      resolver: dns.address,
      ca,
      certs,
      ...(https ? { https } : {}),
      smtp,
      connectTo,
      async stop() {
        await Promise.all(stops.map((s) => s()));
      },
    };
  } catch (err) {
    await Promise.all(stops.map((s) => s().catch(() => undefined)));
    throw err;
  }
}
