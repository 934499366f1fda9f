/**
 * What every request to the Slack events path goes through before Bolt sees it (Bolt 5.1's
 * `HTTPReceiver` on its own buffers up to 4 MB, accepts timestamps from the future, and keeps no
 * record of the signatures it has seen):
 *
 *  1. `X-Slack-Signature` (`v0=` + 64 hex) and `X-Slack-Request-Timestamp` (decimal seconds) must be
 *     present and well formed (401) — except Slack's unsigned `ssl_check=1`, answered 200 here
 *     and never handed on;
 *  2. the timestamp must be within 5 minutes of now, either way (401: Slack's guidance);
 *  3. the raw body is read with a cap (1 MiB; Slack's payloads are a few KiB): a larger
 *     Content-Length is refused unread, a stream that passes the cap is cut off (413, connection
 *     closed);
 *  4. HMAC-SHA256 of `v0:timestamp:body` with the signing secret, compared in constant time (401);
 *  5. a signature already accepted within the window is refused (401): the timestamp window alone
 *     would let a captured request be replayed for 5 minutes. Slack's own retries are signed
 *     afresh, so they pass.
 * Only then is the buffered request (`rawBody`) handed to Bolt's listener, which verifies it again
 * and parses it. Other paths (OAuth install, /healthz, /readyz, /discord/interactions, which caps
 * its own body) go straight to Bolt.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { pathOf, readBody } from '../../src/http/request.ts';
import { createReplayCache } from '../../src/http/replay.ts';

export const SLACK_MAX_BODY_BYTES = 1024 * 1024;
export const SLACK_MAX_AGE_SECONDS = 300;

const SIGNATURE = /^v0=[0-9a-f]{64}$/;
const TIMESTAMP = /^\d{1,12}$/;

export interface SlackRequestGuardOptions {
  signingSecret: string;
  /** the events paths (POST) to guard */
  endpoints: readonly string[];
  maxBodyBytes?: number;
  maxAgeSeconds?: number;
  /** ms since the epoch (tests) */
  now?: () => number;
  /** one line per refusal: status and reason, never headers or body */
  onRefuse?: (status: number, reason: string) => void;
}

export interface SlackRequestGuard {
  /** wrap Bolt's request listener */
  wrap(inner: RequestListener): RequestListener;
  /** requests refused so far, by reason */
  readonly refused: Readonly<Record<string, number>>;
}

export function createSlackRequestGuard(options: SlackRequestGuardOptions): SlackRequestGuard {
  const maxBody = options.maxBodyBytes ?? SLACK_MAX_BODY_BYTES;
  const maxAge = options.maxAgeSeconds ?? SLACK_MAX_AGE_SECONDS;
  const now = options.now ?? Date.now;
  const endpoints = new Set(options.endpoints);
  const refused: Record<string, number> = {};
  const replays = createReplayCache({ maxAgeSeconds: maxAge });

  function refuse(res: ServerResponse, status: number, reason: string, close: boolean): void {
    refused[reason] = (refused[reason] ?? 0) + 1;
    options.onRefuse?.(status, reason);
    if (res.headersSent) {
      res.end();
      return;
    }
    res.statusCode = status;
    if (close) res.setHeader('connection', 'close');
    res.setHeader('content-length', '0');
    res.end();
  }

  async function guard(req: IncomingMessage, res: ServerResponse, inner: RequestListener): Promise<void> {
    const sig = req.headers['x-slack-signature'];
    const ts = req.headers['x-slack-request-timestamp'];
    const signed = typeof sig === 'string' && typeof ts === 'string';
    if (signed) {
      if (!SIGNATURE.test(sig) || !TIMESTAMP.test(ts)) return refuse(res, 401, 'malformed signature headers', true);
      if (Math.abs(now() / 1000 - Number(ts)) > maxAge) return refuse(res, 401, 'stale timestamp', true);
    }
    const body = await readBody(req, maxBody);
    if (!body.ok) return refuse(res, body.status, body.reason, true);
    if (!signed) {
      if (isSslCheck(req, body.body)) {
        res.statusCode = 200;
        res.end();
        return;
      }
      return refuse(res, 401, 'missing signature headers', true);
    }
    const expected = createHmac('sha256', options.signingSecret).update(`v0:${ts}:`).update(body.body).digest();
    const given = Buffer.from(sig.slice(3), 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return refuse(res, 401, 'bad signature', false);
    if (!replays.accept(sig, now())) return refuse(res, 401, 'replayed request', false);
    // Bolt takes an already-buffered request as is (BufferedIncomingMessage)
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body.body;
    inner(req, res);
  }

  return {
    wrap(inner) {
      return (req, res) => {
        if (req.method?.toUpperCase() !== 'POST' || !endpoints.has(pathOf(req))) return inner(req, res);
        guard(req, res, inner).catch(() => refuse(res, 400, 'request failed', true));
      };
    },
    get refused() {
      return refused;
    },
  };
}

function isSslCheck(req: IncomingMessage, body: Buffer): boolean {
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/x-www-form-urlencoded' && new URLSearchParams(body.toString('utf8')).get('ssl_check') === '1';
}
