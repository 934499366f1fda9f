/**
 * The posture card (neutral `PostureCard`) as a Block Kit message: a header naming the domain and
 * `grade X`, the verdict, a line per check with its status emoji and summary, the worst findings
 * with their fixes, and the buttons (Re-check, Explain the worst finding, Watch, Fix plan).
 * Degrades by folding findings into "+N more" until the message is inside our budget.
 */
import { actionId, type CardAction, type GradeTone, type PostureCard, type StatusToken } from '../../../src/bot/card.ts';
import {
  LIMITS, MESSAGE_TEXT_BUDGET, blocksTextSize, clip, codeBlock, context, divider, esc, header, inlineCode, section,
  type Block, type ButtonElement, type SlackMessage,
} from './blocks.ts';

export const STATUS_EMOJI: Record<StatusToken, string> = {
  ok: ':white_check_mark:',
  info: ':information_source:',
  warning: ':warning:',
  problem: ':x:',
  unknown: ':grey_question:',
};

export const TONE_EMOJI: Record<GradeTone, string> = {
  good: ':large_green_circle:',
  fair: ':large_yellow_circle:',
  poor: ':large_orange_circle:',
  bad: ':red_circle:',
};

/** Slack button labels (the issue names them: Re-check, Explain, Watch this domain, Show fix plan). */
function buttonLabel(a: CardAction): string {
  switch (a.kind) {
    case 'watch':
      return 'Watch this domain';
    case 'plan':
      return 'Show fix plan';
    default:
      return a.label;
  }
}

export function cardButtons(card: PostureCard): ButtonElement[] {
  const out: ButtonElement[] = [];
  for (const a of card.actions) {
    const id = actionId(a, LIMITS.actionId);
    if (id === null) continue; // a domain too long for an action id: that button is left out
    const b: ButtonElement = {
      type: 'button',
      text: { type: 'plain_text', text: clip(buttonLabel(a), LIMITS.buttonText), emoji: true },
      action_id: id,
      value: clip(a.command, LIMITS.buttonValue),
    };
    if (a.primary) b.style = 'primary';
    out.push(b);
  }
  return out;
}

function findingBlock(f: PostureCard['findings'][number], domain: string): Block {
  const lines = [
    `${STATUS_EMOJI[f.token]} *${esc(f.checkName)}* ${inlineCode(f.code)}`,
    esc(f.message),
  ];
  if (f.fix) lines.push(`*Fix:*\n${codeBlock(f.fix)}`);
  const tail: string[] = [];
  if (f.ref) tail.push(esc(f.ref));
  if (f.truncated) tail.push(`full text: ${inlineCode(`/posture explain ${f.code} for ${domain}`)}`);
  if (tail.length) lines.push(`_${tail.join(' · ')}_`);
  return section(lines.join('\n'));
}

export interface CardRenderOptions {
  /** total text budget (default {@link MESSAGE_TEXT_BUDGET}) */
  maxTotalChars?: number;
}

/** The card as a Slack message. `text` starts with the headline ("example.com: grade B (82/100)"). */
export function renderCard(card: PostureCard, options: CardRenderOptions = {}): SlackMessage {
  const budget = options.maxTotalChars ?? MESSAGE_TEXT_BUDGET;
  const head: Block[] = [
    header(card.title),
    section(`${TONE_EMOJI[card.tone]} *Grade ${card.grade}* (${card.score}/100) — ${esc(card.summary)}`),
  ];
  const checkLines = card.checks.map((c) => `${STATUS_EMOJI[c.token]} *${esc(c.name)}* — ${esc(c.summary)}`);
  if (checkLines.length) head.push(section(checkLines.join('\n')));

  const buttons = cardButtons(card);
  const footer = (more: number): Block[] => {
    const notes: string[] = [];
    if (more > 0) notes.push(`+${more} more finding${more === 1 ? '' : 's'} — *Show fix plan* lists every step`);
    if (card.reasons.length) notes.push(esc(clip(card.reasons.join(' · '), 600)));
    notes.push(`Checked ${esc(card.checkedAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC'))}`);
    const out: Block[] = [context(...notes)];
    if (buttons.length) out.push({ type: 'actions', block_id: 'posture_card_actions', elements: buttons });
    return out;
  };

  let findings = card.findings.map((f) => findingBlock(f, card.domain));
  let more = card.moreFindings;
  const assemble = (): Block[] => [...head, ...(findings.length ? [divider(), ...findings] : []), ...footer(more)];
  let blocks = assemble();
  // degrade: fold findings into "+N more" until the message fits
  while ((blocksTextSize(blocks) > budget || blocks.length > LIMITS.blocks) && findings.length > 0) {
    findings = findings.slice(0, -1);
    more++;
    blocks = assemble();
  }
  return { text: clip(card.text, LIMITS.fallbackText), blocks };
}
