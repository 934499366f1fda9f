/** Build the resolver a run uses from user-facing settings (CLI flags, environment). */
import { CachingResolver } from './cache.ts';
import { DohResolver } from './doh.ts';
import { StubResolver, parseServer, systemServers } from './stub.ts';
import type { Resolver } from './types.ts';

export interface ResolverSettings {
  /** `--resolver HOST[:PORT]`, tried in order; default: /etc/resolv.conf */
  servers?: string[];
  /** `--doh URL` */
  doh?: string;
  /** per-try timeout */
  timeoutMs?: number;
  tries?: number;
}

export interface RunResolver {
  resolver: CachingResolver;
  /** wire queries sent by the transport */
  sent(): number;
  /** where queries go, for evidence and logs */
  describe: string;
  close(): Promise<void>;
}

export function createResolver(settings: ResolverSettings = {}): RunResolver {
  let transport: Resolver & { sent: number };
  let describe: string;
  let close: () => Promise<void>;
  if (settings.doh) {
    const doh = new DohResolver({ url: settings.doh, timeoutMs: settings.timeoutMs ?? 3000, tries: settings.tries ?? 2 });
    transport = doh;
    describe = `DoH ${settings.doh}`;
    close = () => doh.close();
  } else {
    const servers = settings.servers?.length ? settings.servers.map(parseServer) : systemServers();
    const stub = new StubResolver({ servers, timeoutMs: settings.timeoutMs ?? 2000, tries: settings.tries ?? 2 });
    transport = stub;
    describe = servers.map((s) => (s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`)).join(', ');
    close = async () => stub.close();
  }
  return { resolver: new CachingResolver(transport), sent: () => transport.sent, describe, close };
}
