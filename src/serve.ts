/**
 * `posture serve`: the bot. One store, one checker, one digest scheduler, and
 * every chat adapter whose credentials are configured (CONTRACTS §4).
 */
import type { CliIo } from './cli/io.ts';
import { UsageError } from './cli/io.ts';
import { checkOptionsFromEnv, resolverSettings } from './cli/settings.ts';
import type { Log } from './log.ts';
import { createServeLog } from './logging.ts';
import { createOps, storeProbe, type Ops } from './http/ops.ts';
import { portFromEnv, startOpsServer, type OpsServer } from './http/server.ts';
import { openStore } from './store/index.ts';
import type { ChannelRef, Platform, Store } from './store/types.ts';
import { createResolver } from './checker/dns/index.ts';
import { checkDomain } from './checker/index.ts';
import { createRunResources, type RunResources } from './checker/check.ts';
import { createBot, type Bot } from './bot/service.ts';
import { Scheduler } from './digest/scheduler.ts';
import { nextRun } from './digest/schedule.ts';
import type { RunOutcome } from './digest/runner.ts';
import type { DeliveryPort } from './digest/delivery.ts';

export interface Running {
  store: Store;
  /** the Slack HTTP receiver's port, when Slack runs over HTTP */
  slackPort?: number;
  bot: Bot;
  /** who runs the weekly digests: the in-process scheduler (SQLite) or pg-boss jobs (PostgreSQL) */
  digests: 'scheduler' | 'jobs';
  platforms: Platform[];
  /** /healthz, /readyz, /discord/interactions (mounted on Slack's receiver, or on `httpPort`) */
  ops: Ops;
  /** the ops server's port, when Slack does not run over HTTP (Socket Mode, or no Slack) */
  httpPort?: number;
  stop(): Promise<void>;
}

/** STARTTLS probe results are shared by chat checks for this long, then probed afresh. */
const PROBE_CACHE_MS = 10 * 60_000;

