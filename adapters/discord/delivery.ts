/**
 * The digest {@link DeliveryPort} for Discord, over REST (`POST /channels/{id}/messages`),
 * sharing the client's REST instance (and so its rate-limit buckets):
 *
 * - paced per channel (one post per `intervalMs`, default 1.1 s, under Discord's per-channel
 *   bucket) on the injected clock;
 * - 429s are honoured by @discordjs/rest itself (it waits `Retry-After` and retries); a wait
 *   longer than `maxRateLimitWaitMs` is refused by the REST option `rejectOnRateLimit` (see
 *   `restRateLimitPolicy`) and becomes a transient DeliveryError with `retryAfterMs`;
 * - 50001 Missing Access, 50013 Missing Permissions, 10003 Unknown Channel… → a permanent
 *   DeliveryError with a readable reason (the runner then disables the schedule); on 50013 the
 *   channel is told, best effort, in a plain-text message (the bot may still be allowed to post
 *   text without Embed Links);
 * - the store's delivery id rides along as the message `nonce` with `enforce_nonce: true`
 *   (Discord returns the first message instead of posting twice within its nonce window) and as a
 *   `ref` in the footer, so `findDelivered` can recognise a message posted before a crash.
 */
import { DiscordAPIError, HTTPError, RateLimitError, Routes, type RateLimitData, type REST } from 'discord.js';
import type { APIMessage } from 'discord.js';
import type { ChannelRef } from '../../src/store/types.ts';
import type { Digest } from '../../src/digest/model.ts';
import { ChannelPacer, DeliveryError, discordDeliveryError, type DeliverOptions, type DeliveryPort } from '../../src/digest/delivery.ts';
import { realClock, type Clock } from '../../src/digest/clock.ts';
import { renderDigest } from './render/digest.ts';
import { LIMITS } from './render/limits.ts';
import { truncate } from '../../src/bot/card.ts';

export const DEFAULT_MAX_RATE_LIMIT_WAIT_MS = 30_000;
export const DISCORD_CHANNEL_INTERVAL_MS = 1_100;

/** For `ClientOptions.rest.rejectOnRateLimit`: reject channel posts that would wait longer than `maxWaitMs`. */
export function restRateLimitPolicy(maxWaitMs: number = DEFAULT_MAX_RATE_LIMIT_WAIT_MS): (data: RateLimitData) => boolean {
  return (data) => data.route.startsWith('/channels/') && data.retryAfter > maxWaitMs;
}

