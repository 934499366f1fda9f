/**
 * Every rendered Discord message stays within the limits (with margin): cards, explanations and
 * plans for every fixture domain, every explain topic, a 50-domain digest, and folding when the
 * input is far too large.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from '../world/index.ts';
import { DEMO_DOMAINS, demoWorldOptions } from '../world/demo.ts';
import { createResolver, type RunResolver } from '../../src/checker/dns/index.ts';
import { checkDomain } from '../../src/checker/index.ts';
import type { Grade, Report } from '../../src/checker/types.ts';
import type { FindingCode } from '../../src/checker/findings.ts';
import type { CompactRun } from '../../src/digest/diff.ts';
import { buildCard } from '../../src/bot/card.ts';
import { buildPlan } from '../../src/checker/plan/index.ts';
import { explain, listTopics } from '../../src/explain/index.ts';
import { buildDigest, type DigestDomainInput } from '../../src/digest/model.ts';
import { makeReport } from '../store/fixtures.ts';
import { renderReply } from '../../adapters/discord/render/reply.ts';
import { renderDigest } from '../../adapters/discord/render/digest.ts';
import { LIMITS, MESSAGE_BUDGET, embedsSize, fitEmbeds, validateMessage } from '../../adapters/discord/render/limits.ts';
import { cardComponents } from '../../adapters/discord/render/card.ts';

let world: World;
let resolver: RunResolver;
const reports = new Map<string, Report>();

beforeAll(async () => {
  world = await startWorld(demoWorldOptions());
  resolver = createResolver({ servers: [world.resolver] });
  for (const d of DEMO_DOMAINS) {
    reports.set(d, await checkDomain(d, d, {
      resolver: resolver.resolver,
      options: { smtp: false, connectTo: world.connectTo, allowPrivateNetworks: true, extraCa: [world.ca.certPem], timeoutMs: 8000 },
    }));
  }
});
afterAll(async () => {
  await resolver?.close();
  await world?.stop();
});

function valid(m: { content?: string; embeds: import('discord.js').APIEmbed[]; components: import('../../adapters/discord/render/limits.ts').ActionRow[] }): void {
  expect(validateMessage(m)).toEqual([]);
  expect(embedsSize(m.embeds)).toBeLessThanOrEqual(MESSAGE_BUDGET + 200);
}

describe('discord render: cards, explanations and plans for every fixture domain', () => {
  it.each([...DEMO_DOMAINS])('%s', (domain) => {
    const report = reports.get(domain)!;
    const card = renderReply({ kind: 'card', visibility: 'channel', card: buildCard(report), report });
    valid(card);
    expect(card.embeds[0]!.title).toContain(`${domain}: grade ${report.grade}`);
    expect(card.embeds[0]!.fields!.length).toBe(report.checks.length);
    expect(card.ephemeral).toBe(false);

    const plan = renderReply({ kind: 'plan', visibility: 'ephemeral', domain, grade: report.grade, steps: buildPlan(report) });
    valid(plan);
    expect(plan.ephemeral).toBe(true);

    for (const topic of ['grade', 'mta-sts', 'dmarc', 'spf']) {
      const r = explain(topic, report);
      valid(renderReply({ kind: 'explanation', visibility: 'channel', result: r }));
    }
  });

  it('every explain topic renders within the limits', () => {
    const acme = reports.get('acme.test')!;
    for (const t of listTopics()) {
      valid(renderReply({ kind: 'explanation', visibility: 'channel', result: explain(t.id) }));
      valid(renderReply({ kind: 'explanation', visibility: 'channel', result: explain(t.id, acme) }));
    }
  });

  it('a card for a very long domain keeps `grade X` in the title and drops buttons whose custom id would not fit', () => {
    const label = 'a'.repeat(60);
    const domain = `${label}.${label}.${label}.example`;
    const report = { ...reports.get('broken.test')!, domain };
    const card = buildCard(report);
    const rendered = renderReply({ kind: 'card', visibility: 'channel', card, report });
    valid(rendered);
    expect(rendered.embeds[0]!.title).toMatch(/grade [A-F]/);
    for (const row of cardComponents(card)) for (const b of row.components) expect((b as { custom_id: string }).custom_id.length).toBeLessThanOrEqual(100);
  });
});

function digestInputs(n: number): DigestDomainInput[] {
  const codes: FindingCode[] = ['dmarc.policy_none', 'spf.softfail_all', 'mta_sts.missing', 'tls_rpt.missing', 'dkim.not_found', 'bimi.missing'];
  const grades: Grade[] = ['A', 'B', 'C', 'D', 'F'];
  const older: Grade[] = ['B', 'A', 'F', 'C', 'D'];
  return Array.from({ length: n }, (_, i) => {
    const domain = `domain-${String(i).padStart(2, '0')}-${'x'.repeat(i % 40)}.example`;
    const current = makeReport(domain, '2026-11-30T08:00:00Z', { grade: grades[i % 5]!, score: 40 + i, codes: codes.slice(0, 1 + (i % codes.length)) });
    const previous: CompactRun | null = i % 3 === 0 ? null : { checkedAt: '2026-11-23T08:00:00.000Z', grade: older[i % 5]!, score: 50 + i, codes: codes.slice(i % 4) };
    return { domain, current: i % 17 === 5 ? null : current, previous, history: previous ? [previous] : [] };
  });
}

describe('discord render: digests', () => {
  it('a 50-domain digest fits one message, naming each shown domain with grade X, "+N more" for the rest', () => {
    const digest = buildDigest({ channel: 'C', periodKey: '2026-W49', generatedAt: '2026-11-30T08:00:00Z', domains: digestInputs(50) });
    const m = renderDigest(digest);
    valid(m);
    const fields = m.embeds.flatMap((e) => e.fields ?? []);
    expect(fields.length).toBeGreaterThan(0);
    for (const f of fields) expect(f.name).toMatch(/grade [A-F]|could not be checked/);
    expect(m.embeds.at(-1)!.footer?.text).toMatch(/more/);
  });

  it('folds rather than fails when the digest budget is lifted (50 entries, huge text)', () => {
    const digest = buildDigest({
      channel: 'C', periodKey: '2026-W49', generatedAt: '2026-11-30T08:00:00Z', domains: digestInputs(50),
      budget: { maxDomains: 50, maxChars: 1_000_000, maxFindingsPerDomain: 10, maxTextChars: 1000 },
    });
    expect(digest.entries.length).toBe(50);
    const m = renderDigest(digest);
    valid(m);
    expect(m.embeds.length).toBeLessThanOrEqual(LIMITS.embeds);
    expect(m.embeds.at(-1)!.footer?.text).toMatch(/\+\d+ more/);
  });
});

describe('discord render: limits', () => {
  it('validateMessage reports each broken limit', () => {
    const problems = validateMessage({
      content: 'x'.repeat(2001),
      embeds: Array.from({ length: 11 }, () => ({ title: 't'.repeat(257), description: 'd'.repeat(4097), fields: Array.from({ length: 26 }, () => ({ name: 'n', value: 'v'.repeat(1025) })) })),
      components: [],
    });
    expect(problems.join('\n')).toMatch(/content/);
    expect(problems.join('\n')).toMatch(/11 embeds/);
    expect(problems.join('\n')).toMatch(/title 257/);
    expect(problems.join('\n')).toMatch(/description 4097/);
    expect(problems.join('\n')).toMatch(/26 fields/);
    expect(problems.join('\n')).toMatch(/value length 1025/);
    expect(problems.join('\n')).toMatch(/total/);
  });

  it('fitEmbeds brings anything within the limits', () => {
    const huge = Array.from({ length: 12 }, (_, i) => ({
      title: `t${i}`.repeat(200),
      description: 'd'.repeat(5000),
      fields: Array.from({ length: 30 }, (_, j) => ({ name: `f${j}`.repeat(100), value: '```\n' + 'v'.repeat(2000) + '\n```' })),
    }));
    const fitted = fitEmbeds(huge);
    expect(validateMessage({ embeds: fitted })).toEqual([]);
    expect(embedsSize(fitted)).toBeLessThanOrEqual(MESSAGE_BUDGET + 50);
    for (const e of fitted) for (const f of e.fields ?? []) expect((f.value.match(/```/g) ?? []).length % 2).toBe(0);
  });
});
