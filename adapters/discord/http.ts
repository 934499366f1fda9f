/**
 * Discord over HTTP interactions (chatops research §2.9): Discord POSTs each interaction to
 * `POST /discord/interactions`; no gateway connection, so any number of instances behind a load
 * balancer can take the traffic. Enabled by `DISCORD_PUBLIC_KEY` (Developer Portal → General
 * Information → Public Key) next to `DISCORD_TOKEN` and `DISCORD_APPLICATION_ID`; without it the
 * gateway client (index.ts) stays the default.
 *
 * Per request, before any work:
 *  1. the raw body is read with a cap (64 KiB → 413);
 *  2. `X-Signature-Ed25519` and `X-Signature-Timestamp` must be present and well-formed (401);
 *  3. the timestamp must be within 5 minutes of now (replay of an old request → 401);
 *  4. Ed25519 over `timestamp + rawBody` with discord-interactions' `verifyKey` (401), and a
 *     signature already seen within the window is refused (replay → 401).
 * Then: PING → PONG; `/posture …` → `{type: 5}` (deferred; ephemeral when the answer will be, as
 * the gateway router decides) at once, the work afterwards and the answer PATCHed in through
 * `PATCH /webhooks/{app}/{token}/messages/@original` (REST on DISCORD_API_URL); usage errors are
 * answered at once (type 4, ephemeral); autocomplete → type 8 with choices; buttons → deferred
 * update (Re-check) or deferred reply, then the edit.
 *
 * The command → `bot.handle` mapping is the gateway router's: `commandFromOptions` (commands.ts)
 * reads the same options, `requesterOf` (interactions.ts) computes `canManage` from the member's
 * permissions (Manage Server), `renderReply` renders. The small decisions the gateway router keeps
 * private (deferral visibility, button plans, autocomplete choices) are pure functions here.
 */
import { webcrypto } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyKey } from 'discord-interactions';
import { PermissionsBitField, REST, Routes, type RESTOptions } from 'discord.js';
import type { Bot, Reply, Requester } from '../../src/bot/service.ts';
import { parseActionId } from '../../src/bot/card.ts';
import type { ChannelRef, Store } from '../../src/store/types.ts';
import { readBody, sendJson, type RequestContext } from '../../src/http/request.ts';
import { createReplayCache } from '../../src/http/replay.ts';
import { COMMAND_NAME, MANAGE_SUBCOMMANDS, commandFromOptions, type CommandOptionsLike } from './commands.ts';
import { requesterOf, type LogFn } from './interactions.ts';
import { renderReply, type RenderedReply } from './render/reply.ts';
import { createDiscordDelivery, restRateLimitPolicy, DEFAULT_MAX_RATE_LIMIT_WAIT_MS, type DiscordDeliveryPort } from './delivery.ts';
import { DiscordConfigError, type DiscordConfig } from './index.ts';
import type { Clock } from '../../src/digest/clock.ts';

export const DISCORD_INTERACTIONS_PATH = '/discord/interactions';
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
/** Requests signed longer ago (or further ahead) than this are refused as replays. */
export const DEFAULT_MAX_AGE_SECONDS = 300;

const EPHEMERAL = 64;

/** Interaction and callback types (discord-api-types values). */
export const InteractionKind = { Ping: 1, ApplicationCommand: 2, MessageComponent: 3, Autocomplete: 4, ModalSubmit: 5 } as const;
export const CallbackType = { Pong: 1, ChannelMessage: 4, DeferredChannelMessage: 5, DeferredUpdate: 6, Autocomplete: 8 } as const;

// ─── configuration ───────────────────────────────────────────────────────────────────────────

/** DISCORD_PUBLIC_KEY: null when unset (gateway mode); throws naming the variable when malformed. */
export function discordPublicKeyFromEnv(env: Record<string, string | undefined>): string | null {
  const raw = env['DISCORD_PUBLIC_KEY']?.trim();
  if (!raw) return null;
  if (!/^[0-9a-fA-F]{64}$/.test(raw)) {
    throw new DiscordConfigError('DISCORD_PUBLIC_KEY must be the application\'s public key: 64 hex characters (Developer Portal → General Information)');
  }
  return raw.toLowerCase();
}

