/**
 * The Discord adapter: a discord.js 14 gateway client with minimal, unprivileged intents
 * (Guilds for the guild cache, GuildMessages for mentions, DirectMessages for DMs; never
 * MessageContent, GuildMembers or GuildPresences), one interaction router, a mention handler
 * and the digest delivery port over the client's REST.
 *
 * `posture serve` calls `discordConfigFromEnv(process.env)` and, when it returns a config,
 * `createDiscordBot(config, { bot, store })` → `start()`; `stop()` on shutdown. The delivery
 * port (`port`) is for the digest runner (`runNow({ port, … })`, the scheduler).
 */
import { Client, Events, GatewayIntentBits, Partials, type ClientOptions } from 'discord.js';
import { z } from 'zod';
import type { Bot } from '../../src/bot/service.ts';
import type { Store } from '../../src/store/types.ts';
import type { Clock } from '../../src/digest/clock.ts';
import { createInteractionRouter, type LogFn } from './interactions.ts';
import { createMentionHandler } from './mentions.ts';
import { createDiscordDelivery, restRateLimitPolicy, DEFAULT_MAX_RATE_LIMIT_WAIT_MS, type DiscordDeliveryPort } from './delivery.ts';

export { registerCommands, type RegisterOptions, type RegisterResult } from './register.ts';
export { postureCommandJSON, buildPostureCommand } from './commands.ts';
export { validateMessage, fitEmbeds, LIMITS, MESSAGE_BUDGET } from './render/limits.ts';
export { renderReply } from './render/reply.ts';
export { renderDigest } from './render/digest.ts';
export { createDiscordDelivery, type DiscordDeliveryPort } from './delivery.ts';

export const DEFAULT_DISCORD_API_URL = 'https://discord.com/api';

export interface DiscordConfig {
  token: string;
  applicationId: string;
  /** REST base; the gateway URL comes from GET /gateway/bot */
  apiUrl: string;
}

/** A configuration problem; the message names the variable, never its value. */
export class DiscordConfigError extends Error {
  override name = 'DiscordConfigError';
}

const envSchema = z.object({
  DISCORD_TOKEN: z.string({ error: 'DISCORD_TOKEN is not set' }).trim().min(1, { error: 'DISCORD_TOKEN is empty' })
    .refine((t) => !/\s/.test(t), { error: 'DISCORD_TOKEN contains white space (paste the bot token only, without "Bot ")' }),
  DISCORD_APPLICATION_ID: z.string({ error: 'DISCORD_APPLICATION_ID is not set' }).trim()
    .regex(/^\d{15,25}$/, { error: 'DISCORD_APPLICATION_ID must be the numeric application id (Developer Portal → General Information)' }),
  DISCORD_API_URL: z.string().trim().optional()
    .refine((u) => u === undefined || u === '' || /^https?:\/\/[^\s]+$/.test(u), { error: 'DISCORD_API_URL must be an http(s) URL such as https://discord.com/api' }),
});

/**
 * The Discord settings from the environment (CONTRACTS §4). Null when Discord is not configured
 * at all (neither DISCORD_TOKEN nor DISCORD_APPLICATION_ID set: `posture serve` skips Discord);
 * throws {@link DiscordConfigError} naming each missing or malformed variable otherwise, or
 * always when `required` (`posture discord register`).
 */
export function discordConfigFromEnv(env: Record<string, string | undefined>, options: { required?: boolean } = {}): DiscordConfig | null {
  const present = (k: string) => (env[k] ?? '').trim() !== '';
  if (!options.required && !present('DISCORD_TOKEN') && !present('DISCORD_APPLICATION_ID')) return null;
  const parsed = envSchema.safeParse({
    DISCORD_TOKEN: env['DISCORD_TOKEN'],
    DISCORD_APPLICATION_ID: env['DISCORD_APPLICATION_ID'],
    DISCORD_API_URL: env['DISCORD_API_URL'],
  });
  if (!parsed.success) {
    // issue messages are ours (they name variables); zod never echoes the input here
    const messages = [...new Set(parsed.error.issues.map((i) => i.message))];
    throw new DiscordConfigError(`Discord is not configured correctly: ${messages.join('; ')}`);
  }
  const api = parsed.data.DISCORD_API_URL || DEFAULT_DISCORD_API_URL;
  return { token: parsed.data.DISCORD_TOKEN, applicationId: parsed.data.DISCORD_APPLICATION_ID, apiUrl: api.replace(/\/+$/, '') };
}

