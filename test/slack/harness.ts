/**
 * End-to-end harness: the fixture world (DNS/HTTPS on loopback), a fake Slack, the store on an
 * SQLite file, the neutral bot, and the real Bolt app (HTTP receiver on an ephemeral port)
 * pointed at the fake through `slackApiUrl`. Checks can be gated to make them "slow" on demand.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createBot, type Bot } from '../../src/bot/service.ts';
import { checkDomain } from '../../src/checker/index.ts';
import { createResolver } from '../../src/checker/dns/index.ts';
import type { Report } from '../../src/checker/types.ts';
import { runNow } from '../../src/digest/runner.ts';
import type { DeliveryPort } from '../../src/digest/delivery.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { startWorld, type World } from '../world/index.ts';
import { demoWorldOptions } from '../world/demo.ts';
import { startFakeSlack, type FakeSlack } from '../world/slack-fake.ts';
import { createSlackApp, type SlackRuntime } from '../../adapters/slack/app.ts';
import type { SlackConfig } from '../../adapters/slack/config.ts';
import { createLogger } from '../../adapters/slack/log.ts';

export const SECRET = 'test-signing-secret-0123456789';
export const BOT_TOKEN = 'xoxb-test-token-0001';

export interface Gate {
  closed: boolean;
  open(): void;
  wait(): Promise<void>;
}

export function gate(): Gate {
  let release!: () => void;
  const p = new Promise<void>((r) => (release = r));
  const g: Gate = {
    closed: true,
    open() {
      g.closed = false;
      release();
    },
    wait: () => p,
  };
  return g;
}

export type CheckFn = (domain: string) => Promise<Report>;

/** A check against the fixture world (no SMTP probing: quick and deterministic), cached per domain. */
export function worldCheck(world: World): CheckFn {
  const { resolver } = createResolver({ servers: [world.resolver] });
  return (domain) =>
    checkDomain(domain, domain, {
      resolver,
      options: { smtp: false, connectTo: world.connectTo, extraCa: [world.ca.certPem], timeoutMs: 8000 },
    });
}

export function tempDb(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'posture-slack-')), 'posture.db');
}

export interface Running {
  fake: FakeSlack;
  store: Store;
  bot: Bot;
  slack: SlackRuntime;
  endpoint: string;
  base: string;
  logs: string[];
  /** how many times the bot was asked anything */
  botCalls: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  fake: FakeSlack;
  dbPath: string;
  check: CheckFn;
  placeholderAfterMs?: number;
  config?: Partial<SlackConfig>;
}

export async function startApp(o: StartOptions): Promise<Running> {
  const store = await openStore(`sqlite:${o.dbPath}`);
  let port: DeliveryPort | undefined;
  const inner = createBot({
    store,
    check: (d) => o.check(d),
    digestNow: async (channel) => {
      const out = await runNow({ store, port: port!, check: o.check, channel, concurrency: 4 });
      return out.posted ? { posted: true } : { posted: false, reason: out.reason ?? out.status };
    },
  });
  const running = { botCalls: 0 } as Running;
  const bot: Bot = {
    handleText: (t, w) => (running.botCalls++, inner.handleText(t, w)),
    handle: (c, w) => (running.botCalls++, inner.handle(c, w)),
    card: (d, w, i) => (running.botCalls++, inner.card(d, w, i)),
    plan: (d, w) => (running.botCalls++, inner.plan(d, w)),
  };
  const logs: string[] = [];
  const config: SlackConfig = {
    mode: 'http', signingSecret: SECRET, botToken: BOT_TOKEN, port: 0, host: '127.0.0.1', apiUrl: o.fake.apiUrl, logLevel: 'info', command: '/posture',
    ...o.config,
  };
  const slack = createSlackApp(config, {
    bot,
    store,
    logger: createLogger('debug', (level, line) => logs.push(`${level} ${line}`)),
    ...(o.placeholderAfterMs !== undefined ? { placeholderAfterMs: o.placeholderAfterMs } : {}),
  });
  port = slack.port;
  await slack.start();
  const base = `http://127.0.0.1:${slack.listeningPort}`;
  Object.assign(running, {
    fake: o.fake, store, bot, slack, endpoint: `${base}/slack/events`, base, logs,
    async stop() {
      await slack.stop();
      await store.close();
    },
  });
  return running;
}

export { startWorld, demoWorldOptions, startFakeSlack };
