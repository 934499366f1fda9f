/**
 * A fake Slack on loopback for end-to-end tests of the real Bolt app:
 *  - the Web API at `${url}/api/<method>` (`clientOptions.slackApiUrl`): auth.test,
 *    chat.postMessage / postEphemeral / update / delete, conversations.join, views.publish,
 *    oauth.v2.access, apps.connections.open — every call recorded, errors programmable
 *    (`failNext`: a Slack `error` string or an HTTP 429 with Retry-After), channel membership
 *    modelled (`setChannel`: a public channel the bot has not joined answers `not_in_channel`
 *    until `conversations.join`; a private one cannot be joined);
 *  - `response_url`s at `${url}/respond/<id>` recording what the app POSTs;
 *  - a Socket Mode WebSocket (`hello`, envelopes, acks);
 *  - helpers that send correctly (or deliberately wrongly) signed requests to the app's receiver.
 * No timers: tests wait with `waitFor(predicate)`, which re-checks on every recorded request.
 */
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface ApiCall {
  method: string;
  args: Record<string, unknown>;
  /** the bearer token the call carried (compare, never print) */
  token: string | null;
}

export interface ResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
}

export type Failure =
  | { error: string }
  | { status: 429; retryAfter: number }
  | { status: 500 | 502 | 503; body?: string };

export interface ChannelSpec {
  isPrivate?: boolean;
  /** is the bot a member? (default true) */
  member?: boolean;
  archived?: boolean;
}

export interface FakeSlackOptions {
  teamId?: string;
  teamName?: string;
  botUserId?: string;
  botId?: string;
  /** tokens auth.test accepts (default: any xoxb-) */
  validTokens?: string[];
}

export interface OAuthGrant {
  teamId: string;
  teamName: string;
  botToken: string;
  userId?: string;
}

export interface SocketEnvelopeAck {
  envelope_id: string;
  payload?: unknown;
}