// the routing decisions are shared with the gateway router
export { deferEphemeral, buttonPlan, autocompleteChoices, type Deferral, type ButtonPlan } from './routing.ts';
import { deferEphemeral, buttonPlan, autocompleteChoices, type Deferral } from './routing.ts';

// ─── raw interaction payloads ───────────────────────────────────────────────────────────────

interface RawOption {
  type: number;
  name: string;
  value?: unknown;
  focused?: boolean;
  options?: RawOption[];
}

interface RawInteraction {
  id: string;
  application_id?: string;
  type: number;
  token: string;
  guild_id?: string;
  channel_id?: string;
  channel?: { id?: string };
  member?: { user?: { id: string }; permissions?: string };
  user?: { id: string };
  data?: { name?: string; options?: RawOption[]; custom_id?: string };
}

const SUBCOMMAND = 1;
const SUBCOMMAND_GROUP = 2;

/** The typed options of a raw chat-input payload as `commandFromOptions` reads them, plus the focused option. */
export function optionsFromData(data: { options?: RawOption[] } | undefined): CommandOptionsLike & { focused: { name: string; value: string } | null } {
  let group: string | null = null;
  let sub: string | null = null;
  let leaves: RawOption[] = data?.options ?? [];
  const first = leaves[0];
  if (first?.type === SUBCOMMAND_GROUP) {
    group = first.name;
    const inner = first.options?.[0];
    sub = inner?.type === SUBCOMMAND ? inner.name : null;
    leaves = inner?.options ?? [];
  } else if (first?.type === SUBCOMMAND) {
    sub = first.name;
    leaves = first.options ?? [];
  }
  const values = new Map<string, string>();
  let focused: { name: string; value: string } | null = null;
  for (const o of leaves) {
    if (o.value === undefined || o.value === null) continue;
    values.set(o.name, String(o.value));
    if (o.focused) focused = { name: o.name, value: String(o.value) };
  }
  return {
    getSubcommandGroup: () => group,
    getSubcommand: () => sub,
    getString: (name) => values.get(name) ?? null,
    focused,
  };
}

/** Who asked, with `canManage` from the member's permissions (Manage Server; Administrator implies it). */
export function requesterOfRaw(i: RawInteraction): Requester {
  const userId = i.member?.user?.id ?? i.user?.id ?? 'unknown';
  let perms: PermissionsBitField | null = null;
  if (i.member?.permissions !== undefined) {
    try {
      perms = new PermissionsBitField(BigInt(i.member.permissions));
    } catch {
      perms = null;
    }
  }
  return requesterOf({
    guildId: i.guild_id ?? null,
    channelId: i.channel_id ?? i.channel?.id ?? null,
    user: { id: userId },
    memberPermissions: perms,
  });
}

function isRawInteraction(x: unknown): x is RawInteraction {
  if (!x || typeof x !== 'object') return false;
  const o = x as Record<string, unknown>;
  return typeof o['type'] === 'number' && (o['type'] === InteractionKind.Ping || (typeof o['id'] === 'string' && typeof o['token'] === 'string'));
}

// ─── answering through REST ─────────────────────────────────────────────────────────────────

function messageBody(r: RenderedReply): Record<string, unknown> {
  return { content: r.content ?? '', embeds: r.embeds, components: r.components, allowed_mentions: { parse: [] } };
}

function followUpBody(r: RenderedReply, ephemeral: boolean): Record<string, unknown> {
  return {
    ...(r.content ? { content: r.content } : {}),
    embeds: r.embeds,
    components: r.components,
    allowed_mentions: { parse: [] },
    ...(ephemeral ? { flags: EPHEMERAL } : {}),
  };
}

/**
 * Send the answer to a deferred interaction (the HTTP twin of the gateway router's `respond`):
 * an ephemeral deferral stays ephemeral; a public "thinking…" that must become private is
 * deleted and the answer follows up ephemerally; a deferred update edits the button's message.
 */
