/**
 * Every bot `Reply` as a Slack message, with where it should be seen: `in_channel` for replies the
 * bot marks `channel` (cards, explanations, watch changes), `ephemeral` for the rest (usage and
 * check errors, help, lists). Explanations, plans and lists degrade into "+N more" within limits.
 */
import type { Reply } from '../../../src/bot/service.ts';
import type { ExplainResult } from '../../../src/explain/index.ts';
import { checkName } from '../../../src/bot/card.ts';
import type { PlanStep } from '../../../src/checker/plan/index.ts';
import {
  LIMITS, MESSAGE_TEXT_BUDGET, clip, codeBlock, context, divider, esc, fitMessage, header, inlineCode, linesToSections,
  section, type Block, type SlackMessage,
} from './blocks.ts';
import { STATUS_EMOJI, renderCard } from './card.ts';
import { severityToken } from '../../../src/bot/card.ts';

export type ResponseType = 'in_channel' | 'ephemeral';

export interface RenderedReply extends SlackMessage {
  responseType: ResponseType;
}

export function renderReply(reply: Reply): RenderedReply {
  const responseType: ResponseType = reply.visibility === 'channel' ? 'in_channel' : 'ephemeral';
  const m = renderMessage(reply);
  return { ...m, responseType };
}

function renderMessage(reply: Reply): SlackMessage {
  switch (reply.kind) {
    case 'card':
      return renderCard(reply.card);
    case 'explanation':
      return renderExplanation(reply.result);
    case 'plan':
      return renderPlan(reply.domain, reply.grade, reply.steps);
    case 'watching':
      return renderWatching(reply);
    case 'schedule':
    case 'notice':
      return simple(reply.text);
    case 'error':
      return simple(`:warning: ${reply.text}`, reply.text);
    case 'help':
      return renderHelp(reply.lines);
  }
}

function simple(mrkdwnSource: string, fallback: string = mrkdwnSource): SlackMessage {
  return { text: clip(fallback, LIMITS.fallbackText), blocks: [section(esc(mrkdwnSource).replace(/&lt;(#|@)([A-Z0-9]+)&gt;/g, '<$1$2>'))] };
}

export function renderHelp(lines: string[]): SlackMessage {
  const body = lines.map((l) => {
    const [cmd, ...rest] = l.split(' — ');
    return rest.length ? `${inlineCode(cmd!)} — ${esc(rest.join(' — '))}` : esc(l);
  });
  return {
    text: 'Posture help: /posture example.com, explain, watch, unwatch, watching, digest, help',
    blocks: [header('Posture — email security posture'), ...linesToSections(body, 3), context('Mention me or send me a DM with the same words: _@Posture explain MTA-STS_')],
  };
}

export function renderExplanation(result: ExplainResult): SlackMessage {
  if (result.kind === 'not_found') {
    const hint = result.suggestions.length ? ` Did you mean ${result.suggestions.slice(0, 3).join(', ')}?` : '';
    return simple(`I have no explanation for "${result.query}".${hint}`);
  }
  const t = result.topic;
  const title = t.kind === 'finding' ? `${t.id}: ${t.title}` : t.title;
  const blocks: Block[] = [header(title), section(esc(t.body))];
  const ctx = result.context;
  if (ctx) {
    const lines: string[] = [`*${esc(ctx.domain)}: grade ${ctx.grade}* (${ctx.score}/100)`];
    if (ctx.summary) lines.push(esc(ctx.summary));
    if (t.kind === 'finding' && ctx.present === false) lines.push(`${esc(ctx.domain)} does not have this finding.`);
    blocks.push(divider(), section(lines.join('\n')));
    for (const f of ctx.findings.slice(0, 5)) {
      const fl = [`${STATUS_EMOJI[severityToken(f.severity)]} ${inlineCode(f.code)} ${esc(f.message)}`];
      if (f.fix) fl.push(`*Fix:*\n${codeBlock(f.fix)}`);
      blocks.push(section(fl.join('\n')));
    }
    if (ctx.findings.length > 5) blocks.push(context(`+${ctx.findings.length - 5} more findings: ${inlineCode(`/posture ${ctx.domain}`)}`));
  }
  const foot: string[] = [];
  if (t.refs.length) foot.push(esc(t.refs.join('; ')));
  if (t.seeAlso.length) foot.push(`See also: ${t.seeAlso.slice(0, 5).map((s) => inlineCode(`/posture explain ${s}`)).join(', ')}`);
  const tail = foot.length ? [context(...foot)] : [];
  const text = ctx ? `${title} — ${ctx.domain}: grade ${ctx.grade}` : `${title}: ${clip(t.body, 300)}`;
  return { text: clip(text, LIMITS.fallbackText), blocks: fitMessage([...blocks, ...tail], { keepTail: tail.length }) };
}

export function renderPlan(domain: string, grade: string, steps: PlanStep[]): SlackMessage {
  if (!steps.length) {
    return simple(`${domain}: grade ${grade}. Nothing to fix — no step would raise the grade.`);
  }
  const last = steps.at(-1)!;
  const blocks: Block[] = [
    header(`Fix plan for ${domain}`),
    section(`Now *grade ${grade}*; after ${steps.length} step${steps.length === 1 ? '' : 's'}: *grade ${last.gradeAfter}* (${last.scoreAfter}/100)`),
  ];
  for (const s of steps) {
    const lines = [`*${s.step}. ${esc(s.title)}* → grade ${s.gradeAfter} (${s.scoreAfter}/100) · ${esc(checkName(s.check))}`, esc(s.why)];
    if (s.waitFor) lines.push(`_First: ${esc(s.waitFor)}_`);
    if (s.action) lines.push(codeBlock(clip(s.action, 1500)));
    blocks.push(section(lines.join('\n')));
  }
  return {
    text: `Fix plan for ${domain}: grade ${grade} → grade ${last.gradeAfter} in ${steps.length} steps`,
    blocks: fitMessage(blocks, { maxTotalChars: MESSAGE_TEXT_BUDGET }),
  };
}

function renderWatching(reply: Extract<Reply, { kind: 'watching' }>): SlackMessage {
  const n = reply.domains.length;
  if (n === 0) return simple('This channel watches no domains yet. Try: /posture watch example.com');
  const lines = reply.domains.map((d) => {
    const g = d.grade ? `grade ${d.grade}${d.score !== null ? ` (${d.score}/100)` : ''}` : 'not checked yet';
    const when = d.checkedAt ? ` · ${d.checkedAt.slice(0, 10)}` : '';
    return `• *${esc(d.domain)}* — ${g}${when}`;
  });
  return {
    text: `This channel watches ${n} domain${n === 1 ? '' : 's'}: ${reply.domains.map((d) => `${d.domain}${d.grade ? ` grade ${d.grade}` : ''}`).join(', ')}`.slice(0, LIMITS.fallbackText),
    blocks: [
      section(`*This channel watches ${n} of ${reply.limit} domains*`),
      ...linesToSections(lines, 10),
      context(`Remove one: ${inlineCode('/posture unwatch example.com')} · Digest now: ${inlineCode('/posture digest now')}`),
    ],
  };
}
