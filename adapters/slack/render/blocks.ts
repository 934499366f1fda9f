/**
 * Block Kit building blocks, the platform's limits, and `validateBlocks` — the check every
 * rendered message passes in the tests (chatops research §1.2).
 *
 * Limits with margin: Slack documents 50 blocks, 3000 characters per section text, a 150-character
 * header, and a 40k message, but rejects messages far earlier in practice (`msg_blocks_too_long` at
 * about 13.2k characters, bolt-js#2509), so our budget for a whole message is {@link MESSAGE_TEXT_BUDGET}.
 */

export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}

export interface Mrkdwn {
  type: 'mrkdwn';
  text: string;
}

export type TextObject = PlainText | Mrkdwn;

export interface ButtonElement {
  type: 'button';
  text: PlainText;
  action_id: string;
  value?: string;
  style?: 'primary' | 'danger';
}

export type Block =
  | { type: 'header'; text: PlainText; block_id?: string }
  | { type: 'section'; text?: TextObject; fields?: TextObject[]; block_id?: string }
  | { type: 'divider'; block_id?: string }
  | { type: 'context'; elements: TextObject[]; block_id?: string }
  | { type: 'actions'; elements: ButtonElement[]; block_id?: string };

/** What a message carries besides its destination. */
export interface SlackMessage {
  /** plain fallback: notifications, screen readers, `grade X` for cards and digests */
  text: string;
  blocks: Block[];
}

export const LIMITS = {
  /** per message (100 in modals and the Home tab) */
  blocks: 50,
  homeBlocks: 100,
  header: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  actionId: 255,
  blockId: 255,
  buttonValue: 2000,
  /** Slack truncates `text` beyond 40k; a fallback should be short anyway */
  fallbackText: 4000,
} as const;

/** Our budget for all text in one message's blocks: well under the ~13k where Slack starts refusing. */
export const MESSAGE_TEXT_BUDGET = 10_000;

// ─── mrkdwn ─────────────────────────────────────────────────────────────────────────────────

