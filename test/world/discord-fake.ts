/**
 * A fake Discord on loopback for the real discord.js client (chatops research §2.10):
 *
 * - REST under `/api/v10/…` on 127.0.0.1 (ephemeral port): `GET /gateway/bot`, `GET /users/@me`,
 *   `GET/PUT /applications/{app}/commands` and `…/guilds/{guild}/commands`,
 *   `POST /interactions/{id}/{token}/callback`, `PATCH|DELETE /webhooks/{app}/{token}/messages/@original`,
 *   `POST /webhooks/{app}/{token}` (follow-ups), `POST|GET /channels/{id}/messages` with
 *   programmable failures (50001, 50013, 429 with Retry-After). Every call is recorded in order.
 * - A gateway WebSocket at `/gateway`: HELLO (op 10), heartbeat (op 1) → ACK (op 11),
 *   IDENTIFY (op 2) → READY with `guilds: []`; helpers dispatch GUILD_CREATE, INTERACTION_CREATE
 *   (chat input with options, autocomplete, button) and MESSAGE_CREATE (a mention).
 *
 * Interactions behave as Discord's do: a second callback is refused with 40060 (already
 * acknowledged), an unknown one with 10062, and a webhook edit before any callback with 10015.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakeCall {
  /** global order of calls and gateway events */
  seq: number;
  method: string;
  /** the path after `/api/v10`, e.g. `/interactions/1/abc/callback` */
  path: string;
  query: URLSearchParams;
  body: any;
  authorization: string | undefined;
  status: number;
}

export interface ChannelFailure {
  status: number;
  code?: number;
  message?: string;
  /** seconds (429) */
  retryAfter?: number;
  /** how many posts fail (default: all) */
  times?: number;
}

export interface FakeUser {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: string | null;
  bot?: boolean;
}

export interface InteractionContext {
  guildId?: string;
  channelId?: string;
  user?: FakeUser;
  /** the member's permissions in the channel (bitfield); default: none beyond View Channel + Send Messages */
  permissions?: bigint;
}

export interface FakeInteraction {
  id: string;
  token: string;
  payload: any;
}

export interface FakeMessage {
  id: string;
  channel_id: string;
  body: any;
}

/** Permission bits used by the tests (discord-api-types values). */
export const PERMS = {
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  EmbedLinks: 1n << 14n,
  ManageGuild: 1n << 5n,
  Administrator: 1n << 3n,
};

export const DEFAULT_MEMBER_PERMS = PERMS.ViewChannel | PERMS.SendMessages | PERMS.EmbedLinks;

let snowflakeCounter = 0n;
function snowflake(): string {
  // a plausible snowflake: recent timestamp << 22 plus a counter
  snowflakeCounter += 1n;
  return String(((BigInt(Date.now()) - 1420070400000n) << 22n) + (snowflakeCounter % 4096n));
}

export interface FakeDiscordOptions {
  token?: string;
  applicationId?: string;
  /** op 10 heartbeat_interval (default 45000; discord.js sends its first heartbeat after a jittered fraction) */
  heartbeatIntervalMs?: number;
}

interface InteractionState {
  id: string;
  token: string;
  acknowledged: boolean;
  originalId: string | null;
  channelId: string;
}

type Waiter = { predicate: (c: FakeCall) => boolean; resolve: (c: FakeCall) => void };

export class FakeDiscord {
  readonly token: string;
  readonly applicationId: string;
  readonly botUser: FakeUser;
  readonly calls: FakeCall[] = [];
  /** gateway frames received from clients, in order */
  readonly gatewayReceived: { seq: number; op: number; d: any }[] = [];
  readonly globalCommands: any[] = [];
  readonly guildCommands = new Map<string, any[]>();
  readonly channelMessages = new Map<string, FakeMessage[]>();
  readonly identifies: any[] = [];
  apiUrl = '';
  gatewayUrl = '';
  private seq = 0;
  private gatewaySeq = 0;
  private readonly server: http.Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private readonly ready = new Set<WebSocket>();
  private readonly interactions = new Map<string, InteractionState>();
  private readonly failures = new Map<string, ChannelFailure[]>();
  private waiters: Waiter[] = [];
  private readyWaiters: (() => void)[] = [];
  private readonly heartbeatIntervalMs: number;

