/**
 * The weekly digest (neutral `Digest`) as Block Kit: a header, the headline, one section per
 * domain (its `grade X` line, trend, new and resolved findings) and "+N more". The model already
 * budgets entries (20 by default); blocks past our limits fold into "+N more" too.
 */
import type { ArrowToken, Digest, DigestEntry } from '../../../src/digest/model.ts';
import {
  LIMITS, MESSAGE_TEXT_BUDGET, blocksTextSize, clip, context, divider, esc, header, inlineCode, section,
  type Block, type SlackMessage,
} from './blocks.ts';
import { STATUS_EMOJI } from './card.ts';

const ARROW: Record<ArrowToken, string> = {
  up: ':arrow_up:',
  down: ':arrow_down:',
  same: ':left_right_arrow:',
  new: ':new:',
  unknown: ':grey_question:',
};

function entryBlock(e: DigestEntry): Block {
  const lines = [`${ARROW[e.arrow]} *${esc(e.line)}*`, `${inlineCode(e.sparkline)} _${esc(e.sparklineText)}_`];
  for (const f of e.newFindings.shown) {
    lines.push(`${STATUS_EMOJI[f.token]} new: ${inlineCode(f.code)} ${esc(f.message || f.title)}`);
  }
  if (e.newFindings.more > 0) lines.push(`_+${e.newFindings.more} more new_`);
  for (const f of e.resolvedFindings.shown) lines.push(`:white_check_mark: resolved: ${inlineCode(f.code)} ${esc(f.title)}`);
  if (e.resolvedFindings.more > 0) lines.push(`_+${e.resolvedFindings.more} more resolved_`);
  return section(lines.join('\n'));
}

export function renderDigest(d: Digest, options: { maxTotalChars?: number } = {}): SlackMessage {
  const budget = options.maxTotalChars ?? MESSAGE_TEXT_BUDGET;
  const head: Block[] = [header(d.title), section(`*${esc(d.headline)}*`), divider()];
  let entries = d.entries.map(entryBlock);
  let more = d.more;
  const tail = (): Block[] => {
    const notes: string[] = [];
    if (more > 0) notes.push(`+${more} more domain${more === 1 ? '' : 's'}: ${inlineCode('/posture watching')}`);
    notes.push(`${d.totals.domains} watched · ${d.totals.regressed} regressed · ${d.totals.improved} improved · ${d.totals.failed} not checked`);
    return [context(...notes)];
  };
  let blocks = [...head, ...entries, ...tail()];
  while ((blocks.length > LIMITS.blocks || blocksTextSize(blocks) > budget) && entries.length > 1) {
    entries = entries.slice(0, -1);
    more++;
    blocks = [...head, ...entries, ...tail()];
  }
  // the fallback names each shown domain with `grade X` (the model's lines do), one line each
  const fallback = [d.title, d.headline, ...d.entries.map((e) => e.line), ...(d.moreText ? [d.moreText] : [])].join('\n');
  return { text: clip(fallback, LIMITS.fallbackText), blocks };
}
