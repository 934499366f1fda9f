/** Block Kit output within limits (with margin) for every demo domain, worst cases and a 50-domain digest. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCard } from '../../src/bot/card.ts';
import { explain } from '../../src/explain/index.ts';
import { buildPlan } from '../../src/checker/plan/index.ts';
import { FINDINGS, FINDING_CODES } from '../../src/checker/findings.ts';
import { CHECK_IDS, type CheckResult, type Report } from '../../src/checker/types.ts';
import { buildDigest, type DigestDomainInput } from '../../src/digest/model.ts';
import { DEMO_DOMAINS } from '../world/demo.ts';
import type { World } from '../world/index.ts';
import { LIMITS, MESSAGE_TEXT_BUDGET, blocksTextSize, validateBlocks, type Block } from '../../adapters/slack/render/blocks.ts';
import { renderCard } from '../../adapters/slack/render/card.ts';
import { renderDigest } from '../../adapters/slack/render/digest.ts';
import { renderExplanation, renderPlan, renderReply } from '../../adapters/slack/render/reply.ts';
import { renderHome } from '../../adapters/slack/render/home.ts';
import { HELP_LINES } from '../../src/bot/commands.ts';
import { demoWorldOptions, startWorld, worldCheck } from './harness.ts';

let world: World;
const reports = new Map<string, Report>();

beforeAll(async () => {
  world = await startWorld(demoWorldOptions());
  const check = worldCheck(world);
  for (const d of DEMO_DOMAINS) reports.set(d, await check(d));
});
afterAll(async () => {
  await world?.stop();
});

const ok = (blocks: Block[], maxBlocks?: number): void => {
  expect(validateBlocks(blocks, maxBlocks ? { maxBlocks } : {})).toEqual([]);
};

describe('every demo domain', () => {
  for (const d of DEMO_DOMAINS) {
    it(`${d}: card, explanations and plan fit`, () => {
      const report = reports.get(d)!;
      const card = renderCard(buildCard(report));
      ok(card.blocks);
      expect(card.text).toContain(`grade ${report.grade}`);
      expect(card.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
      for (const topic of ['grade', 'dmarc', 'mta-sts', ...report.checks.flatMap((c) => c.findings.map((f) => f.code)).slice(0, 5)]) {
        const r = explain(topic, report);
        ok(renderExplanation(r).blocks);
      }
      ok(renderPlan(d, report.grade, buildPlan(report)).blocks);
    });
  }
});

const HUGE = 'x&<y> ```code``` '.repeat(400);

function worstReport(): Report {
  const label = 'a'.repeat(63);
  const domain = `${label}.${label}.${label}.test`;
  const checks: CheckResult[] = CHECK_IDS.map((id) => ({
    id,
    status: 'fail',
    summary: HUGE,
    evidence: {},
    findings: FINDING_CODES.filter((c) => c.startsWith(`${id}.`) || (id === 'mta_sts' && c.startsWith('mta_sts.'))).slice(0, 20).map((code) => ({
      code, severity: 'fail' as const, message: HUGE, fix: HUGE, ref: FINDINGS[code].ref,
    })),
  }));
  return { schema: 'posture.report/v1', domain, input: domain, checkedAt: '2026-11-29T10:00:00.000Z', durationMs: 1, grade: 'F', score: 0, checks, plan: [] };
}

describe('worst cases degrade instead of failing', () => {
  it('a card with a 197-character domain, 10 failing checks and long, markup-laden texts', () => {
    const report = worstReport();
    const card = buildCard(report, { maxFindings: 50, maxMessageChars: 5000, maxFixChars: 5000, maxSummaryChars: 5000 });
    const m = renderCard(card);
    ok(m.blocks);
    expect(m.text).toContain('grade F');
    expect(blocksTextSize(m.blocks)).toBeLessThanOrEqual(MESSAGE_TEXT_BUDGET);
    expect(JSON.stringify(m.blocks)).toMatch(/\+\d+ more findings/);
    // escaped, and code blocks stay closed
    for (const b of m.blocks) {
      if (b.type === 'section' && b.text) {
        expect(b.text.text).not.toMatch(/<y>/);
        expect((b.text.text.match(/```/g) ?? []).length % 2).toBe(0);
      }
    }
  });

  it('explanations and plans for the worst report', () => {
    const report = worstReport();
    for (const topic of ['grade', 'spf', 'dmarc.policy_none']) ok(renderExplanation(explain(topic, report)).blocks);
    ok(renderPlan(report.domain, 'F', buildPlan(report)).blocks);
  });

  it('a watch list of 50 domains, help, and a Home tab of 60 channels', () => {
    const domains = Array.from({ length: 50 }, (_, i) => ({ domain: `domain-${i}-${'x'.repeat(40)}.test`, grade: 'B', score: 80, checkedAt: '2026-11-29T10:00:00.000Z' }));
    const w = renderReply({ kind: 'watching', visibility: 'ephemeral', channel: { platform: 'slack', workspaceId: 'T', channelId: 'C' }, domains, limit: 50 });
    ok(w.blocks);
    expect(w.responseType).toBe('ephemeral');
    ok(renderReply({ kind: 'help', visibility: 'ephemeral', lines: HELP_LINES }).blocks);
    const home = renderHome(Array.from({ length: 60 }, (_, i) => ({ channelId: `C${i}`, domains })));
    ok(home.blocks, LIMITS.homeBlocks);
    expect(JSON.stringify(home.blocks)).toMatch(/\+\d+ more channels/);
  });
});

function digestInputs(n: number): DigestDomainInput[] {
  return Array.from({ length: n }, (_, i) => {
    const r = worstReport();
    const domain = `d${String(i).padStart(2, '0')}-${'y'.repeat(50)}.test`;
    const current: Report = { ...r, domain, input: domain, grade: (['A', 'B', 'C', 'D', 'F'] as const)[i % 5]!, score: 100 - i };
    const previous = i % 3 === 0 ? null : { checkedAt: '2026-11-22T10:00:00.000Z', grade: 'A' as const, score: 99, codes: [] };
    return { domain, current: i % 7 === 0 ? null : current, previous, history: [] };
  });
}

describe('a digest of 50 domains', () => {
  it('fits with the model\'s default budget, names each shown domain with grade X', () => {
    const d = buildDigest({ channel: 'C', periodKey: '2026-W48', generatedAt: '2026-11-29T10:00:00.000Z', domains: digestInputs(50) });
    const m = renderDigest(d);
    ok(m.blocks);
    for (const e of d.entries) if (e.grade) expect(m.text).toContain(`${e.domain}: grade ${e.grade}`);
  });

  it('folds into "+N more" when the model lets everything through', () => {
    const d = buildDigest({
      channel: 'C', periodKey: '2026-W48', generatedAt: '2026-11-29T10:00:00.000Z', domains: digestInputs(50),
      budget: { maxDomains: 50, maxChars: 1_000_000, maxFindingsPerDomain: 10, maxTextChars: 2000 },
    });
    expect(d.entries).toHaveLength(50);
    const m = renderDigest(d);
    ok(m.blocks);
    expect(JSON.stringify(m.blocks)).toMatch(/\+\d+ more domains/);
  });
});
