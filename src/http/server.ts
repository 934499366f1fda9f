/**
 * A standalone HTTP server for the ops routes (`/healthz`, `/readyz`, `/discord/interactions`) on
 * PORT/HOST, for when Slack does not run over HTTP (Socket Mode, or no Slack at all): then there
 * is no Bolt receiver to mount them on. Anything else answers 404.
 *
 * `close()` is graceful: it stops accepting connections, closes idle keep-alive connections at
 * once, lets requests in progress finish for up to `graceMs`, then cuts what is left.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Log } from '../log.ts';
import type { Ops } from './ops.ts';
import { sendJson, withRequestLog } from './request.ts';

export interface OpsServerOptions {
  ops: Ops;
  /** PORT (default 3000; 0 picks a free one) */
  port?: number;
  /** HOST (default: every interface, as a container behind a load balancer needs) */
  host?: string | undefined;
  log?: Log;
}

export interface OpsServer {
  server: http.Server;
  /** the port actually bound */
  port: number;
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  close(graceMs?: number): Promise<void>;
}

export const DEFAULT_HTTP_PORT = 3000;

/** PORT from the environment: a whole number 0..65535, default 3000. */
export function portFromEnv(env: Record<string, string | undefined>): number {
  const raw = env['PORT']?.trim();
  if (!raw) return DEFAULT_HTTP_PORT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error('PORT must be a whole number between 0 and 65535');
  return n;
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const log: Log = options.log ?? (() => undefined);
  const notFound = withRequestLog(log, (_req, res) => sendJson(res, 404, { error: 'not found' }));
  const active = new Set<http.ServerResponse>();
  let closingDown = false;
  const server = http.createServer((req, res) => {
    active.add(res);
    res.once('close', () => active.delete(res));
    if (closingDown) res.setHeader('connection', 'close');
    if (!options.ops.handle(req, res)) notFound(req, res);
  });
  // slow clients may not hold a connection open forever
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  const port = options.port ?? DEFAULT_HTTP_PORT;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolve();
    };
    if (options.host) server.listen(port, options.host, done);
    else server.listen(port, done);
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  log('info', 'http server listening', { port: addr.port, host: addr.address });

  let closing: Promise<void> | null = null;
  return {
    server,
    port: addr.port,
    url: `http://${host === '[::]' || host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`,
    close(graceMs = 10_000) {
      closing ??= new Promise<void>((resolve) => {
        closingDown = true;
        // a request in progress finishes, then its keep-alive connection closes (no idle wait)
        for (const res of active) {
          if (!res.headersSent) res.setHeader('connection', 'close');
          res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
        }
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
