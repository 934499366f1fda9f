/**
 * Card buttons (`block_actions`), routed by the action id `actionId()` made
 * (`posture:<kind>:<domain>[:<topic>]`): Re-check posts a fresh card in the channel; Explain
 * answers the person who clicked with the explanation (for that domain); Watch adds the domain to
 * the channel's watch list; Show fix plan answers with the plan, ephemeral.
 */
import { parseActionId } from '../../../src/bot/card.ts';
import type { Reply } from '../../../src/bot/service.ts';
import { blockActionsSchema, requester } from '../payloads.ts';
import { renderReply } from '../render/reply.ts';
import { crashReply, timeZoneOf, type ListenerDeps, type Respond } from './shared.ts';

export interface ActionArgs {
  body: unknown;
  ack: () => Promise<void>;
  respond: Respond;
}

export function actionsListener(deps: ListenerDeps): (args: ActionArgs) => Promise<void> {
  return async ({ body, ack, respond }) => {
    await ack();
    const parsed = blockActionsSchema.safeParse(body);
    if (!parsed.success) {
      deps.logger.warn(`block_actions payload rejected: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
      return;
    }
    const p = parsed.data;
    const action = parseActionId(p.actions[0]!.action_id);
    if (!action) {
      deps.logger.debug(`ignoring action ${p.actions[0]!.action_id}`);
      return;
    }
    const team = p.team?.id ?? p.user.team_id ?? p.enterprise?.id;
    const channel = p.channel?.id ?? p.container?.channel_id ?? p.user.id;
    if (!team) {
      deps.logger.warn('block_actions payload without a team');
      return;
    }
    const who = requester(team, channel, p.user.id, await timeZoneOf(deps.store, team));
    const label = `${action.kind} ${action.domain}`;
    let reply: Reply;
    let forceEphemeral = false;
    try {
      switch (action.kind) {
        case 'recheck':
          reply = await deps.bot.card(action.domain, who);
          break;
        case 'explain':
          reply = await deps.bot.handle({ kind: 'explain', topic: action.topic ?? 'grade', domain: action.domain }, who);
          forceEphemeral = true; // an answer for the person who asked, not the whole channel
          break;
        case 'watch':
          reply = await deps.bot.handle({ kind: 'watch', domains: [action.domain] }, who);
          break;
        case 'plan':
          reply = await deps.bot.plan(action.domain, who);
          forceEphemeral = true;
          break;
      }
    } catch (err) {
      reply = crashReply(label, err, deps.logger);
    }
    const r = renderReply(reply);
    try {
      await respond({
        response_type: forceEphemeral ? 'ephemeral' : r.responseType,
        replace_original: false,
        text: r.text,
        blocks: r.blocks,
      });
    } catch (err) {
      deps.logger.error(`could not answer the ${action.kind} button: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}