export interface FakeSlack {
  url: string;
  /** for `clientOptions.slackApiUrl` / SLACK_API_URL */
  apiUrl: string;
  teamId: string;
  botUserId: string;
  calls: ApiCall[];
  responses: ResponseUrlPost[];
  callsTo(method: string): ApiCall[];
  /** a fresh response_url; what is POSTed there lands in `responses` */
  responseUrl(id?: string): string;
  responsesTo(id: string): ResponseUrlPost[];
  failNext(method: string, ...failures: Failure[]): void;
  setChannel(id: string, spec: ChannelSpec): void;
  /** the next `oauth.v2.access` with this code installs this grant */
  grantOAuth(code: string, grant: OAuthGrant): void;
  /** revoke a token: auth.test and every call with it answer invalid_auth */
  revoke(token: string): void;
  /** resolves once `check()` returns something truthy (re-checked on every request); never time-based */
  waitFor<T>(check: () => T | undefined | null | false): Promise<T>;
  /** Socket Mode: send an envelope to the connected app and wait for its ack */
  sendEnvelope(type: 'slash_commands' | 'events_api' | 'interactive', payload: unknown): Promise<SocketEnvelopeAck>;
  /** how many Socket Mode connections are open */
  readonly sockets: number;
  close(): Promise<void>;
}

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (!raw) return {};
  if (contentType?.includes('application/json')) {
    try {
      return JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    if (/^[[{]/.test(v)) {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        // a plain string after all
      }
    }
    out[k] = v;
  }
  return out;
}

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const teamId = options.teamId ?? 'T0POSTURE';
  const teamName = options.teamName ?? 'Posture Test';
  const botUserId = options.botUserId ?? 'U0POSTBOT';
  const botId = options.botId ?? 'B0POSTBOT';
  const calls: ApiCall[] = [];
  const responses: ResponseUrlPost[] = [];
  const failures = new Map<string, Failure[]>();
  const channels = new Map<string, ChannelSpec>();
  const grants = new Map<string, OAuthGrant>();
  const revoked = new Set<string>();
  const tokenTeams = new Map<string, { teamId: string; teamName: string }>();
  const waiters = new Set<() => void>();
  let ts = 1_700_000_000;
  const notify = (): void => {
    for (const w of [...waiters]) w();
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const json = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(JSON.stringify(body));
        notify();
      };
      if (url.pathname.startsWith('/respond/')) {
        const id = decodeURIComponent(url.pathname.slice('/respond/'.length));
        responses.push({ id, body: parseBody(raw, req.headers['content-type'] ?? 'application/json') });
        json(200, { ok: true });
        return;
      }
      if (!url.pathname.startsWith('/api/')) {
        json(404, { ok: false, error: 'unknown_path' });
        return;
      }
      const method = url.pathname.slice('/api/'.length);
      const auth = req.headers.authorization;
      const token = auth?.startsWith('Bearer ') ? auth.slice(7) : null;
      const args = parseBody(raw, req.headers['content-type']);
      const bodyToken = typeof args['token'] === 'string' ? (args['token'] as string) : null;
      const tok = token || bodyToken;
      calls.push({ method, args, token: tok });

      const queued = failures.get(method);
      const fail = queued?.shift();
      if (fail) {
        if ('error' in fail) return json(200, { ok: false, error: fail.error });
        if ('retryAfter' in fail) return json(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fail.retryAfter) });
        res.writeHead(fail.status, { 'content-type': 'text/plain' });
        res.end(('body' in fail ? fail.body : undefined) ?? 'error');
        notify();
        return;
      }
      if (method !== 'oauth.v2.access' && (!tok || revoked.has(tok))) {
        return json(200, { ok: false, error: tok ? 'invalid_auth' : 'not_authed' });
      }
      if (method !== 'oauth.v2.access' && method !== 'apps.connections.open' && options.validTokens && tok && !options.validTokens.includes(tok) && !tokenTeams.has(tok)) {
        return json(200, { ok: false, error: 'invalid_auth' });
      }
      const team = (tok && tokenTeams.get(tok)) || { teamId, teamName };
      switch (method) {
        case 'auth.test':
          return json(200, {
            ok: true, url: `https://${team.teamName.toLowerCase().replace(/\W+/g, '')}.slack.test/`, team: team.teamName,
            user: 'posture', team_id: team.teamId, user_id: botUserId, bot_id: botId, is_enterprise_install: false,
          });
        case 'chat.postMessage': {
          const channel = String(args['channel'] ?? '');
          const spec = channels.get(channel);
          if (spec?.archived) return json(200, { ok: false, error: 'is_archived' });
          if (spec && spec.member === false) return json(200, { ok: false, error: spec.isPrivate ? 'channel_not_found' : 'not_in_channel' });
          ts++;
          return json(200, { ok: true, channel, ts: `${ts}.000100`, message: { text: args['text'], blocks: args['blocks'] } });
        }
        case 'chat.postEphemeral':
          ts++;
          return json(200, { ok: true, message_ts: `${ts}.000200` });
        case 'chat.update':
          return json(200, { ok: true, channel: args['channel'], ts: args['ts'], text: args['text'] });
        case 'chat.delete':
          return json(200, { ok: true, channel: args['channel'], ts: args['ts'] });
        case 'conversations.join': {
          const channel = String(args['channel'] ?? '');
          const spec = channels.get(channel);
          if (spec?.isPrivate) return json(200, { ok: false, error: 'method_not_supported_for_channel_type' });
          if (spec?.archived) return json(200, { ok: false, error: 'is_archived' });
          channels.set(channel, { ...spec, member: true });
          return json(200, { ok: true, channel: { id: channel, is_member: true } });
        }
        case 'conversations.info': {
          const channel = String(args['channel'] ?? '');
          const spec = channels.get(channel) ?? {};
          return json(200, { ok: true, channel: { id: channel, is_private: !!spec.isPrivate, is_member: spec.member !== false, is_archived: !!spec.archived } });
        }
        case 'views.publish':
          return json(200, { ok: true, view: { id: 'V0HOME', ...(args['view'] as object) } });
        case 'oauth.v2.access': {
          const code = String(args['code'] ?? '');
          const grant = grants.get(code);
          if (!grant) return json(200, { ok: false, error: 'invalid_code' });
          grants.delete(code);
          tokenTeams.set(grant.botToken, { teamId: grant.teamId, teamName: grant.teamName });
          return json(200, {
            ok: true, app_id: 'A0POSTURE', authed_user: { id: grant.userId ?? 'U0INSTALLER' }, scope: 'commands,chat:write',
            token_type: 'bot', access_token: grant.botToken, bot_user_id: botUserId,
            team: { id: grant.teamId, name: grant.teamName }, enterprise: null, is_enterprise_install: false,
          });
        }
        case 'apps.connections.open': {
          if (!tok?.startsWith('xapp-')) return json(200, { ok: false, error: 'invalid_auth' });
          const { port } = server.address() as AddressInfo;
          return json(200, { ok: true, url: `ws://127.0.0.1:${port}/socket?ticket=${randomUUID()}` });
        }
        default:
          return json(200, { ok: false, error: 'unknown_method' });
      }
    });
  });

  // ─── Socket Mode ──────────────────────────────────────────────────────────────────────────
  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set<WebSocket>();
  const acks = new Map<string, (ack: SocketEnvelopeAck) => void>();
  server.on('upgrade', (req, socket, head) => {
    if (!req.url?.startsWith('/socket')) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => {
        sockets.delete(ws);
        notify();
      });
      ws.on('message', (data) => {
        try {
          const msg = JSON.parse(String(data)) as SocketEnvelopeAck;
          acks.get(msg.envelope_id)?.(msg);
        } catch {
          // not ours
        }
      });
      ws.send(JSON.stringify({ type: 'hello', num_connections: sockets.size, connection_info: { app_id: 'A0POSTURE' }, debug_info: { host: 'fake' } }));
      notify();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const fake: FakeSlack = {
    url,
    apiUrl: `${url}/api/`,
    teamId,
    botUserId,
    calls,
    responses,
    callsTo: (method) => calls.filter((c) => c.method === method),
    responseUrl: (id = randomUUID()) => `${url}/respond/${encodeURIComponent(id)}`,
    responsesTo: (id) => responses.filter((r) => r.id === id),
    failNext(method, ...f) {
      failures.set(method, [...(failures.get(method) ?? []), ...f]);
    },
    setChannel(id, spec) {
      channels.set(id, spec);
    },
    grantOAuth(code, grant) {
      grants.set(code, grant);
    },
    revoke(token) {
      revoked.add(token);
    },
    waitFor<T>(check: () => T | undefined | null | false): Promise<T> {
      return new Promise<T>((resolve) => {
        const attempt = (): void => {
          const v = check();
          if (v) {
            waiters.delete(attempt);
            resolve(v);
          }
        };
        waiters.add(attempt);
        attempt();
      });
    },
    async sendEnvelope(type, payload) {
      const ws = await fake.waitFor(() => [...sockets].find((s) => s.readyState === s.OPEN));
      const envelope_id = randomUUID();
      const acked = new Promise<SocketEnvelopeAck>((resolve) => acks.set(envelope_id, resolve));
      ws.send(JSON.stringify({ envelope_id, type, payload, accepts_response_payload: type !== 'events_api', retry_attempt: 0, retry_reason: '' }));
      const ack = await acked;
      acks.delete(envelope_id);
      return ack;
    },
    get sockets() {
      return sockets.size;
    },
    async close() {
      for (const s of sockets) s.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

// ─── signed requests to the app's receiver ────────────────────────────────────────────────

export function slackSignature(secret: string, timestamp: number | string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SendOptions {
  /** seconds since the epoch (default now); a stale one is > 5 minutes old */
  timestamp?: number;
  /** override the signature: null sends none; a string is sent as is */
  signature?: string | null;
  /** sign with this secret instead (a wrong one) */
  secret?: string;
}

export async function sendSigned(
  endpoint: string,
  secret: string,
  body: string,
  contentType: string,
  options: SendOptions = {},
): Promise<{ status: number; text: string; json: unknown }> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': contentType, 'x-slack-request-timestamp': String(timestamp) };
  const signature = options.signature === undefined ? slackSignature(options.secret ?? secret, timestamp, body) : options.signature;
  if (signature !== null) headers['x-slack-signature'] = signature;
  const res = await fetch(endpoint, { method: 'POST', headers, body });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, text, json };
}

export interface SlashCommandFields {
  text: string;
  response_url: string;
  command?: string;
  team_id?: string;
  channel_id?: string;
  user_id?: string;
  [k: string]: string | undefined;
}

export function slashCommandBody(fields: SlashCommandFields): string {
  const all: Record<string, string> = {
    token: 'deprecated-verification-token',
    command: '/posture',
    team_id: 'T0POSTURE',
    team_domain: 'posture-test',
    channel_id: 'C0GENERAL',
    channel_name: 'general',
    user_id: 'U0ALICE',
    user_name: 'alice',
    api_app_id: 'A0POSTURE',
    trigger_id: `trigger.${randomUUID()}`,
    ...Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined)),
  };
  return new URLSearchParams(all).toString();
}

