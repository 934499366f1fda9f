/**
 * The Slack `DeliveryPort` (src/digest/delivery.ts): a digest posted with `chat.postMessage` as
 * Block Kit, paced per channel (at most one message a second), with:
 *  - 429: a short `Retry-After` is waited out here (on the clock) and the post tried again; a long
 *    one becomes a transient DeliveryError carrying `retryAfterMs` for the runner;
 *  - `not_in_channel`: join the channel (`conversations.join`, public channels) and post again; when
 *    joining fails (a private channel), tell the person who set the watch up in a DM and fail
 *    permanently (the runner then disables the schedule);
 *  - other Slack errors classified by `slackDeliveryError` (permanent: channel gone, token revoked…).
 * A DeliveryError is thrown only when Slack answered (nothing was posted); a request that may have
 * reached Slack propagates as is, an unknown outcome for the runner.
 * The message carries the idempotency key in its metadata (`posture_digest`).
 */
import { webApi, type Logger } from '@slack/bolt';
import {
  ChannelPacer, DeliveryError, slackDeliveryError, type DeliverOptions, type DeliveryPort,
} from '../../src/digest/delivery.ts';
import { realClock, type Clock } from '../../src/digest/clock.ts';
import type { Digest } from '../../src/digest/model.ts';
import type { ChannelRef, Store } from '../../src/store/types.ts';
import { renderDigest } from './render/digest.ts';

export interface SlackDeliveryOptions {
  store: Store;
  /** the bot token for a workspace, or null when the app is not installed there */
  tokenFor(workspaceId: string): Promise<string | null>;
  apiUrl?: string;
  clock?: Clock;
  /** per-channel spacing (default 1000 ms: Slack's "one message per second per channel") */
  intervalMs?: number;
  /** Retry-After up to this long is waited out inside `deliver` (default 5000 ms) */
  maxInlineWaitMs?: number;
  logger?: Logger;
}

export const SLACK_CHANNEL_INTERVAL_MS = 1000;

type WebClient = InstanceType<typeof webApi.WebClient>;

function platformError(err: unknown): string | null {
  return err instanceof webApi.WebAPIPlatformError ? err.data.error : null;
}

/** The digest to post for a message kind: regression alerts show only the regressions. */
function forKind(digest: Digest, kind: DeliverOptions['kind']): Digest {
  if (kind !== 'alert') return digest;
  return {
    ...digest,
    title: digest.title.replace(/^Posture digest/, 'Posture alert'),
    entries: digest.alerts,
    more: digest.alertsMore,
    moreText: digest.alertsMore > 0 ? `+${digest.alertsMore} more` : null,
  };
}

export function createSlackDelivery(options: SlackDeliveryOptions): DeliveryPort {
  const clock = options.clock ?? realClock;
  const pacer = new ChannelPacer(clock, options.intervalMs ?? SLACK_CHANNEL_INTERVAL_MS);
  const maxInline = options.maxInlineWaitMs ?? 5000;
  const clients = new Map<string, WebClient>();

  function clientFor(token: string): WebClient {
    let c = clients.get(token);
    if (!c) {
      c = new webApi.WebClient(token, {
        ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
        // our own policy: no hidden sleeps inside the SDK
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        ...(options.logger ? { logger: options.logger } : {}),
      });
      clients.set(token, c);
    }
    return c;
  }

  async function tellOwner(client: WebClient, channel: ChannelRef): Promise<void> {
    try {
      const entries = await options.store.watchList(channel);
      const owner = entries
        .filter((e) => e.addedBy)
        .sort((a, b) => a.addedAt.getTime() - b.addedAt.getTime())[0]?.addedBy;
      if (!owner) return;
      await client.chat.postMessage({
        channel: owner,
        text:
          `I could not post the Posture digest in <#${channel.channelId}>: I am not a member of that channel and cannot join it ` +
          `(it is private). Invite me with /invite @Posture in that channel, then turn the digest back on there: /posture digest mon 09:00`,
      });
    } catch (err) {
      options.logger?.warn(`could not tell the digest's owner about ${channel.channelId}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  return {
    platform: 'slack',
    async deliver(channel, digest, opts) {
      if (channel.platform !== 'slack') throw new DeliveryError({ permanent: true, reason: `not a Slack channel (${channel.platform})` });
      const token = await options.tokenFor(channel.workspaceId);
      if (!token) {
        throw new DeliveryError({ permanent: true, code: 'app_uninstalled', reason: 'Slack: the app is not installed in this workspace any more' });
      }
      const client = clientFor(token);
      const message = renderDigest(forKind(digest, opts.kind));
      const args = {
        channel: channel.channelId,
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        unfurl_media: false,
        metadata: { event_type: 'posture_digest', event_payload: { key: opts.idempotencyKey, period: digest.periodKey, kind: opts.kind } },
      };
      let joined = false;
      let waits = 0;
      for (;;) {
        await pacer.wait(channel);
        try {
          const res = await client.chat.postMessage(args as Parameters<WebClient['chat']['postMessage']>[0]);
          return { messageId: String(res.ts ?? '') };
        } catch (err) {
          if (err instanceof webApi.WebAPIRateLimitedError) {
            const ms = Math.max(0, err.retryAfter) * 1000;
            if (ms <= maxInline && waits < 2) {
              waits++;
              options.logger?.info(`Slack rate limit on ${channel.channelId}: waiting ${err.retryAfter} s as asked`);
              await clock.sleep(ms);
              continue;
            }
            throw slackDeliveryError('ratelimited', { retryAfterSec: err.retryAfter });
          }
          const code = platformError(err);
          if (code === 'not_in_channel' && !joined) {
            joined = true;
            try {
              await client.conversations.join({ channel: channel.channelId });
              options.logger?.info(`joined ${channel.channelId} to post its digest`);
              continue;
            } catch (joinErr) {
              const why = platformError(joinErr) ?? (joinErr instanceof Error ? joinErr.message : String(joinErr));
              await tellOwner(client, channel);
              throw new DeliveryError({
                permanent: true,
                code: 'not_in_channel',
                reason: `Slack: not_in_channel (cannot join: ${why}); invite @Posture to the channel`,
              });
            }
          }
          if (code !== null) throw slackDeliveryError(code);
          if (err instanceof webApi.WebAPIHTTPError) {
            // Slack answered with an HTTP error: nothing was posted
            throw new DeliveryError({ permanent: err.statusCode === 404 || err.statusCode === 410, code: String(err.statusCode), reason: `Slack: HTTP ${err.statusCode}` });
          }
          if (err instanceof webApi.WebAPIRequestError && (err.original as { code?: string }).code === 'ECONNREFUSED') {
            throw new DeliveryError({ permanent: false, code: 'ECONNREFUSED', reason: 'Slack: connection refused' });
          }
          throw err;
        }
      }
    },
  };
}
