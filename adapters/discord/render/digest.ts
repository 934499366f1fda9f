/**
 * The weekly digest as one Discord message: a title embed (headline, colour by what happened)
 * and a field per domain whose name is the entry's line (naming the domain with `grade X`),
 * the value its trend and new/resolved findings. Folded to the message budget with "+N more".
 */
import type { APIEmbed } from 'discord.js';
import type { Digest, DigestEntry } from '../../../src/digest/model.ts';
import { truncate } from '../../../src/bot/card.ts';
import { GRADE_COLOUR, NEUTRAL_COLOUR, TOKEN_EMOJI, md } from './card.ts';
import { LIMITS, fitEmbeds, type MessagePayload } from './limits.ts';

const ARROW = { up: '⬆️', down: '⬇️', same: '➖', new: '🆕', unknown: '❔' } as const;

function entryName(e: DigestEntry): string {
  const name = `${ARROW[e.arrow]} ${e.line}`;
  if (name.length <= LIMITS.fieldName) return name;
  // keep `grade X` visible even for a very long domain and notable phrase
  const g = e.grade ?? e.previousGrade;
  const tail = g ? `: grade ${g}` : ': could not be checked';
  const room = LIMITS.fieldName - tail.length - 3;
  const domain = e.domain.length > room ? `${e.domain.slice(0, room - 1)}…` : e.domain;
  return `${ARROW[e.arrow]} ${domain}${tail}`;
}

function entryValue(e: DigestEntry): string {
  const lines = [`trend \`${e.sparkline}\` (${md(e.sparklineText)})`];
  if (e.line.length + 3 > LIMITS.fieldName && e.notable) lines.push(md(e.notable));
  for (const f of e.newFindings.shown) lines.push(`${TOKEN_EMOJI[f.token]} new: ${f.code}${f.message ? ` — ${md(f.message)}` : ''}`);
  if (e.newFindings.more > 0) lines.push(`+${e.newFindings.more} more new`);
  for (const f of e.resolvedFindings.shown) lines.push(`✅ resolved: ${f.code}`);
  if (e.resolvedFindings.more > 0) lines.push(`+${e.resolvedFindings.more} more resolved`);
  return truncate(lines.join('\n'), LIMITS.fieldValue);
}

function digestColour(d: Digest): number {
  if (d.totals.regressed > 0) return GRADE_COLOUR.D!;
  if (d.totals.failed > 0) return GRADE_COLOUR.C!;
  if (d.totals.improved > 0) return GRADE_COLOUR.A!;
  return NEUTRAL_COLOUR;
}

export function digestEmbeds(d: Digest): APIEmbed[] {
  const fields = d.entries.map((e) => ({ name: entryName(e), value: entryValue(e) }));
  const first = fields.slice(0, LIMITS.fields);
  const embeds: APIEmbed[] = [{
    title: truncate(d.title, LIMITS.title),
    description: truncate(md(d.headline) || '—', 1000),
    color: digestColour(d),
    fields: first,
    timestamp: d.generatedAt,
  }];
  for (let i = LIMITS.fields; i < fields.length; i += LIMITS.fields) {
    embeds.push({ color: digestColour(d), fields: fields.slice(i, i + LIMITS.fields), title: `${d.title} (continued)` });
  }
  const fitted = fitEmbeds(embeds);
  if (d.moreText) {
    const last = fitted[fitted.length - 1]!;
    const note = `${d.moreText} domains · /posture watching lists them all`;
    last.footer = { text: truncate(last.footer?.text ? `${last.footer.text} · ${note}` : note, LIMITS.footer) };
  }
  return fitted;
}

export function renderDigest(d: Digest): MessagePayload {
  return { embeds: digestEmbeds(d), components: [] };
}
