/**
 * The connection groundwork shared by the HTTPS fetch and the STARTTLS probe:
 * 1. our resolver picks the addresses (A then AAAA) — never the system's,
 * 2. the address policy judges exactly those addresses,
 * 3. `--connect-to` may then rewrite the TCP destination (see connect-to.ts),
 * 4. a plain TCP connection is opened with a deadline.
 * Steps 1–2 happen before any socket exists, so a refused address costs no packet.
 */
import net from 'node:net';
import type { Resolver } from '../dns/types.ts';
import { isLookupFailure } from '../dns/types.ts';
import { checkAddress, type AddressVerdict } from './address-policy.ts';
import { canonicalHost, mapDestination, type ConnectToRule, type Destination } from './connect-to.ts';

export type NetStage = 'dns' | 'policy' | 'connect' | 'tls' | 'http' | 'timeout' | 'too_large';

/** An error that knows which stage failed; `code` is stable (ECONNREFUSED, CERT_HAS_EXPIRED, …). */
export class NetError extends Error {
  override name = 'NetError';
  readonly stage: NetStage;
  readonly code: string;
  /** extra facts for evidence (e.g. the certificate chain on a certificate error) */
  readonly details: Record<string, unknown>;

  constructor(stage: NetStage, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.stage = stage;
    this.code = code;
    this.details = details;
  }
}

export interface ResolvedHost {
  /** canonical host (no brackets, lower case) */
  host: string;
  /** addresses the policy allowed, in the order to try */
  allowed: string[];
  /** every address with the policy's verdict (evidence) */
  verdicts: AddressVerdict[];
}

/**
 * Resolve `host` through our resolver (or take it as an IP literal) and apply
 * the address policy. Throws NetError (stage `dns` or `policy`). Rejects with
 * the abort reason if `signal` aborts (the Resolver contract).
 */
export async function resolveAllowed(
  resolver: Resolver,
  rawHost: string,
  options: { allowPrivateNetworks: boolean; signal?: AbortSignal },
): Promise<ResolvedHost> {
  const host = canonicalHost(rawHost);
  let addresses: string[];
  if (net.isIP(host)) {
    addresses = [host];
  } else {
    const queryOptions = options.signal ? { signal: options.signal } : {};
    const [a, aaaa] = await Promise.all([
      resolver.query(host, 'A', queryOptions),
      resolver.query(host, 'AAAA', queryOptions),
    ]);
    addresses = [...a.answers.map((r) => r.data), ...aaaa.answers.map((r) => r.data)];
    if (addresses.length === 0) {
      const failed = [a, aaaa].find((r) => isLookupFailure(r.outcome));
      if (failed) {
        throw new NetError('dns', failed.outcome.toUpperCase(), `could not resolve ${host}: ${failed.type} lookup ${failed.outcome}${failed.error ? ` (${failed.error})` : ''}`);
      }
      const code = a.outcome === 'nxdomain' ? 'NXDOMAIN' : 'NODATA';
      throw new NetError('dns', code, `${host} has no A or AAAA record (${code})`);
    }
  }
  const verdicts = addresses.map((ip) => checkAddress(ip, options));
  const allowed = verdicts.filter((v) => v.allowed).map((v) => v.address);
  if (allowed.length === 0) {
    throw new NetError('policy', 'ADDRESS_REFUSED', `not connecting to ${host}: ${verdicts.map((v) => v.reason).join('; ')}`, { verdicts });
  }
  return { host, allowed, verdicts };
}

/** Map each allowed address through the connect-to rules; duplicates removed. */
export function destinationsFor(
  host: string,
  addresses: readonly string[],
  port: number,
  rules: readonly ConnectToRule[],
): Array<Destination & { address: string }> {
  const out: Array<Destination & { address: string }> = [];
  const seen = new Set<string>();
  for (const address of addresses) {
    const dest = mapDestination(rules, { host, address, port });
    const key = `${dest.host}|${dest.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...dest, address });
  }
  return out;
}

/**
 * A connect-to target may be a name (`localhost`, a lab host): resolve it
 * through our resolver. It is the operator's explicit choice, so no policy.
 */
async function destinationAddress(resolver: Resolver | undefined, host: string, signal?: AbortSignal): Promise<string> {
  if (net.isIP(host)) return host;
  if (host === 'localhost') return '127.0.0.1';
  if (!resolver) throw new NetError('dns', 'NO_RESOLVER', `--connect-to target ${host} is a name and no resolver was given`);
  const queryOptions = signal ? { signal } : {};
  const a = await resolver.query(host, 'A', queryOptions);
  const first = a.answers[0]?.data ?? (await resolver.query(host, 'AAAA', queryOptions)).answers[0]?.data;
  if (!first) throw new NetError('dns', 'NODATA', `--connect-to target ${host} does not resolve`);
  return first;
}

export interface ConnectOptions {
  /** only needed when a connect-to target is a host name */
  resolver?: Resolver;
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Open a TCP connection to `dest`. Throws NetError: stage `connect` (refused,
 * unreachable, reset) or `timeout` (code CONNECT_TIMEOUT: no answer at all,
 * which is what a filtered port 25 looks like).
 */
export async function connectTcp(dest: Destination, options: ConnectOptions): Promise<net.Socket> {
  const host = await destinationAddress(options.resolver, dest.host, options.signal);
  options.signal?.throwIfAborted();
  return new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({ host, port: dest.port });
    const cleanup = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.off('connect', onConnect);
      socket.off('error', onError);
    };
    const onConnect = (): void => {
      cleanup();
      resolve(socket);
    };
    const onError = (err: NodeJS.ErrnoException): void => {
      cleanup();
      socket.destroy();
      reject(new NetError('connect', err.code ?? 'ECONNECT', `TCP connection to ${host}:${dest.port} failed: ${err.message}`));
    };
    const onAbort = (): void => {
      cleanup();
      socket.destroy();
      reject(options.signal?.reason);
    };
    const timer = setTimeout(() => {
      cleanup();
      socket.destroy();
      reject(new NetError('timeout', 'CONNECT_TIMEOUT', `TCP connection to ${host}:${dest.port} timed out after ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    socket.once('connect', onConnect);
    socket.once('error', onError);
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
