/**
 * `posture serve`: the bot. One store, one checker, one digest scheduler, and
 * every chat adapter whose credentials are configured (CONTRACTS §4).
 */
import type { CliIo } from './cli/io.ts';
import { UsageError } from './cli/io.ts';
import { checkOptionsFromEnv, resolverSettings } from './cli/settings.ts';
import { createLogger, secretsFromEnv, type Log } from './log.ts';
import { openStore } from './store/index.ts';
import type { Platform, Store } from './store/types.ts';
import { createResolver } from './checker/dns/index.ts';
import { checkDomain } from './checker/index.ts';
import { createRunResources, type RunResources } from './checker/check.ts';
import { createBot, type Bot } from './bot/service.ts';
import { Scheduler } from './digest/scheduler.ts';
import type { DeliveryPort } from './digest/delivery.ts';

export interface Running {
  store: Store;
  /** the Slack HTTP receiver's port, when Slack runs over HTTP */
  slackPort?: number;
  bot: Bot;
  scheduler: Scheduler;
  platforms: Platform[];
  stop(): Promise<void>;
}

/** STARTTLS probe results are shared by chat checks for this long, then probed afresh. */
const PROBE_CACHE_MS = 10 * 60_000;

export async function startServer(env: NodeJS.ProcessEnv, log: Log = createLogger({ level: env.LOG_LEVEL, secrets: secretsFromEnv(env) })): Promise<Running> {
  // read every adapter's configuration first: a mistake is reported before anything starts
  const { slackConfigFromEnv } = await import('../adapters/slack/index.ts');
  const { discordConfigFromEnv } = await import('../adapters/discord/index.ts');
  let slackConfig;
  let discordConfig;
  try {
    slackConfig = slackConfigFromEnv(env);
    discordConfig = discordConfigFromEnv(env);
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
  const scheduler = new Scheduler({ store, ports, checker: { resolver: settings, options }, log });
  const bot = createBot({
    store,
    check,
    nextRun: (s, after) => scheduler.nextRun(s, after),
    async digestNow(channel) {
      const o = await scheduler.runNow(channel);
      return o.posted ? { posted: true } : { posted: false, reason: o.reason ?? o.status };
    },
  });

  const stops: Array<() => Promise<void>> = [];
  const platforms: Platform[] = [];
  let slackListening: number | undefined;
  try {
    if (slackConfig) {
      const { createSlackApp } = await import('../adapters/slack/index.ts');
      const slack = createSlackApp(slackConfig, { bot, store });
      ports.slack = slack.port;
      await slack.start();
      stops.push(() => slack.stop());
      platforms.push('slack');
      slackListening = slack.listeningPort ?? undefined;
    }
    if (discordConfig) {
      const { createDiscordBot } = await import('../adapters/discord/index.ts');
      const discord = createDiscordBot(discordConfig, { bot, store });
      ports.discord = discord.port;
      await discord.start();
      stops.push(() => discord.stop());
      platforms.push('discord');
    }
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await chat.close();
    await store.close();
    throw err;
  }
  scheduler.start();
  log('info', 'posture serve: running', { platforms, store: store.kind });

  let stopped = false;
  return {
    store,
    ...(slackListening !== undefined ? { slackPort: slackListening } : {}),
    bot,
    scheduler,
    platforms,
    async stop() {
      if (stopped) return;
      stopped = true;
      log('info', 'posture serve: stopping');
      await scheduler.stop();
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
