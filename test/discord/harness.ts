/**
 * The Discord end-to-end harness: the fixture world (DNS, HTTPS), a real checker, an SQLite
 * store in a temp file, the bot service, the fake Discord, and the real discord.js client
 * logged in to it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorld, type World } from '../world/index.ts';
import { demoWorldOptions } from '../world/demo.ts';
import { startFakeDiscord, type FakeDiscord } from '../world/discord-fake.ts';
import { createResolver, type RunResolver } from '../../src/checker/dns/index.ts';
import { checkDomain } from '../../src/checker/index.ts';
import { createBot, type Bot } from '../../src/bot/service.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import type { Report } from '../../src/checker/types.ts';
import { runNow } from '../../src/digest/runner.ts';
import { ManualClock } from '../../src/digest/clock.ts';
import { createDiscordBot, type DiscordBot } from '../../adapters/discord/index.ts';

export interface Gate {
  /** resolves when a check is waiting at the gate */
  reached: Promise<void>;
  open(): void;
}

export interface Harness {
  world: World;
  fake: FakeDiscord;
  store: Store;
  bot: Bot;
  discord: DiscordBot;
  dbUrl: string;
  checks: string[];
  /** the next check of `domain` waits until the gate opens */
  gate(domain: string): Gate;
  check(domain: string): Promise<Report>;
  /** stop the client and close the store, then start both again on the same file */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const world = await startWorld(demoWorldOptions());
  const resolver: RunResolver = createResolver({ servers: [world.resolver] });
  const fake = await startFakeDiscord();
  const dir = mkdtempSync(join(tmpdir(), 'posture-discord-'));
  const dbUrl = `sqlite:${join(dir, 'posture.db')}`;
  const gates = new Map<string, { wait: Promise<void>; reached: () => void }>();
  const checks: string[] = [];

  async function check(domain: string): Promise<Report> {
    checks.push(domain);
    const g = gates.get(domain);
    if (g) {
      gates.delete(domain);
      g.reached();
      await g.wait;
    }
    return checkDomain(domain, domain, {
      resolver: resolver.resolver,
      options: { smtp: false, connectTo: world.connectTo, allowPrivateNetworks: true, extraCa: [world.ca.certPem], timeoutMs: 8000 },
    });
  }

  const h = {} as Harness;
  async function boot(): Promise<void> {
    const store = await openStore(dbUrl);
    const bot: Bot = createBot({
      store,
      check: (domain) => check(domain),
      async digestNow(channel) {
        const r = await runNow({ store, port: h.discord.port, channel, check, clock: new ManualClock(new Date()) });
        return r.posted ? { posted: true } : { posted: false, ...(r.reason ? { reason: r.reason } : {}) };
      },
    });
    const discord = createDiscordBot(
      { token: fake.token, applicationId: fake.applicationId, apiUrl: fake.apiUrl },
      { bot, store, delivery: { intervalMs: 0 } },
    );
    Object.assign(h, { store, bot, discord });
    await discord.start();
  }

  Object.assign(h, {
    world,
    fake,
    dbUrl,
    checks,
    check,
    gate(domain: string): Gate {
      let open!: () => void;
      let reached!: () => void;
      const wait = new Promise<void>((r) => (open = r));
      const reachedP = new Promise<void>((r) => (reached = r));
      gates.set(domain, { wait, reached });
      return { reached: reachedP, open };
    },
    async restart() {
      await h.discord.stop();
      await h.store.close();
      await boot();
    },
    async close() {
      await h.discord?.stop().catch(() => undefined);
      await h.store?.close().catch(() => undefined);
      await fake.close();
      await resolver.close();
      await world.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
  await boot();
  return h;
}
