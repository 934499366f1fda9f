/**
 * One router for every interaction: `/posture` chat input, autocomplete and card buttons.
 *
 * - Every chat input and button is acknowledged first (defer, within Discord's 3 s) and the
 *   answer edited in afterwards. The deferral's visibility is decided up front from the
 *   command (errors, help, lists and refusals ephemeral; cards, explanations and changes to
 *   the channel public); an ephemeral answer to a public deferral deletes the "thinking…"
 *   message and follows up ephemerally, so errors are never shown to the channel.
 * - Every response goes through `respond()`, which looks at `deferred`/`replied` first: no path
 *   answers twice (InteractionAlreadyReplied) and none leaves "The application did not respond".
 * - Button custom ids come from `actionId()` (`posture:<kind>:<domain>[:<topic>]`): stateless,
 *   so buttons on old cards keep working after a restart.
 */
import {
  MessageFlags,
  PermissionFlagsBits,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type InteractionEditReplyOptions,
  type InteractionReplyOptions,
  type RepliableInteraction,
} from 'discord.js';
import type { Bot, Reply, Requester } from '../../src/bot/service.ts';
import { parseActionId } from '../../src/bot/card.ts';
import type { ChannelRef, Store } from '../../src/store/types.ts';
import { COMMAND_NAME, commandFromInteraction } from './commands.ts';
import { autocompleteChoices, buttonPlan, deferEphemeral } from './routing.ts';
import { renderReply, type RenderedReply } from './render/reply.ts';

export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export interface RouterDeps {
  bot: Bot;
  store: Store;
  log?: LogFn;
}


/** The workspace a Discord interaction or message belongs to (a guild; DMs key on the user). */
export function channelRefOf(guildId: string | null, channelId: string | null, userId: string): ChannelRef {
  return { platform: 'discord', workspaceId: guildId ?? `dm:${userId}`, channelId: channelId ?? `dm:${userId}` };
}

export function requesterOf(i: { guildId: string | null; channelId: string | null; user: { id: string }; memberPermissions: { has(p: bigint): boolean } | null }): Requester {
  return {
    channel: channelRefOf(i.guildId, i.channelId, i.user.id),
    userId: i.user.id,
    timeZone: null, // Discord does not tell us the server's zone
    // Manage Server, from the member's permissions in this channel (in a DM the user manages their own)
    canManage: i.guildId ? (i.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false) : true,
  };
}

const error = (text: string): Reply => ({ kind: 'error', visibility: 'ephemeral', text });

type Deferral = 'none' | 'public' | 'ephemeral' | 'update';

interface State {
  deferral: Deferral;
}

function asEdit(r: RenderedReply): InteractionEditReplyOptions {
  return {
    content: r.content ?? '',
    embeds: r.embeds,
    components: r.components,
    allowedMentions: { parse: [] },
  };
}

function asReply(r: RenderedReply, ephemeral: boolean): InteractionReplyOptions {
  return {
    ...(r.content ? { content: r.content } : {}),
    embeds: r.embeds,
    components: r.components,
    allowedMentions: { parse: [] },
    ...(ephemeral ? { flags: MessageFlags.Ephemeral } : {}),
  };
}

/**
 * Send the answer, whatever has been sent so far. `state.deferral` says how the interaction was
 * acknowledged; `deferred`/`replied` are checked too, so a second answer becomes a follow-up.
 */
export async function respond(i: RepliableInteraction, state: State, r: RenderedReply): Promise<void> {
  if (!i.deferred && !i.replied) {
    await i.reply(asReply(r, r.ephemeral));
    return;
  }
  if (i.replied) {
    await i.followUp(asReply(r, r.ephemeral));
    return;
  }
  // deferred, not yet answered
  switch (state.deferral) {
    case 'ephemeral':
      await i.editReply(asEdit(r)); // an ephemeral deferral stays ephemeral; a channel answer is shown to the asker
      return;
    case 'update':
      if (r.ephemeral) await i.followUp(asReply(r, true));
      else await i.editReply(asEdit(r)); // edits the message the button is on
      return;
    default:
      if (r.ephemeral) {
        // a public "thinking…" cannot become ephemeral: remove it and answer privately
        await i.deleteReply().catch(() => undefined);
        await i.followUp(asReply(r, true));
      } else {
        await i.editReply(asEdit(r));
      }
  }
}

async function defer(i: ChatInputCommandInteraction | ButtonInteraction, state: State, ephemeral: boolean): Promise<void> {
  await i.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
  state.deferral = ephemeral ? 'ephemeral' : 'public';
}

export function createInteractionRouter(deps: RouterDeps): (interaction: Interaction) => Promise<void> {
  const log: LogFn = deps.log ?? (() => undefined);

  async function failSafely(i: RepliableInteraction, state: State, err: unknown): Promise<void> {
    log('error', 'discord interaction failed', { id: i.id, error: err instanceof Error ? err.message : String(err) });
    try {
      await respond(i, state, renderReply(error('Something went wrong while answering. Try again in a minute; if it keeps failing, tell whoever runs Posture.')));
    } catch (e) {
      // 10062 Unknown interaction (token expired) and the like: nothing more can be said
      log('warn', 'discord could not report the failure', { id: i.id, error: e instanceof Error ? e.message : String(e) });
    }
  }

  async function onChatInput(i: ChatInputCommandInteraction): Promise<void> {
    if (i.commandName !== COMMAND_NAME) return;
    const state: State = { deferral: 'none' };
    try {
      const who = requesterOf(i);
      const built = commandFromInteraction(i);
      await defer(i, state, !built.ok || deferEphemeral(built.path, who));
      const reply = built.ok ? await deps.bot.handle(built.command, who) : error(built.error);
      await respond(i, state, renderReply(reply));
    } catch (err) {
      await failSafely(i, state, err);
    }
  }

  async function onButton(i: ButtonInteraction): Promise<void> {
    const action = parseActionId(i.customId);
    if (!action) return; // not ours
    const state: State = { deferral: 'none' };
    try {
      const who = requesterOf(i);
      const plan = buttonPlan(action, who);
      if (plan.deferral === 'update') {
        await i.deferUpdate();
        state.deferral = 'update';
      } else {
        await defer(i, state, plan.deferral === 'ephemeral');
      }
      const reply: Reply = await plan.run(deps.bot, who);
      await respond(i, state, renderReply(reply));
    } catch (err) {
      await failSafely(i, state, err);
    }
  }

  async function onAutocomplete(i: AutocompleteInteraction): Promise<void> {
    if (i.commandName !== COMMAND_NAME) return;
    try {
      const focused = i.options.getFocused(true);
      const choices = await autocompleteChoices(
        { name: focused.name, value: String(focused.value) },
        channelRefOf(i.guildId, i.channelId, i.user.id),
        deps.store,
      );
      if (!i.responded) await i.respond(choices);
    } catch (err) {
      log('warn', 'discord autocomplete failed', { id: i.id, error: err instanceof Error ? err.message : String(err) });
      if (!i.responded) await i.respond([]).catch(() => undefined);
    }
  }

  return async (interaction: Interaction): Promise<void> => {
    if (interaction.isChatInputCommand()) return onChatInput(interaction);
    if (interaction.isAutocomplete()) return onAutocomplete(interaction);
    if (interaction.isButton()) return onButton(interaction);
  };
}