export async function startServer(env: NodeJS.ProcessEnv, log: Log = createServeLog(env).log): Promise<Running> {
  // read every adapter's configuration first: a mistake is reported before anything starts
  const { slackConfigFromEnv } = await import('../adapters/slack/index.ts');
  const { discordConfigFromEnv } = await import('../adapters/discord/index.ts');
  const { discordPublicKeyFromEnv } = await import('../adapters/discord/http.ts');
  let slackConfig;
  let discordConfig;
  let discordPublicKey: string | null = null;
  let httpPort = 0;
  try {
    slackConfig = slackConfigFromEnv(env);
    discordConfig = discordConfigFromEnv(env);
    if (discordConfig) discordPublicKey = discordPublicKeyFromEnv(env);
    httpPort = portFromEnv(env);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (!slackConfig && !discordConfig) {
    throw new UsageError(
      'no chat platform is configured: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (or SLACK_APP_TOKEN for Socket Mode), and/or DISCORD_TOKEN and DISCORD_APPLICATION_ID',
    );
  }

  const store = await openStore(env.DATABASE_URL || undefined);
  const settings = resolverSettings({}, env);
  const options = checkOptionsFromEnv(env);
  // chat checks share one TTL cache for the life of the process
  const chat = createResolver(settings);
  let resources: RunResources = createRunResources();
  let resourcesBorn = Date.now();
  const check = (domain: string, input: string) => {
    if (Date.now() - resourcesBorn > PROBE_CACHE_MS) {
      resources = createRunResources();
      resourcesBorn = Date.now();
    }
    return checkDomain(domain, input, { resolver: chat.resolver, options, resources });
  };

  const ports: Partial<Record<Platform, DeliveryPort>> = {};
  // the digest driver starts once the adapters have filled `ports`
  let driver: { runNow(channel: ChannelRef): Promise<RunOutcome>; stop(): Promise<void> } | null = null;
  const bot = createBot({
    store,
    check,
    nextRun,
    async digestNow(channel) {
      if (!driver) return { posted: false, reason: 'Posture is still starting; try again in a moment' };
      const o = await driver.runNow(channel);
      return o.posted ? { posted: true } : { posted: false, reason: o.reason ?? o.status };
    },
  });

  const stops: Array<() => Promise<void>> = [];
  const platforms: Platform[] = [];
  let slackListening: number | undefined;
  // the ops routes exist before any adapter, so Slack's receiver can mount them
  const ops = createOps({ log });
  ops.addProbe('store', storeProbe(store));
  let server: OpsServer | undefined;
  try {
    if (slackConfig) {
      const { createSlackApp } = await import('../adapters/slack/index.ts');
      const slack = createSlackApp(slackConfig, { bot, store, customRoutes: ops.routes() });
      ports.slack = slack.port;
      let slackStarted = false;
      ops.addProbe('slack', () => slackStarted || 'not started');
      await slack.start();
      slackStarted = true;
      stops.push(async () => {
        slackStarted = false;
        await slack.stop();
      });
      platforms.push('slack');
      slackListening = slack.listeningPort ?? undefined;
    }
    if (discordConfig && discordPublicKey) {
      // HTTP interactions: no gateway connection; any instance behind the load balancer answers
      const { createDiscordHttpBot } = await import('../adapters/discord/http.ts');
      const discord = createDiscordHttpBot({ ...discordConfig, publicKey: discordPublicKey }, { bot, store, log });
      ports.discord = discord.port;
      ops.addProbe('discord', () => discord.ready || 'not started');
      await discord.start();
      ops.setDiscordInteractions(discord.interactions.handle);
      stops.push(() => discord.stop());
      platforms.push('discord');
    } else if (discordConfig) {
      const { createDiscordBot } = await import('../adapters/discord/index.ts');
      const discord = createDiscordBot(discordConfig, { bot, store });
      ports.discord = discord.port;
      ops.addProbe('discord', () => discord.client.isReady() || 'gateway not connected');
      await discord.start();
      stops.push(() => discord.stop());
      platforms.push('discord');
    }
    // no Bolt HTTP receiver to ride on (Socket Mode, or no Slack): our own server on PORT/HOST
    if (!slackConfig || slackConfig.mode === 'socket') {
      server = await startOpsServer({ ops, port: httpPort, host: env.HOST?.trim() || undefined, log });
      const s = server;
      stops.unshift(() => s.close());
    }
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await chat.close();
    await store.close();
    throw err;
  }
  // SQLite: one in-process scheduler. PostgreSQL: pg-boss jobs, so several instances share the
  // weekly work and a crashed instance's digests are finished by another (DESIGN: no home-made locks)
  const digests: Running['digests'] = store.kind === 'postgres' ? 'jobs' : 'scheduler';
  try {
    if (digests === 'jobs') {
      const { startJobs } = await import('./jobs/engine.ts');
      driver = await startJobs({
        store,
        connectionString: env.DATABASE_URL!,
        schema: env.POSTURE_JOBS_SCHEMA?.trim() || 'posture_jobs',
        ports,
        checker: { resolver: settings, options },
        log,
      });
    } else {
      const scheduler = new Scheduler({ store, ports, checker: { resolver: settings, options }, log });
      scheduler.start();
      driver = scheduler;
    }
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await chat.close();
    await store.close();
    throw err;
  }
  log('info', 'posture serve: running', { platforms, store: store.kind, digests });

  let stopped = false;
  return {
    store,
    ...(slackListening !== undefined ? { slackPort: slackListening } : {}),
    ...(server ? { httpPort: server.port } : {}),
    bot,
    digests,
    platforms,
    ops,
    async stop() {
      if (stopped) return;
      stopped = true;
      log('info', 'posture serve: stopping');
      // not ready any more: the load balancer stops sending; work in progress finishes below
      ops.drain();
      await driver?.stop();
      for (const stop of stops.reverse()) await stop().catch((err) => log('warn', 'adapter stop failed', { err }));
      await chat.close();
      await store.close();
    },
  };
}

/** The CLI command: run until SIGINT or SIGTERM, then stop taking work and shut down cleanly. */
export async function runServe(argv: string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write('usage: posture serve\n  runs the bot for every chat platform whose credentials are set (see README: Run it in Slack / Discord)\n');
    return 0;
  }
  if (argv.length) throw new UsageError(`posture serve takes no arguments (got "${argv[0]}"); configure it with environment variables`);
  const running = await startServer(io.env);
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await running.stop();
  return 0;
}
