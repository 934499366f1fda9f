/**
 * Small HTTP helpers shared by the ops routes and the Discord interactions endpoint: request ids,
 * a size-capped raw body reader, JSON responses, and the access log line (method, path, status,
 * duration and the request id; never headers, query strings or bodies, which may carry secrets).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Log } from '../log.ts';

export const REQUEST_ID_HEADER = 'x-request-id';

/** A client-supplied id we are willing to echo into logs and headers. */
const SANE_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** The incoming `x-request-id` when it is sane (one value, short, harmless characters), else a fresh UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const h = req.headers[REQUEST_ID_HEADER];
  const v = Array.isArray(h) ? undefined : h?.trim();
  return v && SANE_ID.test(v) ? v : randomUUID();
}

/** The path alone (no query string: it may carry codes or tokens, e.g. an OAuth redirect). */
export function pathOf(req: IncomingMessage): string {
  try {
    return new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    return '/';
  }
}

export type BodyResult = { ok: true; body: Buffer } | { ok: false; status: 400 | 413; reason: string };

/**
 * Read the raw body, refusing more than `limit` bytes: up front when Content-Length says so,
 * otherwise as soon as the stream passes the limit (the rest is not buffered).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = req.headers['content-length'];
  if (declared !== undefined) {
    const n = Number(declared);
    if (!Number.isSafeInteger(n) || n < 0) return Promise.resolve({ ok: false, status: 400, reason: 'bad content-length' });
    if (n > limit) return Promise.resolve({ ok: false, status: 413, reason: 'body too large' });
  }
  return new Promise<BodyResult>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: BodyResult) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        finish({ ok: false, status: 413, reason: 'body too large' });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish({ ok: true, body: Buffer.concat(chunks, size) });
    const onError = () => finish({ ok: false, status: 400, reason: 'request aborted' });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Answer with JSON (and, for a refused body, close the connection instead of reading the rest). */
export function sendJson(res: ServerResponse, status: number, body: unknown, options: { close?: boolean } = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.setHeader('cache-control', 'no-store');
  if (options.close) res.setHeader('connection', 'close');
  res.end(text);
}

export interface RequestContext {
  /** this request's id (also sent back as `x-request-id`) */
  id: string;
  /** a `Log` whose lines carry `reqId` */
  log: Log;
}

export type ContextHandler = (req: IncomingMessage, res: ServerResponse, ctx: RequestContext) => void | Promise<void>;

/**
 * Give the request an id, echo it as `x-request-id`, run the handler (a throw becomes a 500),
 * and log one line when the response is done: method, path, status, duration.
 */
export function withRequestLog(log: Log, handler: ContextHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const id = requestIdOf(req);
    const started = process.hrtime.bigint();
    const reqLog: Log = (level, message, fields) => log(level, message, { reqId: id, ...fields });
    res.setHeader(REQUEST_ID_HEADER, id);
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      const durationMs = Number((process.hrtime.bigint() - started) / 1000n) / 1000;
      const status = res.statusCode;
      const fields = { reqId: id, method: req.method ?? '?', path: pathOf(req), status, durationMs, ...(res.writableFinished ? {} : { aborted: true }) };
      log(status >= 500 ? 'warn' : 'info', 'http request', fields);
    };
    res.once('finish', done);
    res.once('close', done);
    Promise.resolve()
      .then(() => handler(req, res, { id, log: reqLog }))
      .catch((err: unknown) => {
        reqLog('error', 'http handler failed', { error: err instanceof Error ? err.message : String(err) });
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error', requestId: id });
        else res.end();
      });
  };
}