/** Escape the three characters Slack's mrkdwn treats as control characters. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A code block; backticks inside would end it early, so they are swapped for a look-alike. */
export function codeBlock(text: string): string {
  return '```' + esc(text).replace(/```/g, 'ˋˋˋ') + '```';
}

export function inlineCode(text: string): string {
  return '`' + esc(text).replace(/`/g, 'ˋ') + '`';
}

/** Cut text to `max` characters without leaving a broken entity or an unclosed code block. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  const amp = cut.lastIndexOf('&');
  if (amp !== -1 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  const fences = cut.split('```').length - 1;
  if (fences % 2 === 1) {
    cut = cut.slice(0, Math.max(0, max - 4));
    return cut + '…```';
  }
  return cut + '…';
}

// ─── builders ───────────────────────────────────────────────────────────────────────────────

export function plain(text: string, max: number = LIMITS.sectionText): PlainText {
  return { type: 'plain_text', text: clip(text, max), emoji: true };
}

export function md(text: string, max: number = LIMITS.sectionText): Mrkdwn {
  return { type: 'mrkdwn', text: clip(text, max) };
}

export function header(text: string): Block {
  return { type: 'header', text: plain(text, LIMITS.header) };
}

export function section(mrkdwn: string): Block {
  return { type: 'section', text: md(mrkdwn) };
}

export function context(...texts: string[]): Block {
  return { type: 'context', elements: texts.slice(0, LIMITS.contextElements).map((t) => md(t, LIMITS.fieldText)) };
}

export function divider(): Block {
  return { type: 'divider' };
}

/**
 * Sections for a list of mrkdwn lines: as many lines per section as fit in the section limit,
 * at most `maxBlocks` sections; lines that do not fit are counted in a "+N more" line.
 */
export function linesToSections(lines: string[], maxBlocks: number, perSection: number = LIMITS.sectionText): Block[] {
  const out: Block[] = [];
  let current: string[] = [];
  let size = 0;
  let i = 0;
  const room = Math.max(1, maxBlocks);
  for (; i < lines.length; i++) {
    const line = clip(lines[i]!, perSection - 20);
    if (size + line.length + 1 > perSection - 20 && current.length) {
      if (out.length + 1 >= room) break;
      out.push(section(current.join('\n')));
      current = [];
      size = 0;
    }
    current.push(line);
    size += line.length + 1;
  }
  const more = lines.length - i;
  if (more > 0) current.push(`_+${more} more_`);
  if (current.length) out.push(section(current.join('\n')));
  return out;
}

// ─── validation ─────────────────────────────────────────────────────────────────────────────

export interface ValidateOptions {
  /** 50 for messages (default), 100 for the Home tab */
  maxBlocks?: number;
  /** total characters of text in the blocks (default {@link MESSAGE_TEXT_BUDGET}) */
  maxTotalChars?: number;
}

function textLength(t: TextObject | undefined): number {
  return t ? t.text.length : 0;
}

/** The characters a message's blocks hold (all text objects), as Slack counts them roughly. */
export function blocksTextSize(blocks: readonly Block[]): number {
  let n = 0;
  for (const b of blocks) {
    switch (b.type) {
      case 'header':
        n += textLength(b.text);
        break;
      case 'section':
        n += textLength(b.text);
        for (const f of b.fields ?? []) n += textLength(f);
        break;
      case 'context':
        for (const e of b.elements) n += textLength(e);
        break;
      case 'actions':
        for (const e of b.elements) n += e.text.text.length + e.action_id.length + (e.value?.length ?? 0);
        break;
      case 'divider':
        break;
    }
  }
  return n;
}

/** Every way the blocks break a Block Kit limit (or our margin); empty when they are fine. */
export function validateBlocks(blocks: readonly Block[], options: ValidateOptions = {}): string[] {
  const maxBlocks = options.maxBlocks ?? LIMITS.blocks;
  const maxTotal = options.maxTotalChars ?? MESSAGE_TEXT_BUDGET;
  const problems: string[] = [];
  if (blocks.length === 0) problems.push('no blocks');
  if (blocks.length > maxBlocks) problems.push(`${blocks.length} blocks > ${maxBlocks}`);
  const ids = new Set<string>();
  blocks.forEach((b, i) => {
    const at = `block ${i} (${b.type})`;
    if (b.block_id !== undefined) {
      if (b.block_id.length > LIMITS.blockId) problems.push(`${at}: block_id > ${LIMITS.blockId}`);
      if (ids.has(b.block_id)) problems.push(`${at}: duplicate block_id ${b.block_id}`);
      ids.add(b.block_id);
    }
    switch (b.type) {
      case 'header':
        if (b.text.type !== 'plain_text') problems.push(`${at}: header text must be plain_text`);
        if (b.text.text.length > LIMITS.header) problems.push(`${at}: header ${b.text.text.length} > ${LIMITS.header}`);
        if (!b.text.text.trim()) problems.push(`${at}: empty header`);
        break;
      case 'section': {
        if (!b.text && !b.fields?.length) problems.push(`${at}: section needs text or fields`);
        if (b.text) {
          if (b.text.text.length > LIMITS.sectionText) problems.push(`${at}: text ${b.text.text.length} > ${LIMITS.sectionText}`);
          if (!b.text.text.trim()) problems.push(`${at}: empty text`);
        }
        if (b.fields) {
          if (b.fields.length > LIMITS.fields) problems.push(`${at}: ${b.fields.length} fields > ${LIMITS.fields}`);
          b.fields.forEach((f, j) => {
            if (f.text.length > LIMITS.fieldText) problems.push(`${at}: field ${j} ${f.text.length} > ${LIMITS.fieldText}`);
          });
        }
        break;
      }
      case 'context':
        if (b.elements.length === 0) problems.push(`${at}: empty context`);
        if (b.elements.length > LIMITS.contextElements) problems.push(`${at}: ${b.elements.length} elements > ${LIMITS.contextElements}`);
        b.elements.forEach((e, j) => {
          if (!e.text.trim()) problems.push(`${at}: element ${j} empty`);
        });
        break;
      case 'actions': {
        if (b.elements.length === 0) problems.push(`${at}: empty actions`);
        if (b.elements.length > LIMITS.actionsElements) problems.push(`${at}: ${b.elements.length} elements > ${LIMITS.actionsElements}`);
        const actionIds = new Set<string>();
        b.elements.forEach((e, j) => {
          if (e.text.text.length > LIMITS.buttonText) problems.push(`${at}: button ${j} text > ${LIMITS.buttonText}`);
          if (!e.action_id || e.action_id.length > LIMITS.actionId) problems.push(`${at}: button ${j} action_id length ${e.action_id.length}`);
          if (actionIds.has(e.action_id)) problems.push(`${at}: duplicate action_id ${e.action_id}`);
          actionIds.add(e.action_id);
          if (e.value !== undefined && e.value.length > LIMITS.buttonValue) problems.push(`${at}: button ${j} value > ${LIMITS.buttonValue}`);
        });
        break;
      }
      case 'divider':
        break;
      default:
        problems.push(`${at}: unknown block type`);
    }
  });
  const total = blocksTextSize(blocks);
  if (total > maxTotal) problems.push(`total text ${total} > ${maxTotal}`);
  return problems;
}

/** Drop blocks from the end (keeping the last `keepTail`) until the message fits; say how many went. */
export function fitMessage(blocks: Block[], options: { maxBlocks?: number; maxTotalChars?: number; keepTail?: number } = {}): Block[] {
  const maxBlocks = options.maxBlocks ?? LIMITS.blocks;
  const maxTotal = options.maxTotalChars ?? MESSAGE_TEXT_BUDGET;
  const keepTail = Math.min(options.keepTail ?? 0, blocks.length);
  const head = blocks.slice(0, blocks.length - keepTail);
  const tail = blocks.slice(blocks.length - keepTail);
  let dropped = 0;
  const fits = (h: Block[]): boolean => {
    const extra = dropped > 0 ? 1 : 0;
    return h.length + tail.length + extra <= maxBlocks && blocksTextSize([...h, ...tail]) + (extra ? 40 : 0) <= maxTotal;
  };
  while (head.length > 1 && !fits(head)) {
    head.pop();
    dropped++;
  }
  const note: Block[] = dropped > 0 ? [context(`_${dropped} more part${dropped === 1 ? '' : 's'} left out to fit Slack's limits_`)] : [];
  return [...head, ...note, ...tail];
}
