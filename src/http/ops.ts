/**
 * The operational HTTP routes, as plain `(req, res)` handlers that can be mounted on any
 * node:http server — Bolt's HTTPReceiver (`customRoutes: ops.routes()`) when Slack runs over HTTP
 * on PORT, or our own small server (`server.ts`) otherwise:
 *
 *   GET  /healthz               200 while the process runs (liveness)
 *   GET  /readyz                200 when every probe passes (store answers, adapters connected),
 *                               503 with `{ status, notReady, checks }` otherwise, and 503 once
 *                               draining (SIGTERM) so a load balancer stops sending traffic
 *   POST /discord/interactions  Discord HTTP interactions (when set with `setDiscordInteractions`)
 *
 * Every request gets an id and one access-log line (see `request.ts`). Probes are registered
 * after construction, so the routes can be handed to Bolt before the adapters exist.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Log } from '../log.ts';
import type { Store } from '../store/types.ts';
import { pathOf, sendJson, withRequestLog, type ContextHandler } from './request.ts';

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';
export const DISCORD_INTERACTIONS_PATH = '/discord/interactions';

/** A readiness probe: true when ready, else a short reason (shown in /readyz, so never a secret). */
export type Probe = () => boolean | string | Promise<boolean | string>;

export interface OpsOptions {
  log?: Log;
  /** how long one probe may take before it counts as not ready (default 2000 ms) */
  probeTimeoutMs?: number;
}

/** A route in the shape Bolt 5's `customRoutes` takes. */
export interface OpsRoute {
  path: string;
  method: string[];
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface ReadyReport {
  ready: boolean;
  status: 'ready' | 'not ready' | 'draining';
  notReady: string[];
  checks: Record<string, string>;
}

export interface Ops {
  /** Handle one of our paths and return true; false (nothing sent) when the path is not ours. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** The routes for Bolt's `customRoutes`. */
  routes(): OpsRoute[];
  /** Add (or replace) a named readiness probe. */
  addProbe(name: string, probe: Probe): void;
  /** Mount the Discord interactions handler (null: the path answers 404). */
  setDiscordInteractions(handler: ContextHandler | null): void;
  /** Run every probe now. */
  readiness(): Promise<ReadyReport>;
  /** Stop being ready (SIGTERM): /readyz answers 503 from now on; /healthz stays 200. */
  drain(): void;
  readonly draining: boolean;
}

/** A probe that the store answers a cheap query (an indexed lookup of an installation that does not exist). */
export function storeProbe(store: Pick<Store, 'getInstallation'>): Probe {
  return async () => {
    await store.getInstallation({ platform: 'discord', workspaceId: '__readyz__' });
    return true;
  };
}

export function createOps(options: OpsOptions = {}): Ops {
  const log: Log = options.log ?? (() => undefined);
  const probeTimeoutMs = options.probeTimeoutMs ?? 2000;
  const probes = new Map<string, Probe>();
  let discord: ContextHandler | null = null;
  let draining = false;

  async function runProbe(name: string, probe: Probe): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve('timed out'), probeTimeoutMs);
        timer.unref();
      });
      const result = await Promise.race([Promise.resolve().then(probe), timeout]);
      if (result === true) return 'ok';
      return result === false ? 'not ready' : result;
    } catch (err) {
      // the reason goes to the (redacting) log, not to the unauthenticated response
      log('warn', 'readiness probe failed', { probe: name, error: err instanceof Error ? err.message : String(err) });
      return 'unreachable';
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async function readiness(): Promise<ReadyReport> {
    const entries = [...probes.entries()];
    const results = await Promise.all(entries.map(([name, p]) => runProbe(name, p)));
    const checks: Record<string, string> = {};
    entries.forEach(([name], i) => {
      checks[name] = results[i] ?? 'unknown';
    });
    const notReady = Object.entries(checks).filter(([, v]) => v !== 'ok').map(([k]) => k);
    if (draining) return { ready: false, status: 'draining', notReady: [...notReady, 'shutting down'], checks };
    return { ready: notReady.length === 0, status: notReady.length ? 'not ready' : 'ready', notReady, checks };
  }

  const health: ContextHandler = (_req, res) => sendJson(res, 200, { status: 'ok' });
  const ready: ContextHandler = async (_req, res) => {
    const r = await readiness();
    sendJson(res, r.ready ? 200 : 503, { status: r.status, notReady: r.notReady, checks: r.checks });
  };
  const interactions: ContextHandler = async (req, res, ctx) => {
    if (!discord) return sendJson(res, 404, { error: 'Discord HTTP interactions are not enabled (set DISCORD_PUBLIC_KEY)' });
    await discord(req, res, ctx);
  };
  const methodNotAllowed = (allow: string): ContextHandler => (_req, res) => {
    res.setHeader('allow', allow);
    sendJson(res, 405, { error: 'method not allowed' });
  };

  const table: Record<string, { methods: string[]; handler: (req: IncomingMessage, res: ServerResponse) => void }> = {
    [HEALTH_PATH]: { methods: ['GET', 'HEAD'], handler: withRequestLog(log, health) },
    [READY_PATH]: { methods: ['GET', 'HEAD'], handler: withRequestLog(log, ready) },
    [DISCORD_INTERACTIONS_PATH]: { methods: ['POST'], handler: withRequestLog(log, interactions) },
  };
  const refusals: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    [HEALTH_PATH]: withRequestLog(log, methodNotAllowed('GET, HEAD')),
    [READY_PATH]: withRequestLog(log, methodNotAllowed('GET, HEAD')),
    [DISCORD_INTERACTIONS_PATH]: withRequestLog(log, methodNotAllowed('POST')),
  };

  return {
    handle(req, res) {
      const path = pathOf(req);
      const route = table[path];
      if (!route) return false;
      const method = (req.method ?? 'GET').toUpperCase();
      if (route.methods.includes(method)) route.handler(req, res);
      else refusals[path]!(req, res);
      return true;
    },
    routes() {
      return Object.entries(table).map(([path, r]) => ({ path, method: [...r.methods], handler: r.handler }));
    },
    addProbe(name, probe) {
      probes.set(name, probe);
    },
    setDiscordInteractions(handler) {
      discord = handler;
    },
    readiness,
    drain() {
      draining = true;
    },
    get draining() {
      return draining;
    },
  };
}
