/**
 * The neutral posture card as Discord embeds and buttons. The first embed's title is the card's
 * `title` ("example.com: grade B (82/100)", CONTRACTS §5), its colour follows the grade, a field
 * per check; a second embed holds the worst findings with their fixes. Buttons carry custom ids
 * from `actionId()` (routed by one handler, stateless, so they survive restarts).
 */
import { ButtonStyle, ComponentType, escapeMarkdown, type APIButtonComponentWithCustomId, type APIEmbed } from 'discord.js';
import { actionId, truncate, type GradeTone, type PostureCard, type StatusToken } from '../../../src/bot/card.ts';
import { LIMITS, fitEmbeds, type ActionRow, type MessagePayload } from './limits.ts';

export const TOKEN_EMOJI: Record<StatusToken, string> = {
  ok: '✅',
  info: 'ℹ️',
  warning: '⚠️',
  problem: '❌',
  unknown: '❔',
};

export const GRADE_COLOUR: Record<string, number> = {
  A: 0x2e7d32,
  B: 0x7cb342,
  C: 0xf9a825,
  D: 0xef6c00,
  F: 0xc62828,
};

export const TONE_COLOUR: Record<GradeTone, number> = { good: 0x2e7d32, fair: 0xf9a825, poor: 0xef6c00, bad: 0xc62828 };
export const NEUTRAL_COLOUR = 0x5865f2;

/** Plain text from the neutral models, safe from Discord markdown. */
export function md(text: string): string {
  return escapeMarkdown(text);
}

/** A pasteable code block that fits in `max` characters (the fence is never cut off). */
export function codeBlock(text: string, max: number): string {
  const body = text.replace(/```/g, "'''");
  return `\`\`\`\n${truncate(body, Math.max(1, max - 8))}\n\`\`\``;
}

export function cardEmbeds(card: PostureCard): APIEmbed[] {
  const colour = GRADE_COLOUR[card.grade] ?? TONE_COLOUR[card.tone];
  const description = [md(card.summary), ...card.reasons.map((r) => `• ${md(r)}`)].join('\n');
  const main: APIEmbed = {
    title: truncate(card.title, LIMITS.title),
    description: truncate(description, 1500),
    color: colour,
    fields: card.checks.map((c) => ({
      name: truncate(`${TOKEN_EMOJI[c.token]} ${c.name}`, LIMITS.fieldName),
      value: truncate(md(c.summary) || c.status, 300),
      inline: true,
    })),
    footer: { text: 'Posture · grades from the published rubric (/posture explain topic:grade)' },
    timestamp: card.checkedAt,
  };
  const embeds: APIEmbed[] = [main];
  if (card.findings.length) {
    embeds.push({
      title: 'Worst findings',
      color: colour,
      fields: card.findings.map((f) => {
        const head = `${md(f.message)}${f.ref ? ` (${md(f.ref)})` : ''}`;
        const fixRoom = LIMITS.fieldValue - 100 - Math.min(head.length, 400);
        const value = f.fix
          ? `${truncate(head, 400)}\n**Fix:**\n${codeBlock(f.fix, Math.min(600, fixRoom))}`
          : truncate(head, 900);
        return { name: truncate(`${TOKEN_EMOJI[f.token]} ${f.checkName}: ${f.code}`, LIMITS.fieldName), value };
      }),
      ...(card.moreFindingsText ? { footer: { text: `${card.moreFindingsText} · /posture explain topic:<code> domain:${card.domain}` } } : {}),
    });
  }
  return fitEmbeds(embeds);
}

export function cardComponents(card: PostureCard): ActionRow[] {
  const buttons: APIButtonComponentWithCustomId[] = [];
  for (const a of card.actions) {
    const id = actionId(a, LIMITS.customId);
    if (!id) continue; // a domain too long for a custom id: leave the button out
    buttons.push({
      type: ComponentType.Button,
      style: a.primary ? ButtonStyle.Primary : ButtonStyle.Secondary,
      label: truncate(a.label, LIMITS.buttonLabel),
      custom_id: id,
    });
  }
  return buttons.length ? [{ type: ComponentType.ActionRow, components: buttons.slice(0, LIMITS.buttonsPerRow) }] : [];
}

export function renderCard(card: PostureCard): MessagePayload {
  return { embeds: cardEmbeds(card), components: cardComponents(card) };
}
