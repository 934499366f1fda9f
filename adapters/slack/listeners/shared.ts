/** What every listener needs, and the "Checking example.com…" placeholder logic they share. */
import type { Logger } from '@slack/bolt';
import type { Bot, Reply } from '../../../src/bot/service.ts';
import { parseCommand } from '../../../src/bot/commands.ts';
import type { Store } from '../../../src/store/types.ts';
import { renderReply, type RenderedReply } from '../render/reply.ts';
import { section } from '../render/blocks.ts';

/** The `respond()` Bolt hands to command and action listeners (a POST to `response_url`). */
export interface RespondMessage {
  response_type?: 'in_channel' | 'ephemeral';
  replace_original?: boolean;
  delete_original?: boolean;
  text?: string;
  blocks?: unknown[];
}
export type Respond = (message: RespondMessage) => Promise<unknown>;

export interface ListenerDeps {
  bot: Bot;
  store: Store;
  logger: Logger;
  /** show "Checking example.com…" when a check has not finished after this long (default 2500 ms) */
  placeholderAfterMs?: number;
}

export const DEFAULT_PLACEHOLDER_AFTER_MS = 2500;

/** The domain a command will check (a card, or an explanation for a domain), for the placeholder. */
export function domainBeingChecked(text: string): string | null {
  const p = parseCommand(text);
  if (!p.ok) return null;
  if (p.command.kind === 'check') return p.command.domain;
  if (p.command.kind === 'explain' && p.command.domain) return p.command.domain;
  return null;
}

export function placeholderMessage(domain: string): { text: string; blocks: unknown[] } {
  return { text: `Checking ${domain}…`, blocks: [section(`:hourglass_flowing_sand: Checking *${domain}*…`)] };
}

/** A reply for a crash: ephemeral, with what to type instead. */
export function crashReply(text: string, err: unknown, logger: Logger): Reply {
  logger.error(`handling "${text.slice(0, 200)}" failed:`, err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  const domain = domainBeingChecked(text);
  const again = domain ? ` Try again in a minute: /posture ${domain}` : ' Try again, or /posture help';
  return { kind: 'error', visibility: 'ephemeral', text: `Sorry, that failed on our side.${again}` };
}

export type Settled = { ok: true; reply: Reply } | { ok: false; error: unknown };

/**
 * Run `work`; when it takes longer than `afterMs` and `domain` is set, call `onSlow` once (to show
 * the placeholder) while it goes on. Resolves with the reply (never rejects) and whether `onSlow` ran.
 */
export async function withPlaceholder(
  work: Promise<Reply>,
  domain: string | null,
  afterMs: number,
  onSlow: () => Promise<unknown>,
): Promise<{ settled: Settled; placeholder: boolean }> {
  const settledP: Promise<Settled> = work.then(
    (reply) => ({ ok: true as const, reply }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (domain === null) return { settled: await settledP, placeholder: false };
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<'slow'>((resolve) => {
    timer = setTimeout(() => resolve('slow'), Math.max(0, afterMs));
  });
  const first = await Promise.race([settledP, slow]);
  clearTimeout(timer);
  if (first !== 'slow') return { settled: first, placeholder: false };
  let placeholder = false;
  try {
    await onSlow();
    placeholder = true;
  } catch {
    // a failed placeholder is no reason to lose the card
  }
  return { settled: await settledP, placeholder };
}

export function rendered(settled: Settled, text: string, logger: Logger): RenderedReply {
  return renderReply(settled.ok ? settled.reply : crashReply(text, settled.error, logger));
}

/** Send a reply through `respond`, replacing (or, for an ephemeral reply, removing) the placeholder. */
export async function respondWith(respond: Respond, r: RenderedReply, placeholder: boolean, extra: RespondMessage = {}): Promise<void> {
  if (placeholder && r.responseType === 'in_channel') {
    await respond({ response_type: 'in_channel', replace_original: true, text: r.text, blocks: r.blocks, ...extra });
    return;
  }
  if (placeholder) await respond({ delete_original: true }).catch(() => undefined);
  await respond({ response_type: r.responseType, replace_original: false, text: r.text, blocks: r.blocks, ...extra });
}

/** The workspace's IANA zone, when the store knows it (new digest schedules default to it). */
export async function timeZoneOf(store: Store, team: string): Promise<string | null> {
  try {
    return (await store.getInstallation({ platform: 'slack', workspaceId: team }))?.timeZone ?? null;
  } catch {
    return null;
  }
}