export interface DiscordDeliveryOptions {
  rest: REST;
  clock?: Clock;
  /** minimum gap between two posts to the same channel (default 1100 ms) */
  intervalMs?: number;
  /** tell a channel on 50013 that its digest stopped (default true) */
  notifyOnPermanent?: boolean;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

/** Discord's nonce holds at most 25 characters; the store's delivery ids already fit. */
export function nonceOf(key: string): string {
  if (key.length <= 25) return key;
  let h = 0xcbf29ce484222325n;
  for (const ch of key) h = BigInt.asUintN(64, (h ^ BigInt(ch.codePointAt(0)!)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

function refMarker(key: string): string {
  return `ref ${nonceOf(key)}`;
}

const REASONS: Record<number, string> = {
  50001: 'Missing Access (50001): the bot cannot see this channel',
  50013: 'Missing Permissions (50013): the bot needs View Channel, Send Messages and Embed Links here',
  10003: 'Unknown Channel (10003): the channel was deleted',
  10004: 'Unknown Guild (10004): the bot was removed from the server',
  40001: 'Unauthorized (40001)',
  50007: 'Cannot send messages to this user (50007)',
};

/** Any REST failure as a DeliveryError (the message was not posted), or the error itself when the outcome is unknown. */
export function classifyDiscordError(err: unknown): unknown {
  if (err instanceof DiscordAPIError) {
    const code = typeof err.code === 'number' ? err.code : undefined;
    const known = code !== undefined ? REASONS[code] : undefined;
    const e = discordDeliveryError({ status: err.status, ...(code !== undefined ? { code } : {}), message: err.message });
    return known ? new DeliveryError({ permanent: e.permanent, reason: known, code: e.code ?? String(code) }) : e;
  }
  if (err instanceof RateLimitError) {
    return discordDeliveryError({ status: 429, message: 'rate limited', retryAfterSec: err.retryAfter / 1000 });
  }
  if (err instanceof HTTPError) {
    // the server answered with an error status (after the REST client's own retries): not posted
    return discordDeliveryError({ status: err.status, message: err.message });
  }
  return err;
}

export interface DiscordDeliveryPort extends DeliveryPort {
  readonly platform: 'discord';
}

export function createDiscordDelivery(options: DiscordDeliveryOptions): DiscordDeliveryPort {
  const { rest } = options;
  const pacer = new ChannelPacer(options.clock ?? realClock, options.intervalMs ?? DISCORD_CHANNEL_INTERVAL_MS);
  const log = options.log ?? (() => undefined);
  const notify = options.notifyOnPermanent ?? true;

  async function tellChannel(channel: ChannelRef, reason: string): Promise<void> {
    try {
      await rest.post(Routes.channelMessages(channel.channelId), {
        body: {
          content: truncate(
            `⚠️ I could not post the weekly Posture digest here: ${reason}. The digest is off for this channel; ` +
              'after fixing the permissions, turn it back on with /posture digest set.',
            LIMITS.content,
          ),
          allowed_mentions: { parse: [] },
        },
      });
    } catch {
      // best effort: the bot may not be able to post anything here at all
    }
  }

  return {
    platform: 'discord',
    async deliver(channel: ChannelRef, digest: Digest, opts: DeliverOptions): Promise<{ messageId: string }> {
      if (channel.platform !== 'discord') throw new DeliveryError({ permanent: true, reason: `not a Discord channel (${channel.platform})` });
      await pacer.wait(channel);
      const payload = renderDigest(digest);
      const embeds = payload.embeds;
      const last = embeds[embeds.length - 1];
      if (last) {
        const marker = refMarker(opts.idempotencyKey);
        last.footer = { text: truncate(last.footer?.text ? `${last.footer.text} · ${marker}` : marker, LIMITS.footer) };
      }
      try {
        const message = (await rest.post(Routes.channelMessages(channel.channelId), {
          body: {
            embeds,
            components: payload.components,
            nonce: nonceOf(opts.idempotencyKey),
            enforce_nonce: true,
            allowed_mentions: { parse: [] },
          },
        })) as APIMessage;
        log('debug', 'discord digest posted', { channel: channel.channelId, message: message.id });
        return { messageId: message.id };
      } catch (err) {
        const classified = classifyDiscordError(err);
        if (classified instanceof DeliveryError) {
          log(classified.permanent ? 'warn' : 'info', 'discord digest not posted', { channel: channel.channelId, reason: classified.reason });
          if (classified.permanent && notify && classified.code === '50013') await tellChannel(channel, classified.reason);
        }
        throw classified;
      }
    },
    async findDelivered(channel: ChannelRef, idempotencyKey: string): Promise<string | null> {
      const marker = refMarker(idempotencyKey);
      let messages: APIMessage[];
      try {
        messages = (await rest.get(Routes.channelMessages(channel.channelId), { query: new URLSearchParams({ limit: '50' }) })) as APIMessage[];
      } catch (err) {
        const classified = classifyDiscordError(err);
        // a channel we cannot read holds no message of ours we could find
        if (classified instanceof DeliveryError && classified.permanent) return null;
        throw classified;
      }
      const hit = messages.find((m) => m.nonce === nonceOf(idempotencyKey) || m.embeds?.some((e) => e.footer?.text.includes(marker)));
      return hit?.id ?? null;
    },
  };
}
