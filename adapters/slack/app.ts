/**
 * The Slack adapter's entry: a Bolt 5 `App` in one of three modes (see config.ts), the listeners
 * wired to the neutral bot, and the digest `DeliveryPort`. `posture serve` calls
 * `slackConfigFromEnv(process.env)` and, when it gives a config, `createSlackApp(config, deps)`
 * then `start()`; `stop()` on shutdown.
 */
import { App, HTTPReceiver, LogLevel, type CustomRoute, type HTTPReceiverOptions, type Logger } from '@slack/bolt';
import type { Bot, DigestNowResult } from '../../src/bot/service.ts';
import type { DeliveryPort } from '../../src/digest/delivery.ts';
import type { Clock } from '../../src/digest/clock.ts';
import type { ChannelRef, Store } from '../../src/store/types.ts';
import { SLACK_EVENTS_PATH, SLACK_INSTALL_PATH, SLACK_REDIRECT_PATH, describeConfig, type SlackConfig, type SlackMode } from './config.ts';
import { createSlackDelivery } from './delivery.ts';
import { botTokenOf, storeInstallationStore } from './installation-store.ts';
import { createLogger, redacting } from './log.ts';
import { createSlackRequestGuard, SLACK_MAX_BODY_BYTES, type SlackRequestGuard } from './request-guard.ts';
import { actionsListener } from './listeners/actions.ts';
import { appHomeListener } from './listeners/app-home.ts';
import { commandListener } from './listeners/command.ts';
import { lifecycleListener } from './listeners/lifecycle.ts';
import { directMessageListener, mentionListener } from './listeners/message.ts';
import type { ListenerDeps } from './listeners/shared.ts';

/** Bot scopes the code uses — kept in step with manifest.yml by test/slack/manifest.test.ts. */
export const BOT_SCOPES = [
  'commands', // /posture
  'chat:write', // replies, digests, chat.update / chat.postEphemeral / chat.delete of our own messages
  'chat:write.public', // digests in public channels the bot has not joined
  'channels:join', // conversations.join on not_in_channel
  'app_mentions:read', // app_mention
  'im:history', // message.im
] as const;

/** Events subscribed to — likewise in manifest.yml. */
export const BOT_EVENTS = ['app_home_opened', 'app_mention', 'message.im', 'app_uninstalled', 'tokens_revoked'] as const;

export const SLASH_COMMAND = '/posture';

export interface SlackAppDeps {
  bot: Bot;
  store: Store;
  /** `/posture digest now` is the bot's (BotDeps.digestNow); kept here for callers that wire it through the adapter */
  digestNow?: (channel: ChannelRef) => Promise<DigestNowResult>;
  logger?: Logger;
  /** "Checking example.com…" after this long (default 2500 ms; tests use 0) */
  placeholderAfterMs?: number;
  /** the clock the delivery port paces and waits on */
  clock?: Clock;
  /** delivery: Retry-After up to this long is waited out inline (default 5000 ms) */
  maxInlineWaitMs?: number;
  /** extra routes on the HTTP receiver (HTTP and OAuth modes): /healthz, /readyz, /discord/interactions */
  customRoutes?: CustomRoute[];
  /** the events path's body cap (default 1 MiB), enforced before the signature is checked */
  maxBodyBytes?: number;
  /** the clock of the signature window and the replay cache (ms since the epoch) */
  now?: () => number;
}

export interface SlackWorkspaceInfo {
  teamId: string;
  teamName: string | null;
  botUserId: string | null;
}

export interface SlackRuntime {
  app: App;
  mode: SlackMode;
  /** the digest delivery port for this Slack app (hand it to the digest runner / scheduler) */
  port: DeliveryPort;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** the port the HTTP receiver listens on, once started (HTTP and OAuth modes) */
  readonly listeningPort: number | null;
  /** the workspace the bot token belongs to, once started (HTTP and Socket modes) */
  readonly workspace: SlackWorkspaceInfo | null;
  /** what stands before Bolt on the events path (HTTP and OAuth modes): refusals by reason */
  readonly requestGuard: SlackRequestGuard | null;
}