export async function deliverDeferred(rest: REST, applicationId: string, token: string, deferral: Deferral, r: RenderedReply): Promise<void> {
  const original = Routes.webhookMessage(applicationId, token, '@original');
  const edit = () => rest.patch(original, { body: messageBody(r), auth: false });
  const followUp = () => rest.post(Routes.webhook(applicationId, token), { body: followUpBody(r, true), auth: false });
  switch (deferral) {
    case 'ephemeral':
      await edit();
      return;
    case 'update':
      if (r.ephemeral) await followUp();
      else await edit();
      return;
    case 'public':
      if (r.ephemeral) {
        await rest.delete(original, { auth: false }).catch(() => undefined);
        await followUp();
      } else {
        await edit();
      }
  }
}

// ─── the handler ────────────────────────────────────────────────────────────────────────────

export interface DiscordHttpOptions {
  /** DISCORD_PUBLIC_KEY (hex) */
  publicKey: string;
  applicationId: string;
  /** REST for the edits and follow-ups (webhook routes need no token); default: a REST on `apiUrl` */
  rest?: REST;
  apiUrl?: string;
  bot: Bot;
  store: Store;
  log?: LogFn;
  /** the clock for the replay window (ms since the epoch) */
  now?: () => number;
  maxBodyBytes?: number;
  maxAgeSeconds?: number;
}

export interface DiscordHttpInteractions {
  /** The `POST /discord/interactions` handler (mount with `ops.setDiscordInteractions`). */
  handle(req: IncomingMessage, res: ServerResponse, ctx?: RequestContext): Promise<void>;
  /** Refuse new interactions (503) from now on: shutting down. */
  drain(): void;
  /** Resolves when every deferred answer in progress has been sent (or has failed). */
  idle(): Promise<void>;
  readonly inFlight: number;
}

const SIGNATURE = /^[0-9a-fA-F]{128}$/;
const TIMESTAMP = /^\d{1,12}$/;

