/**
 * The fields of Slack payloads the listeners rely on, validated with zod. Anything else Slack
 * sends is passed through untouched (`looseObject`), so new fields never break us.
 */
import { z } from 'zod';
import type { Requester } from '../../src/bot/service.ts';

const id = z.string().min(1).max(64);

export const slashCommandSchema = z.looseObject({
  command: z.string().min(1),
  text: z.string().max(4000).default(''),
  team_id: id,
  enterprise_id: z.string().optional(),
  channel_id: id,
  user_id: id,
  response_url: z.url(),
  is_enterprise_install: z.union([z.literal('true'), z.literal('false'), z.boolean()]).optional(),
});
export type SlashCommandPayload = z.infer<typeof slashCommandSchema>;

export const blockActionsSchema = z.looseObject({
  type: z.literal('block_actions'),
  user: z.looseObject({ id, team_id: z.string().optional() }),
  team: z.looseObject({ id }).nullable().optional(),
  enterprise: z.looseObject({ id }).nullable().optional(),
  channel: z.looseObject({ id }).optional(),
  container: z.looseObject({ channel_id: z.string().optional() }).optional(),
  response_url: z.url().optional(),
  actions: z.array(z.looseObject({ action_id: z.string().min(1).max(255), value: z.string().optional() })).min(1),
});
export type BlockActionsPayload = z.infer<typeof blockActionsSchema>;

export const messageEventSchema = z.looseObject({
  type: z.enum(['app_mention', 'message']),
  text: z.string().default(''),
  user: id,
  channel: id,
  channel_type: z.string().optional(),
  ts: z.string(),
  thread_ts: z.string().optional(),
  subtype: z.string().optional(),
  bot_id: z.string().optional(),
  team: z.string().optional(),
});
export type MessageEventPayload = z.infer<typeof messageEventSchema>;

export const appHomeOpenedSchema = z.looseObject({
  type: z.literal('app_home_opened'),
  user: id,
  tab: z.string().optional(),
});

/** The team of an event envelope (`body.team_id`), for events whose inner payload lacks it. */
export const envelopeSchema = z.looseObject({
  team_id: z.string().optional(),
  enterprise_id: z.string().optional(),
  is_enterprise_install: z.boolean().optional(),
});

export const tokensRevokedSchema = z.looseObject({
  type: z.literal('tokens_revoked'),
  tokens: z.looseObject({ bot: z.array(z.string()).optional(), oauth: z.array(z.string()).optional() }),
});

/**
 * The workspace a channel belongs to: the team. (Enterprise Grid org-wide installs are keyed on
 * the enterprise id for tokens — see installation-store.ts — but channels stay per team.)
 */
export function requester(team: string, channel: string, user: string, timeZone?: string | null): Requester {
  return {
    channel: { platform: 'slack', workspaceId: team, channelId: channel },
    userId: user,
    ...(timeZone ? { timeZone } : {}),
  };
}

/** Text after the leading mention(s) of the bot in an app_mention: "<@U123> explain MTA-STS" → "explain MTA-STS". */
export function stripMention(text: string, botUserId?: string): string {
  let t = text.trim();
  if (botUserId) t = t.split(`<@${botUserId}>`).join(' ');
  return t.replace(/^(?:\s*<@[A-Z0-9]+(?:\|[^>]*)?>\s*)+/, '').replace(/\s+/g, ' ').trim();
}
