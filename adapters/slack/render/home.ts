/** The App Home tab: the workspace's watched domains, by channel, with their last grades. */
import type { WatchedDomain } from '../../../src/bot/service.ts';
import { LIMITS, MESSAGE_TEXT_BUDGET, blocksTextSize, context, divider, esc, header, inlineCode, linesToSections, section, type Block } from './blocks.ts';

export interface HomeChannel {
  channelId: string;
  domains: WatchedDomain[];
  /** "Mondays at 09:00 (Europe/Berlin)", or why the digest is off */
  schedule?: string;
}

export interface HomeView {
  type: 'home';
  blocks: Block[];
}

export function renderHome(channels: HomeChannel[]): HomeView {
  const blocks: Block[] = [header('Posture — watched domains')];
  const total = channels.reduce((n, c) => n + c.domains.length, 0);
  if (total === 0) {
    blocks.push(section(`No channel in this workspace watches a domain yet. In a channel, type ${inlineCode('/posture watch example.com')}.`));
  } else {
    blocks.push(section(`${total} watched domain${total === 1 ? '' : 's'} in ${channels.length} channel${channels.length === 1 ? '' : 's'}.`));
  }
  const room = LIMITS.homeBlocks - 3;
  let shownChannels = 0;
  for (const c of channels) {
    if (!c.domains.length) continue;
    const lines = c.domains.map((d) => {
      const g = d.grade ? `grade ${d.grade}${d.score !== null ? ` (${d.score}/100)` : ''}` : 'not checked yet';
      return `• *${esc(d.domain)}* — ${g}${d.checkedAt ? ` · ${d.checkedAt.slice(0, 10)}` : ''}`;
    });
    const part: Block[] = [divider(), section(`*<#${c.channelId}>*${c.schedule ? ` — ${esc(c.schedule)}` : ''}`), ...linesToSections(lines, 3)];
    if (blocks.length + part.length > room || blocksTextSize([...blocks, ...part]) > MESSAGE_TEXT_BUDGET - 300) break;
    blocks.push(...part);
    shownChannels++;
  }
  const left = channels.filter((c) => c.domains.length).length - shownChannels;
  if (left > 0) blocks.push(context(`+${left} more channel${left === 1 ? '' : 's'}`));
  blocks.push(context(`Check any domain: ${inlineCode('/posture example.com')} · Help: ${inlineCode('/posture help')}`));
  return { type: 'home', blocks };
}