export function createDiscordHttpInteractions(options: DiscordHttpOptions): DiscordHttpInteractions {
  const baseLog: LogFn = options.log ?? (() => undefined);
  const now = options.now ?? Date.now;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxAge = options.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS;
  const rest = options.rest ?? new REST({ api: options.apiUrl ?? 'https://discord.com/api' });
  const appId = options.applicationId;
  // import the key once (verifyKey would re-import a hex key on every request)
  const key: Promise<webcrypto.CryptoKey> = webcrypto.subtle.importKey('raw', Buffer.from(options.publicKey, 'hex'), { name: 'Ed25519' }, false, ['verify']);
  key.catch(() => undefined);
  const replays = createReplayCache({ maxAgeSeconds: maxAge });
  const jobs = new Set<Promise<void>>();
  let draining = false;

  function track(work: () => Promise<void>): void {
    const p: Promise<void> = work().finally(() => jobs.delete(p));
    jobs.add(p);
  }

  async function verify(req: IncomingMessage, res: ServerResponse, log: LogFn): Promise<Buffer | null> {
    const refuse = (status: number, reason: string, close = false) => {
      log('warn', 'discord interaction refused', { status, reason });
      sendJson(res, status, { error: status === 401 ? 'invalid request signature' : reason }, { close });
      return null;
    };
    const sig = req.headers['x-signature-ed25519'];
    const ts = req.headers['x-signature-timestamp'];
    if (typeof sig !== 'string' || typeof ts !== 'string' || !sig || !ts) return refuse(401, 'missing signature headers', true);
    if (!SIGNATURE.test(sig) || !TIMESTAMP.test(ts)) return refuse(401, 'malformed signature headers', true);
    const at = now();
    if (Math.abs(at / 1000 - Number(ts)) > maxAge) return refuse(401, 'stale timestamp', true);
    const body = await readBody(req, maxBody);
    if (!body.ok) return refuse(body.status, body.reason, true);
    const valid = await verifyKey(body.body, sig, ts, await key);
    if (!valid) return refuse(401, 'bad signature');
    if (!replays.accept(sig.toLowerCase(), at)) return refuse(401, 'replayed request');
    return body.body;
  }

  async function answerLater(i: RawInteraction, deferral: Deferral, log: LogFn, work: () => Promise<Reply>): Promise<void> {
    try {
      const reply = await work();
      await deliverDeferred(rest, appId, i.token, deferral, renderReply(reply));
    } catch (err) {
      log('error', 'discord interaction failed', { id: i.id, error: err instanceof Error ? err.message : String(err) });
      const sorry = renderReply({ kind: 'error', visibility: 'ephemeral', text: 'Something went wrong while answering. Try again in a minute; if it keeps failing, tell whoever runs Posture.' });
      await deliverDeferred(rest, appId, i.token, deferral, sorry).catch((e: unknown) =>
        // 10062 Unknown interaction (token expired) and the like: nothing more can be said
        log('warn', 'discord could not report the failure', { id: i.id, error: e instanceof Error ? e.message : String(e) }));
    }
  }

  /** Send the callback response, then (once it is on its way) start the work. */
  function deferThen(res: ServerResponse, callback: Record<string, unknown>, later: () => Promise<void>): void {
    track(() => new Promise<void>((resolve) => {
      const start = () => void later().finally(resolve);
      res.once('finish', start);
      res.once('close', () => {
        if (!res.writableFinished) resolve(); // the connection died before Discord heard us: nothing to edit
      });
      sendJson(res, 200, callback);
    }));
  }

  async function onCommand(i: RawInteraction, res: ServerResponse, log: LogFn): Promise<void> {
    if (i.data?.name !== COMMAND_NAME) {
      sendJson(res, 200, { type: CallbackType.ChannelMessage, data: { content: '⚠️ I only know /posture.', flags: EPHEMERAL } });
      return;
    }
    const who = requesterOfRaw(i);
    const built = commandFromOptions(optionsFromData(i.data));
    log('info', 'discord command', { id: i.id, path: built.path, ok: built.ok });
    if (!built.ok) {
      // a usage error needs no work: answer it in the callback itself, privately
      const r = renderReply({ kind: 'error', visibility: 'ephemeral', text: built.error });
      sendJson(res, 200, { type: CallbackType.ChannelMessage, data: followUpBody(r, true) });
      return;
    }
    const ephemeral = deferEphemeral(built.path, who);
    deferThen(
      res,
      { type: CallbackType.DeferredChannelMessage, ...(ephemeral ? { data: { flags: EPHEMERAL } } : {}) },
      () => answerLater(i, ephemeral ? 'ephemeral' : 'public', log, () => options.bot.handle(built.command, who)),
    );
  }

  async function onButton(i: RawInteraction, res: ServerResponse, log: LogFn): Promise<void> {
    const action = parseActionId(i.data?.custom_id ?? '');
    if (!action) {
      // not ours: acknowledge without changing anything
      sendJson(res, 200, { type: CallbackType.DeferredUpdate });
      return;
    }
    const who = requesterOfRaw(i);
    const plan = buttonPlan(action, who);
    log('info', 'discord button', { id: i.id, kind: action.kind });
    const callback = plan.deferral === 'update'
      ? { type: CallbackType.DeferredUpdate }
      : { type: CallbackType.DeferredChannelMessage, ...(plan.deferral === 'ephemeral' ? { data: { flags: EPHEMERAL } } : {}) };
    deferThen(res, callback, () => answerLater(i, plan.deferral, log, () => plan.run(options.bot, who)));
  }

  async function onAutocomplete(i: RawInteraction, res: ServerResponse, log: LogFn): Promise<void> {
    let choices: { name: string; value: string }[] = [];
    try {
      const focused = i.data?.name === COMMAND_NAME ? optionsFromData(i.data).focused : null;
      if (focused) choices = await autocompleteChoices(focused, requesterOfRaw(i).channel, options.store);
    } catch (err) {
      log('warn', 'discord autocomplete failed', { id: i.id, error: err instanceof Error ? err.message : String(err) });
    }
    sendJson(res, 200, { type: CallbackType.Autocomplete, data: { choices } });
  }

  return {
    async handle(req, res, ctx) {
      const log: LogFn = ctx ? (level, message, fields) => ctx.log(level, message, fields) : baseLog;
      if (draining) {
        sendJson(res, 503, { error: 'shutting down' }, { close: true });
        return;
      }
      const raw = await verify(req, res, log);
      if (!raw) return;
      let payload: unknown;
      try {
        payload = JSON.parse(raw.toString('utf8'));
      } catch {
        payload = null;
      }
      if (!isRawInteraction(payload)) {
        sendJson(res, 400, { error: 'not an interaction' });
        return;
      }
      switch (payload.type) {
        case InteractionKind.Ping:
          sendJson(res, 200, { type: CallbackType.Pong });
          return;
        case InteractionKind.ApplicationCommand:
          return onCommand(payload, res, log);
        case InteractionKind.MessageComponent:
          return onButton(payload, res, log);
        case InteractionKind.Autocomplete:
          return onAutocomplete(payload, res, log);
        default:
          sendJson(res, 400, { error: 'unsupported interaction type' });
      }
    },
    drain() {
      draining = true;
    },
    async idle() {
      while (jobs.size) await Promise.allSettled([...jobs]);
    },
    get inFlight() {
      return jobs.size;
    },
  };
}

