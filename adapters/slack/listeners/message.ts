/**
 * Mentions (`app_mention`: "@Posture explain MTA-STS") and direct messages (`message.im`) take the
 * same words as `/posture`. Replies go with `chat.postMessage` in the thread of the mention (or the
 * DM); ephemeral replies in a channel go with `chat.postEphemeral` to the person who asked. A slow
 * check first posts "Checking example.com…" and then edits it into the card (`chat.update`).
 */
import type { Logger } from '@slack/bolt';
import { envelopeSchema, messageEventSchema, requester, stripMention } from '../payloads.ts';
import {
  DEFAULT_PLACEHOLDER_AFTER_MS, domainBeingChecked, placeholderMessage, rendered, timeZoneOf, withPlaceholder,
  type ListenerDeps,
} from './shared.ts';

/** The slice of `client.chat` the listener uses. */
export interface ChatApi {
  postMessage(args: { channel: string; text: string; blocks?: unknown[]; thread_ts?: string }): Promise<{ ts?: string }>;
  postEphemeral(args: { channel: string; user: string; text: string; blocks?: unknown[]; thread_ts?: string }): Promise<unknown>;
  update(args: { channel: string; ts: string; text: string; blocks?: unknown[] }): Promise<unknown>;
  delete(args: { channel: string; ts: string }): Promise<unknown>;
}

export interface MessageArgs {
  event: unknown;
  body: unknown;
  client: { chat: ChatApi };
  context: { botUserId?: string };
}

async function answer(deps: ListenerDeps, chat: ChatApi, ev: { text: string; user: string; channel: string; ts: string; thread_ts?: string | undefined }, team: string, isDm: boolean, logger: Logger): Promise<void> {
  const afterMs = deps.placeholderAfterMs ?? DEFAULT_PLACEHOLDER_AFTER_MS;
  const thread = isDm ? ev.thread_ts : (ev.thread_ts ?? ev.ts);
  const where = { channel: ev.channel, ...(thread ? { thread_ts: thread } : {}) };
  const who = requester(team, ev.channel, ev.user, await timeZoneOf(deps.store, team));
  const domain = domainBeingChecked(ev.text);
  let placeholderTs: string | undefined;
  const { settled } = await withPlaceholder(deps.bot.handleText(ev.text, who), domain, afterMs, async () => {
    const r = await chat.postMessage({ ...where, ...placeholderMessage(domain ?? '') });
    placeholderTs = r.ts;
  });
  const r = rendered(settled, ev.text, logger);
  if (r.responseType === 'ephemeral' && !isDm) {
    if (placeholderTs) await chat.delete({ channel: ev.channel, ts: placeholderTs }).catch(() => undefined);
    await chat.postEphemeral({ ...where, user: ev.user, text: r.text, blocks: r.blocks });
    return;
  }
  if (placeholderTs) {
    await chat.update({ channel: ev.channel, ts: placeholderTs, text: r.text, blocks: r.blocks });
    return;
  }
  await chat.postMessage({ ...where, text: r.text, blocks: r.blocks });
}

/** `app_mention` */
export function mentionListener(deps: ListenerDeps): (args: MessageArgs) => Promise<void> {
  return async ({ event, body, client, context }) => {
    const parsed = messageEventSchema.safeParse(event);
    if (!parsed.success) {
      deps.logger.warn('app_mention payload rejected');
      return;
    }
    const ev = parsed.data;
    const team = envelopeSchema.safeParse(body).data?.team_id ?? ev.team;
    if (!team) return;
    const text = stripMention(ev.text, context.botUserId);
    try {
      await answer(deps, client.chat, { ...ev, text }, team, false, deps.logger);
    } catch (err) {
      deps.logger.error(`could not answer a mention: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}

/** `message` in a DM with the app (`message.im`); other messages and edits are ignored. */
export function directMessageListener(deps: ListenerDeps): (args: MessageArgs) => Promise<void> {
  return async ({ event, body, client, context }) => {
    const parsed = messageEventSchema.safeParse(event);
    if (!parsed.success) return;
    const ev = parsed.data;
    if (ev.channel_type !== 'im' || ev.subtype !== undefined || ev.bot_id !== undefined) return;
    if (context.botUserId && ev.user === context.botUserId) return;
    const team = envelopeSchema.safeParse(body).data?.team_id ?? ev.team;
    if (!team) return;
    const text = stripMention(ev.text, context.botUserId);
    try {
      await answer(deps, client.chat, { ...ev, text }, team, true, deps.logger);
    } catch (err) {
      deps.logger.error(`could not answer a direct message: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}