function toLogLevel(l: SlackConfig['logLevel']): LogLevel {
  return ({ debug: LogLevel.DEBUG, info: LogLevel.INFO, warn: LogLevel.WARN, error: LogLevel.ERROR } as const)[l];
}

export function createSlackApp(config: SlackConfig, deps: SlackAppDeps): SlackRuntime {
  const logger = deps.logger ? redacting(deps.logger) : createLogger(config.logLevel);
  logger.setLevel(toLogLevel(config.logLevel));
  const clientOptions = config.apiUrl ? { slackApiUrl: config.apiUrl } : {};
  const common = { logger, clientOptions, deferInitialization: true } as const;

  // HTTP and OAuth: our own HTTPReceiver, so the request guard stands before Bolt's listener
  let requestGuard: SlackRequestGuard | null = null;
  const maxBodyBytes = deps.maxBodyBytes ?? SLACK_MAX_BODY_BYTES;
  function guardedReceiver(options: Omit<HTTPReceiverOptions, 'logger' | 'logLevel' | 'bodyLimit'>): HTTPReceiver {
    const receiver = new HTTPReceiver({ ...options, logger, logLevel: toLogLevel(config.logLevel), bodyLimit: maxBodyBytes });
    requestGuard = createSlackRequestGuard({
      signingSecret: options.signingSecret,
      endpoints: [SLACK_EVENTS_PATH],
      maxBodyBytes,
      ...(deps.now ? { now: deps.now } : {}),
      onRefuse: (status, reason) => logger.warn(`Slack request refused (${status}): ${reason}`),
    });
    receiver.requestListener = requestGuard.wrap(receiver.requestListener);
    return receiver;
  }

  let app: App;
  switch (config.mode) {
    case 'http':
      app = new App({
        ...common,
        token: config.botToken!,
        receiver: guardedReceiver({
          signingSecret: config.signingSecret!,
          endpoints: SLACK_EVENTS_PATH,
          port: config.port,
          customRoutes: deps.customRoutes ?? [healthRoute()],
        }),
      });
      break;
    case 'socket':
      app = new App({ ...common, socketMode: true, appToken: config.appToken!, token: config.botToken! });
      break;
    case 'oauth':
      app = new App({
        ...common,
        receiver: guardedReceiver({
          signingSecret: config.signingSecret!,
          clientId: config.clientId!,
          clientSecret: config.clientSecret!,
          stateSecret: config.stateSecret!,
          scopes: [...BOT_SCOPES],
          installationStore: storeInstallationStore(deps.store),
          ...(config.redirectUri ? { redirectUri: config.redirectUri } : {}),
          installerOptions: {
            // what App adds when it builds the receiver itself: the installer talks to SLACK_API_URL
            clientOptions,
            installPath: SLACK_INSTALL_PATH,
            redirectUriPath: SLACK_REDIRECT_PATH,
            directInstall: false,
            renderHtmlForInstallPath: (url: string) =>
              `<!doctype html><meta charset="utf-8"><title>Install Posture</title><h1>Posture</h1>` +
              `<p>Email-security posture for your domains, in Slack.</p><p><a href="${escapeHtml(url)}">Add Posture to Slack</a></p>`,
            callbackOptions: {
              success: (installation, _opts, _req, res) => {
                const name = installation.team?.name ?? installation.enterprise?.name ?? 'your workspace';
                logger.info(`Slack: installed in ${name} (${installation.team?.id ?? installation.enterprise?.id ?? '?'})`);
                res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
                res.end(`<!doctype html><title>Posture installed</title><p>Posture is installed in ${escapeHtml(name)}. Try <code>/posture example.com</code> in any channel.</p>`);
              },
            },
          },
          endpoints: SLACK_EVENTS_PATH,
          port: config.port,
          customRoutes: deps.customRoutes ?? [healthRoute()],
        }),
      });
      break;
  }

  const listenerDeps: ListenerDeps = {
    bot: deps.bot,
    store: deps.store,
    logger,
    ...(deps.placeholderAfterMs !== undefined ? { placeholderAfterMs: deps.placeholderAfterMs } : {}),
  };
  app.command(config.command, commandListener(listenerDeps));
  app.action(/^posture:/, actionsListener(listenerDeps));
  app.event('app_mention', mentionListener(listenerDeps));
  app.event('message', directMessageListener(listenerDeps));
  app.event('app_home_opened', appHomeListener(listenerDeps));
  const lifecycle = lifecycleListener(listenerDeps);
  app.event('app_uninstalled', lifecycle);
  app.event('tokens_revoked', lifecycle);
  app.error(async (err) => {
    logger.error(`Slack listener error: ${err.code ?? ''} ${err.message}`);
  });

  async function tokenFor(workspaceId: string): Promise<string | null> {
    if (config.mode !== 'oauth') {
      // one workspace: refuse to post anywhere else, and stop after an uninstall
      if (workspace && workspace.teamId !== workspaceId) return null;
      const inst = await deps.store.getInstallation({ platform: 'slack', workspaceId }, { includeRevoked: true }).catch(() => null);
      if (inst?.revokedAt) return null;
      return config.botToken ?? null;
    }
    const inst = await deps.store.getInstallation({ platform: 'slack', workspaceId });
    return inst ? botTokenOf(inst.secrets) : null;
  }

  const port = createSlackDelivery({
    store: deps.store,
    tokenFor,
    ...(config.apiUrl ? { apiUrl: config.apiUrl } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.maxInlineWaitMs !== undefined ? { maxInlineWaitMs: deps.maxInlineWaitMs } : {}),
    logger,
  });

  let workspace: SlackWorkspaceInfo | null = null;
  let listeningPort: number | null = null;
  let started = false;

  async function start(): Promise<void> {
    if (started) return;
    if (config.mode !== 'oauth') {
      // auth.test: which workspace is this token for? (Bolt's init checks it too)
      let auth;
      try {
        auth = await app.client.auth.test({ token: config.botToken! });
      } catch (err) {
        const code = err instanceof Error && 'data' in err ? String((err as { data?: { error?: string } }).data?.error) : err instanceof Error ? err.message : String(err);
        throw new Error(`Slack rejected SLACK_BOT_TOKEN at startup (auth.test: ${code})`);
      }
      workspace = { teamId: String(auth.team_id ?? ''), teamName: auth.team ?? null, botUserId: auth.user_id ?? null };
      // the installation record (no secrets: the token lives in the environment); clears a revoke
      await deps.store
        .upsertInstallation({ platform: 'slack', workspaceId: workspace.teamId, secrets: { source: 'env' }, workspaceName: workspace.teamName })
        .catch((err: unknown) => logger.warn(`could not record the Slack installation: ${err instanceof Error ? err.message : String(err)}`));
    }
    await app.init();
    const listen = config.host ? { port: config.port, host: config.host } : config.port;
    const server = (config.mode === 'socket' ? await app.start() : await app.start(listen)) as unknown;
    const addr = (server as { address?: () => unknown } | undefined)?.address?.();
    if (addr && typeof addr === 'object' && 'port' in addr) listeningPort = Number((addr as { port: number }).port);
    started = true;
    const who = workspace
      ? `workspace "${workspace.teamName ?? '?'}" (${workspace.teamId})${workspace.botUserId ? `, bot user ${workspace.botUserId}` : ''}`
      : `${(await deps.store.listInstallations({ platform: 'slack' })).length} workspace(s) installed`;
    logger.info(`${describeConfig({ ...config, port: listeningPort ?? config.port })}; ${who}`);
  }

  async function stop(): Promise<void> {
    if (!started) return;
    started = false;
    await app.stop();
  }

  return {
    app,
    mode: config.mode,
    port,
    start,
    stop,
    get listeningPort() {
      return listeningPort;
    },
    get workspace() {
      return workspace;
    },
    get requestGuard() {
      return requestGuard;
    },
  };
}

function healthRoute() {
  return {
    path: '/healthz',
    method: ['GET'],
    handler: (_req: unknown, res: { writeHead(s: number, h: Record<string, string>): void; end(b: string): void }) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
    },
  };
}

function escapeHtml(s: string): string {
  const named: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  return s.replace(/[&<>"']/g, (c) => named[c] ?? c);
}