// ─── the HTTP-mode adapter for `posture serve` ──────────────────────────────────────────────

export interface DiscordHttpConfig extends DiscordConfig {
  publicKey: string;
}

export interface DiscordHttpBotDeps {
  bot: Bot;
  store: Store;
  log?: LogFn;
  delivery?: { clock?: Clock; intervalMs?: number; maxRateLimitWaitMs?: number };
  restOptions?: Partial<RESTOptions>;
  now?: () => number;
}

export interface DiscordHttpBot {
  rest: REST;
  interactions: DiscordHttpInteractions;
  /** the digest delivery port (POST /channels/{id}/messages with the bot token) */
  port: DiscordDeliveryPort;
  /** check the bot token (GET /users/@me); no gateway connection */
  start(): Promise<void>;
  /** true once started: HTTP mode has no connection to lose */
  readonly ready: boolean;
  /** refuse new interactions, finish the deferred answers in progress (up to `graceMs`) */
  stop(graceMs?: number): Promise<void>;
}

export function createDiscordHttpBot(config: DiscordHttpConfig, deps: DiscordHttpBotDeps): DiscordHttpBot {
  const log: LogFn = deps.log ?? (() => undefined);
  const maxWait = deps.delivery?.maxRateLimitWaitMs ?? DEFAULT_MAX_RATE_LIMIT_WAIT_MS;
  const rest = new REST({ ...deps.restOptions, api: config.apiUrl, rejectOnRateLimit: restRateLimitPolicy(maxWait) }).setToken(config.token);
  const interactions = createDiscordHttpInteractions({
    publicKey: config.publicKey,
    applicationId: config.applicationId,
    rest,
    bot: deps.bot,
    store: deps.store,
    log,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const port = createDiscordDelivery({
    rest,
    ...(deps.delivery?.clock ? { clock: deps.delivery.clock } : {}),
    ...(deps.delivery?.intervalMs !== undefined ? { intervalMs: deps.delivery.intervalMs } : {}),
    log,
  });
  let ready = false;
  return {
    rest,
    interactions,
    port,
    async start() {
      try {
        await rest.get(Routes.user('@me'));
      } catch (err) {
        const status = (err as { status?: number }).status;
        throw new Error(status === 401 ? 'Discord rejected DISCORD_TOKEN (401): check the bot token' : `Discord REST check failed: ${(err as Error).message}`);
      }
      ready = true;
      log('info', 'discord ready (HTTP interactions)', { applicationId: config.applicationId, path: DISCORD_INTERACTIONS_PATH });
    },
    get ready() {
      return ready;
    },
    async stop(graceMs = 10_000) {
      interactions.drain();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        interactions.idle(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
          timer.unref();
        }),
      ]);
      if (timer) clearTimeout(timer);
      if (interactions.inFlight) log('warn', 'discord: deferred answers still in progress at shutdown', { count: interactions.inFlight });
      ready = false;
      rest.clearHashSweeper();
      rest.clearHandlerSweeper();
    },
  };
}