export function sendSlashCommand(endpoint: string, secret: string, fields: SlashCommandFields, options?: SendOptions) {
  return sendSigned(endpoint, secret, slashCommandBody(fields), 'application/x-www-form-urlencoded', options);
}

export function blockActionPayload(actionId: string, o: { responseUrl: string; team?: string; channel?: string; user?: string }): Record<string, unknown> {
  const team = o.team ?? 'T0POSTURE';
  return {
    type: 'block_actions',
    user: { id: o.user ?? 'U0ALICE', username: 'alice', team_id: team },
    api_app_id: 'A0POSTURE',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: o.channel ?? 'C0GENERAL', is_ephemeral: false },
    trigger_id: `trigger.${randomUUID()}`,
    team: { id: team, domain: 'posture-test' },
    channel: { id: o.channel ?? 'C0GENERAL', name: 'general' },
    response_url: o.responseUrl,
    actions: [{ action_id: actionId, block_id: 'posture_card_actions', type: 'button', text: { type: 'plain_text', text: 'x' }, action_ts: '1700000001.000000' }],
  };
}

export function sendInteraction(endpoint: string, secret: string, payload: Record<string, unknown>, options?: SendOptions) {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return sendSigned(endpoint, secret, body, 'application/x-www-form-urlencoded', options);
}

export function eventEnvelope(event: Record<string, unknown>, o: { team?: string } = {}): Record<string, unknown> {
  return {
    token: 'deprecated-verification-token',
    team_id: o.team ?? 'T0POSTURE',
    api_app_id: 'A0POSTURE',
    event: { event_ts: '1700000002.000100', ...event },
    type: 'event_callback',
    event_id: `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`,
    event_time: 1_700_000_002,
    authorizations: [{ team_id: o.team ?? 'T0POSTURE', user_id: 'U0POSTBOT', is_bot: true, is_enterprise_install: false }],
  };
}

export function sendEvent(endpoint: string, secret: string, event: Record<string, unknown>, options: SendOptions & { team?: string } = {}) {
  return sendSigned(endpoint, secret, JSON.stringify(eventEnvelope(event, options)), 'application/json', options);
}
