/**
 * The fixture world: everything the checker talks to, on loopback. Tests and
 * `posture demo` start it; it grows as checks need more of the world
 * (HTTPS and SMTP with a test CA, fake Slack and Discord APIs).
 */
import { startDnsServer, type DnsServer } from './dns/server.ts';
import type { DnsFixture } from './dns/zone.ts';

export interface World {
  dns: DnsServer;
  /** `--resolver` value for the world's DNS server */
  resolver: string;
  stop(): Promise<void>;
}

export interface WorldOptions {
  dns: DnsFixture;
  doh?: boolean;
}

export async function startWorld(options: WorldOptions): Promise<World> {
  const dns = await startDnsServer(options.dns, { doh: options.doh ?? false });
  return {
    dns,
    resolver: dns.address,
    async stop() {
      await dns.stop();
    },
  };
}