  constructor(options: FakeDiscordOptions = {}) {
    this.token = options.token ?? `fake.${randomBytes(12).toString('hex')}`;
    this.applicationId = options.applicationId ?? '1234567890123456789';
    this.botUser = { id: '1100000000000000001', username: 'Posture', discriminator: '0', global_name: 'Posture', avatar: null, bot: true };
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 45_000;
    this.server = http.createServer((req, res) => void this.onRequest(req, res));
    this.wss = new WebSocketServer({ server: this.server, path: '/gateway' });
    this.wss.on('connection', (ws) => this.onConnection(ws));
  }

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    const { port } = this.server.address() as AddressInfo;
    this.apiUrl = `http://127.0.0.1:${port}/api`;
    this.gatewayUrl = `ws://127.0.0.1:${port}/gateway`;
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  // ── programmable behaviour ──────────────────────────────────────────────────────────────

  /** Make posts to a channel fail (in order; each entry `times` posts, default all). */
  failChannel(channelId: string, ...failures: ChannelFailure[]): void {
    this.failures.set(channelId, failures.map((f) => ({ ...f })));
  }

  // ── inspection ──────────────────────────────────────────────────────────────────────────

  /** The first recorded call matching, now or later (no timing in the test: it resolves on arrival). */
  waitForCall(predicate: (c: FakeCall) => boolean, timeoutMs = 15_000): Promise<FakeCall> {
    const hit = this.calls.find(predicate);
    if (hit) return Promise.resolve(hit);
    return new Promise<FakeCall>((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (c) => {
          clearTimeout(timer);
          resolve(c);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`fake discord: no matching call within ${timeoutMs} ms; calls: ${this.calls.map((c) => `${c.method} ${c.path}`).join(', ')}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  callsFor(interaction: FakeInteraction): FakeCall[] {
    return this.calls.filter((c) => c.path.includes(`/${interaction.token}`));
  }

  /** Resolves when a client has identified and received READY (immediately if one has). */
  waitForReady(): Promise<void> {
    if (this.ready.size > 0) return Promise.resolve();
    return new Promise((r) => this.readyWaiters.push(r));
  }

  get connectedClients(): number {
    return this.ready.size;
  }

  // ── gateway ─────────────────────────────────────────────────────────────────────────────

  private send(ws: WebSocket, payload: unknown): void {
    ws.send(JSON.stringify(payload));
  }

  private onConnection(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.ready.delete(ws);
    });
    ws.on('message', (raw) => {
      let frame: { op: number; d: any };
      try {
        frame = JSON.parse(String(raw));
      } catch {
        ws.close(4002, 'Decode error');
        return;
      }
      this.gatewayReceived.push({ seq: ++this.seq, op: frame.op, d: frame.d });
      switch (frame.op) {
        case 1: // heartbeat
          this.send(ws, { op: 11, d: null });
          break;
        case 2: {
          // identify
          if (frame.d?.token !== this.token) {
            ws.close(4004, 'Authentication failed.');
            return;
          }
          this.identifies.push({ ...frame.d, token: '[redacted]' });
          this.send(ws, {
            op: 0,
            t: 'READY',
            s: ++this.gatewaySeq,
            d: {
              v: 10,
              user: this.botUser,
              guilds: [],
              session_id: randomBytes(8).toString('hex'),
              resume_gateway_url: this.gatewayUrl,
              shard: [0, 1],
              application: { id: this.applicationId, flags: 0 },
              user_settings: {},
              relationships: [],
              private_channels: [],
              presences: [],
              guild_join_requests: [],
              geo_ordered_rtc_regions: [],
            },
          });
          this.ready.add(ws);
          for (const r of this.readyWaiters.splice(0)) r();
          break;
        }
        case 6: // resume: not supported, ask for a fresh identify
          this.send(ws, { op: 9, d: false });
          break;
        default:
          break;
      }
    });
    this.send(ws, { op: 10, d: { heartbeat_interval: this.heartbeatIntervalMs } });
  }

  /** Send a dispatch (op 0) to every identified client. */
  dispatch(t: string, d: unknown): void {
    if (this.ready.size === 0) throw new Error('fake discord: no identified gateway client to dispatch to');
    for (const ws of this.ready) this.send(ws, { op: 0, t, s: ++this.gatewaySeq, d });
  }

  /** GUILD_CREATE for a guild with text channels (so messages in it reach discord.js's cache). */
  addGuild(guild: { id: string; name?: string; ownerId?: string; channels: string[]; everyonePermissions?: bigint }): void {
    this.dispatch('GUILD_CREATE', {
      id: guild.id,
      name: guild.name ?? 'Test Guild',
      icon: null,
      splash: null,
      discovery_splash: null,
      owner_id: guild.ownerId ?? '1900000000000000009',
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: [{ id: guild.id, name: '@everyone', permissions: String(guild.everyonePermissions ?? DEFAULT_MEMBER_PERMS), position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0, icon: null, unicode_emoji: null }],
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      joined_at: new Date().toISOString(),
      large: false,
      unavailable: false,
      member_count: 2,
      voice_states: [],
      members: [],
      channels: guild.channels.map((id, i) => ({ id, type: 0, guild_id: guild.id, name: `channel-${i}`, position: i, permission_overwrites: [], nsfw: false, parent_id: null, topic: null, last_message_id: null, rate_limit_per_user: 0 })),
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
      premium_tier: 0,
      premium_subscription_count: 0,
      preferred_locale: 'en-US',
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
      vanity_url_code: null,
      description: null,
      banner: null,
      max_video_channel_users: 25,
      application_id: null,
      public_updates_channel_id: null,
      safety_alerts_channel_id: null,
    });
  }

  user(id: string, username = `user${id.slice(-4)}`): FakeUser {
    return { id, username, discriminator: '0', global_name: username, avatar: null };
  }

  private base(type: number, ctx: InteractionContext): any & { id: string; token: string } {
    const id = snowflake();
    const token = `itk_${randomBytes(16).toString('hex')}`;
    const guildId = ctx.guildId ?? '1300000000000000001';
    const channelId = ctx.channelId ?? '1400000000000000001';
    const user = ctx.user ?? this.user('1500000000000000001', 'alice');
    const perms = ctx.permissions ?? DEFAULT_MEMBER_PERMS;
    this.interactions.set(token, { id, token, acknowledged: false, originalId: null, channelId });
    return {
      id,
      application_id: this.applicationId,
      type,
      token,
      version: 1,
      guild_id: guildId,
      channel_id: channelId,
      channel: { id: channelId, type: 0, guild_id: guildId, name: 'general', permissions: String(perms), nsfw: false, parent_id: null, position: 0, flags: 0 },
      guild: { id: guildId, locale: 'en-US', features: [] },
      member: {
        user,
        roles: [],
        permissions: String(perms),
        joined_at: new Date().toISOString(),
        nick: null,
        avatar: null,
        premium_since: null,
        deaf: false,
        mute: false,
        flags: 0,
        pending: false,
        communication_disabled_until: null,
      },
      app_permissions: String(DEFAULT_MEMBER_PERMS),
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': guildId },
      context: 0,
      attachment_size_limit: 8_388_608,
    };
  }

  private commandData(path: string, options: Record<string, string>, focused?: string): any {
    const [a, b] = path.split(' ');
    const leaf = Object.entries(options).map(([name, value]) => ({ type: 3, name, value, ...(name === focused ? { focused: true } : {}) }));
    const sub = b ? { type: 2, name: a, options: [{ type: 1, name: b, options: leaf }] } : { type: 1, name: a, options: leaf };
    return { id: this.globalCommands.find((c) => c.name === 'posture')?.id ?? snowflake(), name: 'posture', type: 1, options: [sub] };
  }

  /** `/posture <path> option:value…` (path: "check", "digest set"). */
  chatInput(path: string, options: Record<string, string> = {}, ctx: InteractionContext = {}): FakeInteraction {
    const payload = { ...this.base(2, ctx), data: this.commandData(path, options) };
    this.dispatch('INTERACTION_CREATE', payload);
    return { id: payload.id, token: payload.token, payload };
  }

  /** An autocomplete request with `focused` the option being typed. */
  autocomplete(path: string, options: Record<string, string>, focused: string, ctx: InteractionContext = {}): FakeInteraction {
    const payload = { ...this.base(4, ctx), data: this.commandData(path, options, focused) };
    this.dispatch('INTERACTION_CREATE', payload);
    return { id: payload.id, token: payload.token, payload };
  }

  /** A button press on a message the bot posted. */
  button(customId: string, ctx: InteractionContext = {}, message?: { id?: string; embeds?: unknown[]; components?: unknown[] }): FakeInteraction {
    const base = this.base(3, ctx);
    const payload = {
      ...base,
      data: { custom_id: customId, component_type: 2 },
      message: {
        id: message?.id ?? snowflake(),
        channel_id: base.channel_id,
        author: this.botUser,
        content: '',
        timestamp: new Date().toISOString(),
        edited_timestamp: null,
        tts: false,
        mention_everyone: false,
        mentions: [],
        mention_roles: [],
        attachments: [],
        embeds: message?.embeds ?? [],
        components: message?.components ?? [],
        pinned: false,
        type: 0,
        flags: 0,
        application_id: this.applicationId,
      },
    };
    this.dispatch('INTERACTION_CREATE', payload);
    return { id: payload.id, token: payload.token, payload };
  }

  /** MESSAGE_CREATE: `content` from `author` in a guild channel, mentioning the bot when `mention`. */
  message(content: string, ctx: { guildId: string; channelId: string; author?: FakeUser; mention?: boolean }): string {
    const id = snowflake();
    const author = ctx.author ?? this.user('1500000000000000002', 'bob');
    const mention = ctx.mention ?? true;
    this.dispatch('MESSAGE_CREATE', {
      id,
      channel_id: ctx.channelId,
      guild_id: ctx.guildId,
      author,
      member: { roles: [], joined_at: new Date().toISOString(), nick: null, deaf: false, mute: false, flags: 0, pending: false, premium_since: null, communication_disabled_until: null, avatar: null },
      content: mention ? `<@${this.botUser.id}> ${content}` : content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: mention ? [this.botUser] : [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      components: [],
      pinned: false,
      type: 0,
      flags: 0,
    });
    return id;
  }

  // ── REST ────────────────────────────────────────────────────────────────────────────────

  private messageObject(channelId: string, body: any, extra: Record<string, unknown> = {}): any {
    return {
      id: snowflake(),
      channel_id: channelId,
      author: this.botUser,
      content: body?.content ?? '',
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: body?.embeds ?? [],
      components: body?.components ?? [],
      pinned: false,
      type: 0,
      flags: body?.flags ?? 0,
      ...(body?.nonce !== undefined ? { nonce: body.nonce } : {}),
      application_id: this.applicationId,
      ...extra,
    };
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    let body: any = undefined;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const path = decodeURIComponent(url.pathname).replace(/^\/api\/v10/, '');
    const call: FakeCall = { seq: ++this.seq, method, path, query: url.searchParams, body, authorization: req.headers.authorization, status: 0 };
    const reply = (status: number, json?: unknown, headers: Record<string, string> = {}): void => {
      call.status = status;
      this.calls.push(call);
      res.writeHead(status, { ...(json === undefined ? {} : { 'content-type': 'application/json' }), ...headers });
      res.end(json === undefined ? undefined : JSON.stringify(json));
      for (const w of this.waiters.slice()) {
        if (w.predicate(call)) {
          this.waiters = this.waiters.filter((x) => x !== w);
          w.resolve(call);
        }
      }
    };
    const fail = (status: number, code: number, message: string) => reply(status, { message, code });
    if (!url.pathname.startsWith('/api/v10/')) return fail(404, 0, '404: Not Found');

    const authed = req.headers.authorization === `Bot ${this.token}`;
    const needsAuth = !/^\/(interactions|webhooks)\//.test(path);
    if (needsAuth && !authed) return fail(401, 0, '401: Unauthorized');

    let m: RegExpMatchArray | null;
    if (method === 'GET' && path === '/gateway/bot') {
      return reply(200, { url: this.gatewayUrl, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 } });
    }
    if (method === 'GET' && path === '/users/@me') return reply(200, this.botUser);
    if ((m = path.match(/^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/))) {
      if (m[1] !== this.applicationId) return fail(403, 50001, 'Missing Access');
      const guildId = m[2];
      const current = guildId ? (this.guildCommands.get(guildId) ?? []) : this.globalCommands;
      if (method === 'GET') return reply(200, current);
      if (method === 'PUT') {
        if (!Array.isArray(body)) return fail(400, 50035, 'Invalid Form Body');
        const next = body.map((c: any) => {
          const old = current.find((o) => o.name === c.name);
          return {
            ...c,
            id: old?.id ?? snowflake(),
            application_id: this.applicationId,
            version: snowflake(),
            default_member_permissions: c.default_member_permissions ?? null,
            type: c.type ?? 1,
            nsfw: c.nsfw ?? false,
            ...(guildId ? { guild_id: guildId } : {}),
          };
        });
        if (guildId) this.guildCommands.set(guildId, next);
        else this.globalCommands.splice(0, this.globalCommands.length, ...next);
        return reply(200, next);
      }
    }
    if (method === 'POST' && (m = path.match(/^\/interactions\/(\d+)\/([^/]+)\/callback$/))) {
      const state = this.interactions.get(m[2]!);
      if (!state || state.id !== m[1]) return fail(404, 10062, 'Unknown interaction');
      if (state.acknowledged) return fail(400, 40060, 'Interaction has already been acknowledged.');
      state.acknowledged = true;
      const type = body?.type;
      if (type === 4 || type === 5) state.originalId = snowflake();
      return reply(204);
    }
    if ((m = path.match(/^\/webhooks\/(\d+)\/([^/]+)\/messages\/@original$/))) {
      const state = this.interactions.get(m[2]!);
      if (m[1] !== this.applicationId || !state) return fail(404, 10015, 'Unknown Webhook');
      if (!state.acknowledged) return fail(404, 10015, 'Unknown Webhook');
      if (method === 'PATCH') {
        state.originalId ??= snowflake();
        return reply(200, this.messageObject(state.channelId, body, { id: state.originalId }));
      }
      if (method === 'DELETE') {
        state.originalId = null;
        return reply(204);
      }
    }
    if (method === 'POST' && (m = path.match(/^\/webhooks\/(\d+)\/([^/]+)$/))) {
      const state = this.interactions.get(m[2]!);
      if (m[1] !== this.applicationId || !state || !state.acknowledged) return fail(404, 10015, 'Unknown Webhook');
      return reply(200, this.messageObject(state.channelId, body));
    }
    if ((m = path.match(/^\/channels\/(\d+)\/messages$/))) {
      const channelId = m[1]!;
      if (method === 'GET') {
        const list = (this.channelMessages.get(channelId) ?? []).slice().reverse().map((x) => this.messageObject(channelId, x.body, { id: x.id }));
        return reply(200, list.slice(0, Number(url.searchParams.get('limit') ?? 50)));
      }
      if (method === 'POST') {
        const queue = this.failures.get(channelId);
        const f = queue?.[0];
        if (f) {
          if (f.times !== undefined) {
            f.times -= 1;
            if (f.times <= 0) queue!.shift();
          }
          if (f.status === 429) {
            const after = f.retryAfter ?? 0.05;
            return reply(429, { message: 'You are being rate limited.', retry_after: after, global: false, code: 20028 }, {
              'retry-after': String(after),
              'x-ratelimit-scope': 'user',
            });
          }
          return fail(f.status, f.code ?? 0, f.message ?? (f.code === 50013 ? 'Missing Permissions' : f.code === 50001 ? 'Missing Access' : 'Error'));
        }
        const list = this.channelMessages.get(channelId) ?? [];
        // enforce_nonce: the same nonce returns the message already posted
        const dup = body?.enforce_nonce && body?.nonce !== undefined ? list.find((x) => x.body?.nonce === body.nonce) : undefined;
        if (dup) return reply(200, this.messageObject(channelId, dup.body, { id: dup.id }));
        const msg = this.messageObject(channelId, body);
        list.push({ id: msg.id, channel_id: channelId, body });
        this.channelMessages.set(channelId, list);
        return reply(200, msg);
      }
    }
    return fail(404, 0, '404: Not Found');
  }
}

export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const fake = new FakeDiscord(options);
  await fake.listen();
  return fake;
}
