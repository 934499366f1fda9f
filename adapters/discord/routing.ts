/**
 * The routing decisions both Discord ingresses share (the discord.js gateway router and the HTTP
 * interactions endpoint): how an interaction is deferred, what a card button asks the bot, and
 * the autocomplete choices. Pure functions, so the rules live in one place.
 */
import type { Bot, Reply, Requester } from '../../src/bot/service.ts';
import type { CardActionKind } from '../../src/bot/card.ts';
import { listTopics } from '../../src/explain/index.ts';
import type { ChannelRef, Store } from '../../src/store/types.ts';
import { MANAGE_SUBCOMMANDS } from './commands.ts';

/** Discord shows at most 25 autocomplete choices. */
export const AUTOCOMPLETE_MAX = 25;

/** Visibility of a chat-input deferral, chosen before the answer exists (as the gateway router does). */
export function deferEphemeral(path: string, who: Requester): boolean {
  if (MANAGE_SUBCOMMANDS.has(path)) return who.canManage === false;
  return !['check', 'explain'].includes(path);
}

export type Deferral = 'public' | 'ephemeral' | 'update';

/** How a card button is acknowledged and what it asks the bot. */
export interface ButtonPlan {
  deferral: Deferral;
  run(bot: Bot, who: Requester): Promise<Reply>;
}

export function buttonPlan(action: { kind: CardActionKind; domain: string; topic?: string }, who: Requester): ButtonPlan {
  switch (action.kind) {
    case 'recheck':
      return { deferral: 'update', run: (bot, w) => bot.card(action.domain, w) };
    case 'explain':
      return {
        deferral: 'ephemeral',
        run: async (bot, w) => ({ ...(await bot.handle({ kind: 'explain', topic: action.topic ?? 'grade', domain: action.domain }, w)), visibility: 'ephemeral' }) as Reply,
      };
    case 'watch':
      return { deferral: who.canManage === false ? 'ephemeral' : 'public', run: (bot, w) => bot.handle({ kind: 'watch', domains: [action.domain] }, w) };
    case 'plan':
      return { deferral: 'ephemeral', run: (bot, w) => bot.plan(action.domain, w) };
  }
}

function choiceName(s: string): string {
  return s.length <= 100 ? s : `${s.slice(0, 99)}…`;
}

/** Autocomplete choices for the focused option (topic, domain, zone), at most 25. */
export async function autocompleteChoices(
  focused: { name: string; value: string },
  channel: ChannelRef,
  store: Pick<Store, 'watchList'>,
): Promise<{ name: string; value: string }[]> {
  const q = focused.value.trim().toLowerCase();
  let choices: { name: string; value: string }[] = [];
  if (focused.name === 'topic') {
    const topics = listTopics();
    const starts = topics.filter((t) => t.id.startsWith(q) || t.title.toLowerCase().startsWith(q));
    const contains = topics.filter((t) => !starts.includes(t) && (t.id.includes(q) || t.title.toLowerCase().includes(q)));
    choices = [...starts, ...contains].map((t) => ({ name: choiceName(t.kind === 'finding' ? `${t.id}: ${t.title}` : t.title), value: t.id }));
  } else if (focused.name === 'domain') {
    const entries = await store.watchList(channel);
    const hits = entries.filter((e) => e.domain.includes(q));
    hits.sort((a, b) => Number(!a.domain.startsWith(q)) - Number(!b.domain.startsWith(q)));
    choices = hits.map((e) => ({ name: choiceName(e.domain), value: e.domain.slice(0, 100) }));
  } else if (focused.name === 'zone') {
    choices = Intl.supportedValuesOf('timeZone').filter((z) => z.toLowerCase().includes(q)).map((z) => ({ name: z, value: z }));
  }
  return choices.slice(0, AUTOCOMPLETE_MAX);
}

