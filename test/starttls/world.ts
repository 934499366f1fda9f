/**
 * Shared set-up for the STARTTLS and DANE check tests: a test CA, loopback SMTP
 * worlds, and contexts whose MX hosts publish TEST-NET addresses that
 * `--connect-to` routes to those worlds (so the default address policy stays on).
 */
import net from 'node:net';
import { X509Certificate, createHash } from 'node:crypto';
import { makeContext, createRunResources, type CheckContext, type CheckOptions, type RunResources } from '../../src/checker/check.ts';
import { startSmtpWorld, type SmtpWorld, type SmtpWorldOptions } from '../world/smtp-server.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';
import type { DnsFixture, NameSpec } from '../world/dns/zone.ts';

export const worlds: SmtpWorld[] = [];

export async function world(options: SmtpWorldOptions): Promise<SmtpWorld> {
  const w = await startSmtpWorld(options);
  worlds.push(w);
  return w;
}

export async function closeWorlds(): Promise<void> {
  await Promise.all(worlds.splice(0).map((w) => w.close()));
}

export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface MxSpec {
  name: string;
  address: string;
  /** where connect-to sends address:25 (a world or a port) */
  to?: { port: number } | number;
  preference?: number;
}

export interface ContextSpec {
  domain?: string;
  mx: MxSpec[];
  /** extra names for the fixture (TLSA, _mta-sts TXT, …) */
  names?: Record<string, NameSpec>;
  signed?: string[];
  bogus?: string[];
  options?: Partial<CheckOptions>;
  resources?: RunResources;
  caPem?: string;
}

export function context(spec: ContextSpec): { ctx: CheckContext; resolver: MemoryResolver } {
  const domain = spec.domain ?? 'example.test';
  const names: Record<string, NameSpec> = {
    [domain]: { MX: spec.mx.map((m, i) => [m.preference ?? 10 * (i + 1), m.name] as [number, string]) },
  };
  const connectTo: string[] = [];
  for (const m of spec.mx) {
    const v6 = m.address.includes(':');
    names[m.name] = { ...(names[m.name] ?? {}), ...(v6 ? { AAAA: [m.address] } : { A: [m.address] }) };
    if (m.to !== undefined) {
      const port = typeof m.to === 'number' ? m.to : m.to.port;
      connectTo.push(`${v6 ? `[${m.address}]` : m.address}:25:127.0.0.1:${port}`);
    }
  }
  const fixture: DnsFixture = { names: { ...names, ...spec.names }, signed: spec.signed ?? [], bogus: spec.bogus ?? [] };
  const resolver = new MemoryResolver(fixture);
  const ctx = makeContext({
    domain,
    resolver,
    options: {
      connectTo,
      heloName: 'posture.test',
      ...(spec.caPem ? { extraCa: [spec.caPem] } : {}),
      ...spec.options,
    },
    resources: spec.resources ?? createRunResources(),
  });
  return { ctx, resolver };
}

/** TLSA association data computed independently of the code under test (RFC 6698 §2.1). */
export function tlsaData(certPemOrDer: string | Buffer, selector: 0 | 1, matchingType: 0 | 1 | 2): string {
  const cert = new X509Certificate(certPemOrDer);
  const bytes = selector === 0 ? cert.raw : cert.publicKey.export({ type: 'spki', format: 'der' });
  if (matchingType === 0) return Buffer.from(bytes).toString('hex');
  return createHash(matchingType === 1 ? 'sha256' : 'sha512').update(bytes).digest('hex');
}

export const FAST = { connectMs: 2000, bannerMs: 2000, commandMs: 2000, tlsMs: 2000 };
