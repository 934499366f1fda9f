/**
 * `/posture …`: acknowledged at once (an empty ack, well inside Slack's 3 s), then the reply goes
 * through `response_url` — cards and explanations `in_channel`, errors and usage `ephemeral`. A
 * check still running after `placeholderAfterMs` first shows "Checking example.com…", which the
 * card then replaces.
 */
import { slashCommandSchema } from '../payloads.ts';
import { requester } from '../payloads.ts';
import {
  DEFAULT_PLACEHOLDER_AFTER_MS, domainBeingChecked, placeholderMessage, rendered, respondWith, timeZoneOf, withPlaceholder,
  type ListenerDeps, type Respond,
} from './shared.ts';

export interface CommandArgs {
  command: unknown;
  ack: () => Promise<void>;
  respond: Respond;
}

export function commandListener(deps: ListenerDeps): (args: CommandArgs) => Promise<void> {
  const afterMs = deps.placeholderAfterMs ?? DEFAULT_PLACEHOLDER_AFTER_MS;
  return async ({ command, ack, respond }) => {
    await ack();
    const parsed = slashCommandSchema.safeParse(command);
    if (!parsed.success) {
      deps.logger.warn(`slash command payload rejected: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
      return;
    }
    const c = parsed.data;
    const text = c.text.trim();
    try {
      const who = requester(c.team_id, c.channel_id, c.user_id, await timeZoneOf(deps.store, c.team_id));
      const domain = domainBeingChecked(text);
      const { settled, placeholder } = await withPlaceholder(deps.bot.handleText(text, who), domain, afterMs, () =>
        respond({ response_type: 'in_channel', ...placeholderMessage(domain ?? '') }),
      );
      await respondWith(respond, rendered(settled, text, deps.logger), placeholder);
    } catch (err) {
      // respond() itself failed (response_url expired or unreachable): nothing more we can tell the user
      deps.logger.error(`could not answer ${c.command}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}