export interface DiscordLogger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  info?(message: string, fields?: Record<string, unknown>): void;
  warn?(message: string, fields?: Record<string, unknown>): void;
  error?(message: string, fields?: Record<string, unknown>): void;
}

export interface DiscordBotDeps {
  bot: Bot;
  store: Store;
  logger?: DiscordLogger;
  /** digest delivery: clock and pacing (tests) */
  delivery?: { clock?: Clock; intervalMs?: number; maxRateLimitWaitMs?: number };
  /** extra discord.js client options (tests: e.g. `rest: { timeout }`) */
  clientOptions?: Partial<ClientOptions>;
}

export interface DiscordBot {
  client: Client;
  /** log in (REST GET /gateway/bot, then the gateway) and resolve once READY */
  start(): Promise<void>;
  stop(): Promise<void>;
  port: DiscordDeliveryPort;
}

/** The intents Posture asks for: none of them privileged. */
export const DISCORD_INTENTS = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages];

export function createDiscordBot(config: DiscordConfig, deps: DiscordBotDeps): DiscordBot {
  const logger = deps.logger ?? {};
  const log: LogFn = (level, message, fields) => logger[level]?.(message, fields);
  const maxWait = deps.delivery?.maxRateLimitWaitMs ?? DEFAULT_MAX_RATE_LIMIT_WAIT_MS;
  const client = new Client({
    intents: DISCORD_INTENTS,
    // DMs arrive for channels the client has not cached
    partials: [Partials.Channel],
    allowedMentions: { parse: [] },
    ...deps.clientOptions,
    rest: { ...deps.clientOptions?.rest, api: config.apiUrl, rejectOnRateLimit: restRateLimitPolicy(maxWait) },
  });
  // the token is set on the REST client only: it is never logged, and the port works before login
  client.rest.setToken(config.token);

  const route = createInteractionRouter({ bot: deps.bot, store: deps.store, log });
  const onMessage = createMentionHandler({ bot: deps.bot, log });
  client.on(Events.InteractionCreate, (i) => void route(i).catch((err) => log('error', 'discord interaction handler', { error: String(err) })));
  client.on(Events.MessageCreate, (m) => void onMessage(m).catch((err) => log('error', 'discord message handler', { error: String(err) })));
  client.on(Events.Error, (err) => log('error', 'discord client error', { error: err.message }));
  client.on(Events.Warn, (message) => log('warn', 'discord client warning', { message }));

  const port = createDiscordDelivery({
    rest: client.rest,
    ...(deps.delivery?.clock ? { clock: deps.delivery.clock } : {}),
    ...(deps.delivery?.intervalMs !== undefined ? { intervalMs: deps.delivery.intervalMs } : {}),
    log,
  });

  let started: Promise<void> | null = null;
  return {
    client,
    port,
    start() {
      started ??= (async () => {
        const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
        try {
          await client.login(config.token);
        } catch (err) {
          started = null;
          const code = (err as { code?: string }).code;
          throw new Error(code === 'TokenInvalid' ? 'Discord rejected DISCORD_TOKEN (401): check the bot token' : `Discord login failed: ${(err as Error).message}`);
        }
        await ready;
        log('info', 'discord connected', { user: client.user?.tag, applicationId: config.applicationId });
      })();
      return started;
    },
    async stop() {
      started = null;
      await client.destroy();
    },
  };
}
