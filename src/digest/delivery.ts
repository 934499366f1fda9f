/**
 * The delivery port (one per chat platform) and delivery with retries.
 *
 * The Slack and Discord adapters implement {@link DeliveryPort}; the runner records the intent in
 * the store first, then calls `deliver`, then records the outcome. Errors are classified by the
 * adapter as a {@link DeliveryError}:
 *
 * - `permanent: true` — the channel is gone, the bot was removed, the token revoked, access or
 *   permission missing. The store fails the run and disables the schedule with the reason.
 * - `permanent: false` — rate limited (429, honour `retryAfterMs`), platform 5xx, a connection
 *   that was refused before the request was sent: retried with exponential backoff.
 *
 * **A DeliveryError means the message was not posted** (the platform answered, or the request
 * never left). Any other exception — a timeout after the request was sent, a reset connection,
 * a bug — leaves the outcome *unknown*: the message may have been posted. Unknown outcomes are
 * never retried blindly: the port's `findDelivered` is asked, and without it the delivery is left
 * to the scheduler's reconciliation (which presumes it posted: at-most-once; see `scheduler.ts`).
 * Adapters should therefore throw DeliveryError only when they know nothing was posted.
 */
import type { ChannelRef, Delivery, Platform, Store } from '../store/types.ts';
import type { Digest } from './model.ts';
import type { Clock } from './clock.ts';

/** What a message is: the weekly (or on-demand) digest, or an immediate regression alert. */
export type MessageKind = 'digest' | 'alert';

export interface DeliverOptions {
  /**
   * The store's delivery id (≤ 25 hex characters): stable across retries and restarts. Adapters
   * attach it to the message (Discord `nonce` with `enforce_nonce`, Slack message `metadata`) so
   * `findDelivered` can recognise a message posted before a crash.
   */
  idempotencyKey: string;
  kind: MessageKind;
}

export interface DeliveryPort {
  readonly platform: Platform;
  /** Post the digest to the channel; resolve with the platform's message id. Throw {@link DeliveryError} when not posted. */
  deliver(channel: ChannelRef, digest: Digest, options: DeliverOptions): Promise<{ messageId: string }>;
  /**
   * Reconciliation after a crash or an unknown outcome: the id of a message in the channel that
   * carries this idempotency key, or null when there is none (it was not posted). Optional: a
   * platform that cannot look it up leaves it out.
   */
  findDelivered?(channel: ChannelRef, idempotencyKey: string): Promise<string | null>;
}

export interface DeliveryErrorInit {
  permanent: boolean;
  /** short, human-readable, never a token: "channel_not_found", "Missing Access (50001)" */
  reason: string;
  /** the platform asked us to wait this long (HTTP 429 Retry-After) */
  retryAfterMs?: number;
  /** the platform's error code, for logs */
  code?: string;
}

/** The message was not posted; `permanent` says whether trying again can help. */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  readonly permanent: boolean;
  readonly reason: string;
  readonly retryAfterMs: number | undefined;
  readonly code: string | undefined;
  constructor(init: DeliveryErrorInit) {
    super(init.reason);
    this.permanent = init.permanent;
    this.reason = init.reason;
    this.retryAfterMs = init.retryAfterMs;
    this.code = init.code;
  }
}

/** Duck-typed, so an adapter bundled with its own copy of this module still classifies. */
export function isDeliveryError(err: unknown): err is DeliveryError {
  return (
    err instanceof DeliveryError ||
    (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'DeliveryError' &&
      typeof (err as { permanent?: unknown }).permanent === 'boolean' && typeof (err as { reason?: unknown }).reason === 'string')
  );
}

// ─── platform error classification (for the adapters) ──────────────────────────────────────

/**
 * Slack Web API `error` strings that no retry can fix: the channel, the bot's membership, the
 * workspace or the token is gone (chatops research §6, Slack `chat.postMessage` errors).
 */
export const SLACK_PERMANENT_ERRORS: ReadonlySet<string> = new Set([
  'channel_not_found', 'not_in_channel', 'is_archived', 'account_inactive', 'token_revoked', 'token_expired',
  'invalid_auth', 'not_authed', 'no_permission', 'missing_scope', 'team_access_not_granted', 'org_login_required',
  'ekm_access_denied', 'restricted_action', 'restricted_action_read_only_channel', 'restricted_action_thread_only_channel',
  'restricted_action_non_threadable_channel', 'team_not_found', 'app_uninstalled', 'channel_is_archived',
]);

