/**
 * Every neutral `Reply` kind as a Discord message (embeds, components, content) plus whether
 * it should be ephemeral. All output goes through `fitEmbeds` and stays within the limits.
 */
import type { APIEmbed } from 'discord.js';
import type { Reply } from '../../../src/bot/service.ts';
import { foldList, truncate } from '../../../src/bot/card.ts';
import type { ExplainResult } from '../../../src/explain/index.ts';
import type { PlanStep } from '../../../src/checker/plan/index.ts';
import { GRADE_COLOUR, NEUTRAL_COLOUR, TOKEN_EMOJI, codeBlock, md, renderCard } from './card.ts';
import { LIMITS, fitEmbeds, type MessagePayload } from './limits.ts';

export interface RenderedReply extends MessagePayload {
  ephemeral: boolean;
}

const SEVERITY_EMOJI = { fail: TOKEN_EMOJI.problem, warn: TOKEN_EMOJI.warning, info: TOKEN_EMOJI.info } as const;

export function renderReply(reply: Reply): RenderedReply {
  const ephemeral = reply.visibility === 'ephemeral';
  switch (reply.kind) {
    case 'card':
      return { ...renderCard(reply.card), ephemeral };
    case 'explanation':
      return { embeds: explanationEmbeds(reply.result), components: [], ephemeral };
    case 'plan':
      return { embeds: planEmbeds(reply.domain, reply.grade, reply.steps), components: [], ephemeral };
    case 'watching': {
      const lines = reply.domains.map((d) =>
        d.grade ? `• ${md(d.domain)}: grade ${d.grade} (${d.score}/100)` : `• ${md(d.domain)}: not checked yet`);
      const body = lines.length ? lines.join('\n') : 'Nothing yet. Watch one with /posture watch domain:example.com';
      return {
        embeds: fitEmbeds([{
          title: `Watched in this channel (${reply.domains.length}/${reply.limit})`,
          description: foldLines(body, LIMITS.description - 100),
          color: NEUTRAL_COLOUR,
        }]),
        components: [],
        ephemeral,
      };
    }
    case 'schedule':
    case 'notice':
      return { content: truncate(reply.text, LIMITS.content), embeds: [], components: [], ephemeral };
    case 'error':
      return { content: truncate(`⚠️ ${reply.text}`, LIMITS.content), embeds: [], components: [], ephemeral: true };
    case 'help':
      return {
        embeds: fitEmbeds([{
          title: 'Posture: email-security posture checks',
          description: [
            '`/posture check domain:example.com` — posture card (grade, checks, worst problems and fixes)',
            '`/posture explain topic:mta-sts [domain:example.com]` — what a control or finding means',
            '`/posture watch domain:` · `unwatch domain:` · `watching` — this channel\'s watched domains (watch/unwatch need Manage Server)',
            '`/posture digest show` · `digest set weekday: time: [zone:]` · `digest now` · `digest off` — the weekly digest',
            'Or mention me: "@Posture explain MTA-STS", "@Posture example.com".',
          ].join('\n'),
          color: NEUTRAL_COLOUR,
        }]),
        components: [],
        ephemeral: true,
      };
  }
}

/** Whole lines up to `max` characters, then "+N more". */
function foldLines(text: string, max: number): string {
  if (text.length <= max) return text;
  const lines = text.split('\n');
  const out: string[] = [];
  let used = 0;
  for (const l of lines) {
    if (used + l.length + 1 > max - 20) break;
    out.push(l);
    used += l.length + 1;
  }
  return `${out.join('\n')}\n+${lines.length - out.length} more`;
}

export function explanationEmbeds(result: ExplainResult): APIEmbed[] {
  if (result.kind === 'not_found') {
    const hint = result.suggestions.length ? ` Did you mean ${result.suggestions.slice(0, 3).join(', ')}?` : '';
    return fitEmbeds([{ title: 'No explanation found', description: md(`Nothing matches "${result.query}".${hint}`), color: NEUTRAL_COLOUR }]);
  }
  const t = result.topic;
  const title = t.kind === 'finding' ? `${t.id}: ${t.title}` : t.title;
  const parts = [md(t.body)];
  if (t.refs.length) parts.push(`References: ${md(t.refs.join('; '))}`);
  const main: APIEmbed = {
    title: truncate(title, LIMITS.title),
    description: truncate(parts.join('\n\n'), 3000),
    color: result.context ? (GRADE_COLOUR[result.context.grade] ?? NEUTRAL_COLOUR) : NEUTRAL_COLOUR,
    ...(t.seeAlso.length ? { footer: { text: `See also: ${t.seeAlso.slice(0, 8).join(', ')}` } } : {}),
  };
  const embeds: APIEmbed[] = [main];
  const c = result.context;
  if (c) {
    const shown = foldList(c.findings, 5);
    embeds.push({
      title: truncate(`${c.domain}: grade ${c.grade} (${c.score}/100)`, LIMITS.title),
      description: truncate(md(c.summary) || (c.present === false ? `${c.domain} does not have this finding.` : '—'), 1000),
      color: GRADE_COLOUR[c.grade] ?? NEUTRAL_COLOUR,
      fields: shown.shown.map((f) => ({
        name: truncate(`${SEVERITY_EMOJI[f.severity]} ${f.code}`, LIMITS.fieldName),
        value: f.fix ? `${truncate(md(f.message), 350)}\n**Fix:**\n${codeBlock(f.fix, 600)}` : truncate(md(f.message), 900),
      })),
      ...(shown.more ? { footer: { text: `+${shown.more} more` } } : {}),
    });
  }
  return fitEmbeds(embeds);
}

export function planEmbeds(domain: string, grade: string, steps: readonly PlanStep[]): APIEmbed[] {
  const shown = foldList(steps, LIMITS.fields);
  return fitEmbeds([{
    title: truncate(`Fix plan for ${domain} (now grade ${grade})`, LIMITS.title),
    description: steps.length ? 'Take the steps in order; each names the grade it reaches.' : 'Nothing to do: no change would raise the grade of what could be tested.',
    color: GRADE_COLOUR[grade] ?? NEUTRAL_COLOUR,
    fields: shown.shown.map((s) => {
      const why = s.why ? `${truncate(md(s.why), 250)}\n` : '';
      const wait = s.waitFor ? `First wait for ${truncate(md(s.waitFor), 150)}; then:\n` : '';
      return {
        name: truncate(`${s.step}. ${s.title} → grade ${s.gradeAfter} (${s.scoreAfter})`, LIMITS.fieldName),
        value: `${why}${wait}${codeBlock(s.action, LIMITS.fieldValue - why.length - wait.length - 2)}`,
      };
    }),
  }]);
}
