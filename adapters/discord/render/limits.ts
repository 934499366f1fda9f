/**
 * Discord's message limits (chatops research §2.4) and the two tools that keep us inside them:
 * `fitEmbeds` folds (truncates, then drops trailing fields and embeds with a "+N more" note)
 * and `validateMessage` reports every violation (tests run it on every rendered message).
 * Builders check the per-field limits but not the 6000-character total, hence our own budget.
 */
import type { APIActionRowComponent, APIComponentInMessageActionRow, APIEmbed } from 'discord.js';
import { truncate } from '../../../src/bot/card.ts';

export const LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  author: 256,
  /** the sum over all embeds of a message */
  total: 6000,
  embeds: 10,
  content: 2000,
  actionRows: 5,
  buttonsPerRow: 5,
  customId: 100,
  buttonLabel: 80,
} as const;

/** What we allow ourselves per message: the 6000 total with a margin. */
export const MESSAGE_BUDGET = 5500;

export type ActionRow = APIActionRowComponent<APIComponentInMessageActionRow>;

export interface MessagePayload {
  content?: string;
  embeds: APIEmbed[];
  components: ActionRow[];
}

/** Characters Discord counts toward the 6000 total for one embed. */
export function embedSize(e: APIEmbed): number {
  let n = (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0) + (e.author?.name.length ?? 0);
  for (const f of e.fields ?? []) n += f.name.length + f.value.length;
  return n;
}

export function embedsSize(embeds: readonly APIEmbed[]): number {
  return embeds.reduce((n, e) => n + embedSize(e), 0);
}

/** Every limit the message breaks (empty when it is valid). */
export function validateMessage(m: { content?: string | undefined; embeds?: readonly APIEmbed[]; components?: readonly ActionRow[] }): string[] {
  const problems: string[] = [];
  const embeds = m.embeds ?? [];
  if ((m.content?.length ?? 0) > LIMITS.content) problems.push(`content ${m.content!.length} > ${LIMITS.content}`);
  if (embeds.length > LIMITS.embeds) problems.push(`${embeds.length} embeds > ${LIMITS.embeds}`);
  embeds.forEach((e, i) => {
    const at = `embed ${i}`;
    if ((e.title?.length ?? 0) > LIMITS.title) problems.push(`${at}: title ${e.title!.length} > ${LIMITS.title}`);
    if ((e.description?.length ?? 0) > LIMITS.description) problems.push(`${at}: description ${e.description!.length} > ${LIMITS.description}`);
    if (e.description !== undefined && e.description.length === 0) problems.push(`${at}: empty description`);
    if ((e.footer?.text.length ?? 0) > LIMITS.footer) problems.push(`${at}: footer > ${LIMITS.footer}`);
    if ((e.author?.name.length ?? 0) > LIMITS.author) problems.push(`${at}: author > ${LIMITS.author}`);
    const fields = e.fields ?? [];
    if (fields.length > LIMITS.fields) problems.push(`${at}: ${fields.length} fields > ${LIMITS.fields}`);
    fields.forEach((f, j) => {
      if (f.name.length === 0 || f.name.length > LIMITS.fieldName) problems.push(`${at} field ${j}: name length ${f.name.length}`);
      if (f.value.length === 0 || f.value.length > LIMITS.fieldValue) problems.push(`${at} field ${j}: value length ${f.value.length}`);
    });
    if (!e.title && !e.description && !fields.length) problems.push(`${at}: empty embed`);
  });
  const total = embedsSize(embeds);
  if (total > LIMITS.total) problems.push(`embeds total ${total} > ${LIMITS.total}`);
  const rows = m.components ?? [];
  if (rows.length > LIMITS.actionRows) problems.push(`${rows.length} action rows > ${LIMITS.actionRows}`);
  rows.forEach((r, i) => {
    if (r.components.length === 0 || r.components.length > LIMITS.buttonsPerRow) problems.push(`row ${i}: ${r.components.length} components`);
    for (const c of r.components) {
      const id = (c as { custom_id?: string }).custom_id;
      if (id !== undefined && (id.length === 0 || id.length > LIMITS.customId)) problems.push(`row ${i}: custom_id length ${id.length}`);
      const label = (c as { label?: string }).label;
      if (label !== undefined && label.length > LIMITS.buttonLabel) problems.push(`row ${i}: label length ${label.length}`);
    }
  });
  return problems;
}

/** Per-embed limits by truncation (never fails). */
export function clampEmbed(e: APIEmbed): APIEmbed {
  const out: APIEmbed = { ...e };
  if (out.title !== undefined) out.title = truncate(out.title, LIMITS.title);
  if (out.description !== undefined) out.description = truncate(out.description, LIMITS.description);
  if (out.footer) out.footer = { ...out.footer, text: truncate(out.footer.text, LIMITS.footer) };
  if (out.author) out.author = { ...out.author, name: truncate(out.author.name, LIMITS.author) };
  if (out.fields) {
    out.fields = out.fields
      .filter((f) => f.name.trim() && f.value.trim())
      .map((f) => ({ ...f, name: truncate(f.name, LIMITS.fieldName), value: truncateBlock(f.value, LIMITS.fieldValue) }));
  }
  return out;
}

/**
 * Truncate text that may end in a fenced code block without leaving the fence open.
 */
export function truncateBlock(text: string, max: number): string {
  if (text.length <= max) return text;
  const t = truncate(text, max - 4);
  const fences = (t.match(/```/g) ?? []).length;
  return fences % 2 === 1 ? `${t}\n\`\`\`` : t;
}

/**
 * The embeds within every limit and `budget` total characters: truncate per embed, keep at most
 * 10 embeds and 25 fields each, then drop fields from the end (last embed first) and finally
 * whole trailing embeds, noting "+N more" in the last kept embed's footer.
 */
export function fitEmbeds(embeds: readonly APIEmbed[], budget: number = MESSAGE_BUDGET): APIEmbed[] {
  let out = embeds.slice(0, LIMITS.embeds).map((e) => {
    const c = clampEmbed(e);
    if (c.fields && c.fields.length > LIMITS.fields) c.fields = c.fields.slice(0, LIMITS.fields);
    return c;
  });
  let dropped = embeds.length - out.length;
  const noteSize = 24;
  while (out.length > 0 && embedsSize(out) + (dropped ? noteSize : 0) > budget) {
    const last = out[out.length - 1]!;
    if (last.fields && last.fields.length > 0 && (out.length === 1 || last.fields.length > 1)) {
      last.fields = last.fields.slice(0, -1);
      dropped++;
    } else if (out.length > 1) {
      out = out.slice(0, -1);
      dropped++;
    } else {
      // one embed, no fields left: shorten the description
      const over = embedsSize(out) + noteSize - budget;
      last.description = truncate(last.description ?? '', Math.max(1, (last.description?.length ?? 0) - over));
      break;
    }
  }
  if (dropped > 0 && out.length > 0) {
    const last = out[out.length - 1]!;
    const note = `+${dropped} more not shown`;
    last.footer = { ...(last.footer ?? {}), text: last.footer?.text ? truncate(`${last.footer.text} · ${note}`, LIMITS.footer) : note };
  }
  return out;
}