/** Classify a Slack Web API failure (`error` from the response body, HTTP 429 Retry-After in seconds). */
export function slackDeliveryError(error: string, options: { retryAfterSec?: number } = {}): DeliveryError {
  const code = error || 'unknown_error';
  if (options.retryAfterSec !== undefined || code === 'ratelimited' || code === 'rate_limited') {
    return new DeliveryError({
      permanent: false, code, reason: `Slack rate limit (${code})`,
      ...(options.retryAfterSec !== undefined ? { retryAfterMs: Math.max(0, options.retryAfterSec) * 1000 } : {}),
    });
  }
  return new DeliveryError({ permanent: SLACK_PERMANENT_ERRORS.has(code), code, reason: `Slack: ${code}` });
}

/**
 * Discord JSON error codes that no retry can fix: 10003 Unknown Channel, 10004 Unknown Guild,
 * 50001 Missing Access, 50013 Missing Permissions, 50007 Cannot send messages to this user,
 * 40001 Unauthorized, 20028… (channel write rate limit is not here: it is a 429).
 */
export const DISCORD_PERMANENT_CODES: ReadonlySet<number> = new Set([10003, 10004, 50001, 50013, 50007, 40001, 50083]);

/** Classify a Discord REST failure (HTTP status, JSON `code`, `retry_after` seconds on 429). */
export function discordDeliveryError(init: { status: number; code?: number; message?: string; retryAfterSec?: number }): DeliveryError {
  const label = init.message ? `${init.message}${init.code !== undefined ? ` (${init.code})` : ''}` : `HTTP ${init.status}${init.code !== undefined ? ` code ${init.code}` : ''}`;
  const code = init.code !== undefined ? String(init.code) : String(init.status);
  if (init.status === 429) {
    return new DeliveryError({
      permanent: false, code, reason: `Discord rate limit: ${label}`,
      ...(init.retryAfterSec !== undefined ? { retryAfterMs: Math.max(0, init.retryAfterSec) * 1000 } : {}),
    });
  }
  const permanent =
    (init.code !== undefined && DISCORD_PERMANENT_CODES.has(init.code)) || init.status === 401 || init.status === 403 || init.status === 404;
  return new DeliveryError({ permanent, code, reason: `Discord: ${label}` });
}

// ─── the payload recorded with the intent ──────────────────────────────────────────────────

/** What the runner records with a delivery intent: enough to post the very same message again. */
export interface DeliveryPayload {
  v: 1;
  kind: MessageKind;
  digest: Digest;
}

export function toPayload(kind: MessageKind, digest: Digest): DeliveryPayload {
  return { v: 1, kind, digest };
}

/** The recorded payload, or null when it is not one of ours (then it cannot be re-posted). */
export function parsePayload(payload: unknown): DeliveryPayload | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const p = payload as Partial<DeliveryPayload>;
  if (p.v !== 1 || (p.kind !== 'digest' && p.kind !== 'alert')) return null;
  const d = p.digest as Partial<Digest> | undefined;
  if (!d || d.kind !== 'digest' || !Array.isArray(d.entries) || typeof d.title !== 'string') return null;
  return { v: 1, kind: p.kind, digest: d as Digest };
}

// ─── retries ────────────────────────────────────────────────────────────────────────────────

export interface RetryPolicy {
  /** attempts within one call of {@link deliverWithRetry} (the first included) */
  maxAttempts: number;
  /** backoff after the n-th failure of a delivery: base × 2^(n−1), capped at maxDelayMs */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * the longest wait spent inside one call; a longer backoff or Retry-After ends the call with
   * `retry` and a `retryAt` for a later scheduler tick (the loop is never blocked for long)
   */
  maxWaitMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 2_000,
  maxDelayMs: 60 * 60_000,
  maxWaitMs: 60_000,
};

/**
 * The wait after a delivery's `failures`-th transient failure: exponential, capped, and never
 * shorter than what the platform asked for (Retry-After).
 */
export function backoffDelay(policy: RetryPolicy, failures: number, retryAfterMs?: number): number {
  const n = Math.max(1, failures);
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(n - 1, 40));
  return Math.max(exp, retryAfterMs ?? 0);
}

/** Slack allows about one message per second per channel; Discord's per-channel bucket is similar. */
export const DEFAULT_CHANNEL_INTERVAL_MS = 1_100;

/**
 * Per-channel pacing: at most one post per `intervalMs` to the same channel (Slack's
 * `chat.postMessage` "one message per second per channel"), waiting on the clock.
 */
export class ChannelPacer {
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private readonly last = new Map<string, number>();
  private readonly queue = new Map<string, Promise<void>>();

