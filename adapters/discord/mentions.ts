/**
 * "@Posture explain MTA-STS": a message that mentions the bot is a command, answered in the
 * channel as a reply. Needs the GuildMessages intent (not privileged); the content of a message
 * that mentions the bot is delivered without the privileged MessageContent intent. Direct
 * messages (DirectMessages intent) are commands without the mention.
 */
import { ChannelType, PermissionFlagsBits, type Message } from 'discord.js';
import type { Bot, Requester } from '../../src/bot/service.ts';
import { channelRefOf, type LogFn } from './interactions.ts';
import { renderReply } from './render/reply.ts';

/** The text after the bot's mention(s), or null when the message is not for us. */
export function commandText(content: string, botId: string, isDm: boolean): string | null {
  const mention = new RegExp(`<@!?${botId}>`, 'g');
  if (!isDm && !mention.test(content)) return null;
  return content.replace(mention, ' ').replace(/\s+/g, ' ').trim();
}

export function createMentionHandler(deps: { bot: Bot; log?: LogFn }): (message: Message) => Promise<void> {
  const log: LogFn = deps.log ?? (() => undefined);
  return async (message: Message): Promise<void> => {
    if (message.author.bot || message.webhookId) return;
    const me = message.client.user;
    if (!me) return;
    const isDm = message.channel.type === ChannelType.DM;
    // a real mention of the bot, not @everyone or a role it happens to have
    if (!isDm && !message.mentions.users.has(me.id)) return;
    const text = commandText(message.content, me.id, isDm);
    if (text === null) return;
    let canManage = true;
    if (message.guildId) {
      try {
        canManage = message.member?.permissionsIn(message.channelId).has(PermissionFlagsBits.ManageGuild) ?? false;
      } catch {
        canManage = false;
      }
    }
    const who: Requester = {
      channel: channelRefOf(message.guildId, message.channelId, message.author.id),
      userId: message.author.id,
      timeZone: null,
      canManage,
    };
    try {
      const reply = await deps.bot.handleText(text, who);
      const r = renderReply(reply);
      await message.reply({
        ...(r.content ? { content: r.content } : {}),
        embeds: r.embeds,
        components: r.components,
        allowedMentions: { parse: [], repliedUser: false },
      });
    } catch (err) {
      log('warn', 'discord mention not answered', { channel: message.channelId, error: err instanceof Error ? err.message : String(err) });
    }
  };
}
