/**
 * The bot side of bench/bot-load.ts, in its own process so that its CPU, peak
 * RSS and event-loop delay are its own and the load generator (the parent,
 * with the fake Slack) does not share its event loop.
 *
 * What runs here is what `posture serve` runs for Slack in OAuth (multi-workspace)
 * mode: the real Bolt app with its HTTP receiver on 127.0.0.1, the neutral bot
 * (`createBot`, with its rate limits and in-flight de-duplication), the store on an
 * SQLite file, and the checker with one shared resolver cache and one
 * `createRunResources()` (src/serve.ts builds `check` the same way). The bot's
 * `check` dependency is wrapped to count the checks actually started per domain
 * and the most that ran at once for one domain.
 *
 * Protocol (IPC): the parent sends a `BotLoadConfig`; the worker answers
 * `{ type: 'ready', endpoint }`, then answers `{ type: 'stats' }` with
 * `BotLoadStats` and `{ type: 'stop' }` by closing down.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createBot } from '../src/bot/service.ts';
import { checkDomain } from '../src/checker/index.ts';
import { createResolver } from '../src/checker/dns/index.ts';
import { createRunResources } from '../src/checker/check.ts';
import type { Report } from '../src/checker/types.ts';
import { openStore } from '../src/store/index.ts';
import { createSlackApp } from '../adapters/slack/app.ts';
import { storeInstallationStore } from '../adapters/slack/installation-store.ts';
import { createLogger } from '../adapters/slack/log.ts';
import type { Installation } from '@slack/bolt';
import { guardLoopback, refusedDestinations } from './lib/guard.ts';
import { trustProcessWide } from './lib/trust.ts';
import type { WorldHandle } from './world/protocol.ts';

export interface BotLoadConfig {
  world: WorldHandle;
  /** the fake Slack's Web API base (`clientOptions.slackApiUrl`) */
  apiUrl: string;
  signingSecret: string;
  /** workspaces to install (team id → bot token) */
  teams: Array<{ teamId: string; botToken: string }>;
  smtp: boolean;
}

export interface BotLoadStats {
  /** checks started per domain (calls of the bot's `check` dependency) */
  started: Record<string, number>;
  /** the most checks of one domain that were running at the same time */
  maxInflightPerDomain: number;
  /** the most checks running at the same time, all domains */
  maxInflight: number;
  checkMs: number[];
  cpuUserMs: number;
  cpuSystemMs: number;
  maxRssBytes: number;
  rssBeforeBytes: number;
  eldMs: { p50: number; p99: number; max: number };
  uniqueQueries: number;
  wireQueries: number;
  probes: number;
  errorLogs: string[];
  refused: string[];
}

export type BotLoadRequest = { type: 'stats'; reset?: boolean } | { type: 'stop' };
export type BotLoadReply = { type: 'ready'; endpoint: string } | { type: 'stats'; stats: BotLoadStats } | { type: 'error'; error: string };

const ELD_RESOLUTION_MS = 10;