  constructor(clock: Clock, intervalMs: number = DEFAULT_CHANNEL_INTERVAL_MS) {
    this.clock = clock;
    this.intervalMs = intervalMs;
  }

  /** Wait for this channel's turn, then take it. */
  wait(channel: ChannelRef, signal?: AbortSignal): Promise<void> {
    const key = channelKey(channel);
    const prev = this.queue.get(key) ?? Promise.resolve();
    const turn = prev.catch(() => undefined).then(async () => {
      const last = this.last.get(key);
      const now = this.clock.now().getTime();
      if (last !== undefined && now - last < this.intervalMs) await this.clock.sleep(this.intervalMs - (now - last), signal);
      this.last.set(key, this.clock.now().getTime());
    });
    this.queue.set(key, turn);
    return turn;
  }
}

export function channelKey(channel: ChannelRef): string {
  return `${channel.platform}:${channel.workspaceId}:${channel.channelId}`;
}

export type DeliveryOutcome =
  /** posted and recorded */
  | { status: 'delivered'; messageId: string; attempts: number; reconciled: boolean }
  /** failed permanently: the run failed and the schedule is disabled */
  | { status: 'failed'; reason: string; attempts: number }
  /** not posted; safe to post again at or after `retryAt` (a later scheduler tick) */
  | { status: 'retry'; reason: string; attempts: number; retryAt: Date }
  /** may have been posted (or posted but not recorded): left pending for reconciliation */
  | { status: 'unknown'; reason: string; attempts: number };

export interface DeliverWithRetryInput {
  store: Store;
  port: DeliveryPort;
  clock: Clock;
  /** the recorded intent */
  delivery: Pick<Delivery, 'id' | 'channel' | 'failures'>;
  kind: MessageKind;
  digest: Digest;
  policy?: Partial<RetryPolicy>;
  pacer?: ChannelPacer;
  signal?: AbortSignal;
}

function describeError(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.slice(0, 300);
}

/**
 * Post a recorded delivery and record the outcome: delivered → `markDelivered`; permanent →
 * `markDeliveryFailed(permanent)` (disables the schedule); transient → `markDeliveryFailed`
 * (failures + 1) and retry with backoff on the clock, honouring Retry-After, up to
 * `maxAttempts`; an unknown outcome → ask `findDelivered` when the port has it, else stop and
 * leave the delivery pending.
 *
 * A store error after a successful post (the crash window) propagates: the delivery stays
 * pending and reconciliation settles it.
 */
export async function deliverWithRetry(input: DeliverWithRetryInput): Promise<DeliveryOutcome> {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...stripUndefined(input.policy ?? {}) };
  const { store, port, clock, delivery, kind, digest } = input;
  let failures = delivery.failures;
  let attempts = 0;
  for (;;) {
    attempts++;
    if (input.pacer) await input.pacer.wait(delivery.channel, input.signal);
    let posted: { messageId: string } | undefined;
    let failure: unknown;
    try {
      posted = await port.deliver(delivery.channel, digest, { idempotencyKey: delivery.id, kind });
    } catch (err) {
      failure = err;
    }
    if (posted) {
      await store.markDelivered(delivery.id, posted.messageId);
      return { status: 'delivered', messageId: posted.messageId, attempts, reconciled: false };
    }

    let retryAfterMs: number | undefined;
    let reason: string;
    if (isDeliveryError(failure)) {
      reason = failure.reason;
      if (failure.permanent) {
        await store.markDeliveryFailed(delivery.id, { permanent: true, reason });
        return { status: 'failed', reason, attempts };
      }
      retryAfterMs = failure.retryAfterMs;
    } else {
      // unknown outcome: only the platform can tell whether it was posted
      reason = `outcome unknown: ${describeError(failure)}`;
      if (!port.findDelivered) return { status: 'unknown', reason, attempts };
      let found: string | null;
      try {
        found = await port.findDelivered(delivery.channel, delivery.id);
      } catch (err) {
        return { status: 'unknown', reason: `${reason}; lookup failed: ${describeError(err)}`, attempts };
      }
      if (found !== null) {
        await store.markDelivered(delivery.id, found);
        return { status: 'delivered', messageId: found, attempts, reconciled: true };
      }
      // not posted: an ordinary transient failure from here on
    }

    await store.markDeliveryFailed(delivery.id, { permanent: false, reason });
    failures++;
    const delay = backoffDelay(policy, failures, retryAfterMs);
    if (attempts >= policy.maxAttempts || delay > policy.maxWaitMs) {
      return { status: 'retry', reason, attempts, retryAt: new Date(clock.now().getTime() + delay) };
    }
    await clock.sleep(delay, input.signal);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