async function main(config: BotLoadConfig): Promise<void> {
  guardLoopback();
  // a deployment trusts an extra CA with NODE_EXTRA_CA_CERTS: process-wide (bench/lib/trust.ts)
  trustProcessWide(config.world.caPem);
  const dir = mkdtempSync(path.join(tmpdir(), 'posture-botload-'));
  const store = await openStore(`sqlite:${path.join(dir, 'posture.db')}`);
  const installations = storeInstallationStore(store);
  for (const t of config.teams) {
    const installation: Installation<'v2', false> = {
      team: { id: t.teamId, name: `Load ${t.teamId}` },
      enterprise: undefined,
      user: { id: 'U0INSTALLER', token: undefined, scopes: undefined },
      bot: { token: t.botToken, scopes: ['commands', 'chat:write'], id: `B${t.teamId}`, userId: 'U0POSTBOT' },
      tokenType: 'bot',
      isEnterpriseInstall: false,
      appId: 'A0POSTURE',
      authVersion: 'v2',
    };
    await installations.storeInstallation(installation);
  }

  // the checker as src/serve.ts builds it: one resolver cache and one probe cache for every chat check
  const chat = createResolver({ servers: [config.world.resolver] });
  const resources = createRunResources();
  const options = { smtp: config.smtp, connectTo: config.world.connectTo };
  let started: Record<string, number> = {};
  const running = new Map<string, number>();
  let inflight = 0;
  let maxInflight = 0;
  let maxInflightPerDomain = 0;
  let checkMs: number[] = [];
  const check = async (domain: string, input: string): Promise<Report> => {
    started[domain] = (started[domain] ?? 0) + 1;
    const now = (running.get(domain) ?? 0) + 1;
    running.set(domain, now);
    maxInflightPerDomain = Math.max(maxInflightPerDomain, now);
    maxInflight = Math.max(maxInflight, ++inflight);
    const t0 = performance.now();
    try {
      return await checkDomain(domain, input, { resolver: chat.resolver, options, resources });
    } finally {
      checkMs.push(performance.now() - t0);
      inflight--;
      running.set(domain, (running.get(domain) ?? 1) - 1);
    }
  };
  const bot = createBot({ store, check });

  const errorLogs: string[] = [];
  const slack = createSlackApp(
    {
      mode: 'oauth', signingSecret: config.signingSecret, clientId: '111.222', clientSecret: 'bench-client-secret', stateSecret: 'bench-state-secret',
      port: 0, host: '127.0.0.1', apiUrl: config.apiUrl, logLevel: 'warn', command: '/posture',
    },
    // the default placeholder delay (2.5 s), as deployed
    { bot, store, logger: createLogger('warn', (level, line) => { if (level === 'error' || level === 'warn') errorLogs.push(`${level} ${line}`); }) },
  );
  await slack.start();

  let eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  eld.enable();
  let cpu0 = process.cpuUsage();
  let rssBeforeBytes = process.memoryUsage.rss();
  const send = (m: BotLoadReply): void => {
    process.send?.(m);
  };
  send({ type: 'ready', endpoint: `http://127.0.0.1:${slack.listeningPort}/slack/events` });

  process.on('message', (raw) => {
    const m = raw as BotLoadRequest;
    if (m.type === 'stats') {
      const cpu = process.cpuUsage(cpu0);
      const beyond = (ns: number): number => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);
      send({
        type: 'stats',
        stats: {
          started, maxInflightPerDomain, maxInflight, checkMs,
          cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000,
          maxRssBytes: process.resourceUsage().maxRSS * 1024, rssBeforeBytes,
          eldMs: { p50: beyond(eld.percentile(50)), p99: beyond(eld.percentile(99)), max: beyond(eld.max) },
          uniqueQueries: chat.resolver.stats.queries, wireQueries: chat.sent(), probes: resources.probes.probesStarted,
          errorLogs: errorLogs.splice(0), refused: [...refusedDestinations()],
        },
      });
      if (m.reset) {
        // after the warm-up: count the measured burst alone
        started = {};
        checkMs = [];
        maxInflight = 0;
        maxInflightPerDomain = 0;
        eld.disable();
        eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
        eld.enable();
        cpu0 = process.cpuUsage();
        rssBeforeBytes = process.memoryUsage.rss();
      }
    } else if (m.type === 'stop') {
      eld.disable();
      void (async () => {
        await slack.stop();
        await store.close();
        await chat.close();
        rmSync(dir, { recursive: true, force: true });
        process.disconnect();
      })();
    }
  });
}

if (import.meta.main) {
  if (!process.send) throw new Error('bot-load-worker.ts runs as a child process (fork) of bench/bot-load.ts');
  process.once('message', (raw) => {
    main(raw as BotLoadConfig).catch((err: unknown) => {
      process.send!({ type: 'error', error: String((err as Error).stack ?? err) }, () => process.disconnect());
    });
  });
}
