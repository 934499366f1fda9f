import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBot, type Bot, type Reply } from '../../src/bot/service.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import type { Report } from '../../src/checker/types.ts';
import { channel, makeReport } from '../store/fixtures.ts';

let store: Store;
let clock: number;
let checks: string[];
let bot: Bot;
let release: (() => void) | undefined;

const who = (userId = 'U1', extra = {}) => ({ channel: channel('C1'), userId, timeZone: 'Europe/Berlin', ...extra });

function expectKind<K extends Reply['kind']>(r: Reply, kind: K): Extract<Reply, { kind: K }> {
  if (r.kind !== kind) throw new Error(`expected ${kind}, got ${r.kind}: ${JSON.stringify(r).slice(0, 300)}`);
  return r as Extract<Reply, { kind: K }>;
}

beforeEach(async () => {
  clock = Date.parse('2026-11-30T08:00:00Z');
  store = await openStore('sqlite::memory:', { now: () => new Date(clock) });
  checks = [];
  release = undefined;
  bot = createBot({
    store,
    now: () => clock,
    async check(domain): Promise<Report> {
      checks.push(domain);
      if (domain === 'slow.example') await new Promise<void>((r) => (release = r));
      return makeReport(domain, new Date(clock), { grade: 'C', score: 72, codes: ['dmarc.policy_none', 'spf.softfail_all'] });
    },
    digestNow: async () => ({ posted: true }),
  });
});
afterEach(async () => {
  await store.close();
});

describe('bot: cards', () => {
  it('answers "/posture example.com" with a channel card naming grade X', async () => {
    const r = expectKind(await bot.handleText('Example.com', who()), 'card');
    expect(r.visibility).toBe('channel');
    expect(r.card.headline).toMatch(/example\.com: grade C/);
    expect(await store.latestReport('example.com')).not.toBeNull();
  });

  it('answers bad input with an ephemeral error that says what to type', async () => {
    const r = expectKind(await bot.handleText('https://example.com/', who()), 'error');
    expect(r.visibility).toBe('ephemeral');
    expect(r.text).toMatch(/Try: \/posture example\.com/);
    expect(checks).toEqual([]);
  });

  it('runs concurrent identical checks once', async () => {
    const a = bot.handleText('slow.example', who('U1'));
    const b = bot.handleText('slow.example', who('U2'));
    await new Promise((r) => setTimeout(r, 10));
    release!();
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.kind).toBe('card');
    expect(rb.kind).toBe('card');
    expect(checks).toEqual(['slow.example']);
  });

  it('limits checks to 10 a minute per user, with a friendly message, and frees up after a minute', async () => {
    for (let i = 0; i < 10; i++) expect((await bot.handleText(`d${i}.example`, who())).kind).toBe('card');
    const refused = expectKind(await bot.handleText('d10.example', who()), 'error');
    expect(refused.text).toMatch(/10 checks in the last minute.*Try again in \d+ s/);
    expect((await bot.handleText('d10.example', who('U2'))).kind).toBe('card'); // another user is not affected
    clock += 61_000;
    expect((await bot.handleText('d11.example', who())).kind).toBe('card');
  });
});

describe('bot: limits per channel and workspace', () => {
  it('limits one channel to 30 checks a minute, whoever asks', async () => {
    for (let i = 0; i < 30; i++) expect((await bot.handleText(`c${i}.example`, who(`U${i % 5}`))).kind).toBe('card');
    const refused = expectKind(await bot.handleText('c30.example', who('U9')), 'error');
    expect(refused.text).toMatch(/This channel has asked for 30 checks/);
    const other = { channel: channel('C2'), userId: 'U9' };
    expect((await bot.handleText('c30.example', other)).kind).toBe('card');
  });
});

describe('bot: explain', () => {
  it('explains a topic, and adds the domain\'s findings with "for DOMAIN"', async () => {
    const plain = expectKind(await bot.handleText('explain MTA-STS', who()), 'explanation');
    expect(plain.result.kind).toBe('explanation');
    const ctx = expectKind(await bot.handleText('explain dmarc for example.com', who()), 'explanation');
    expect(JSON.stringify(ctx.result)).toMatch(/example\.com/);
  });

  it('suggests a topic for a typo', async () => {
    const r = expectKind(await bot.handleText('explain dmrac', who()), 'error');
    expect(r.text).toMatch(/Did you mean .*dmarc/i);
  });
});

describe('bot: watch lists and digests', () => {
  it('watches, lists with last grades, and unwatches; watching starts a Monday digest in the workspace zone', async () => {
    const w = expectKind(await bot.handleText('watch example.com example.org', who()), 'notice');
    expect(w.text).toMatch(/now watches example\.com and example\.org/);
    expect(w.text).toMatch(/Mondays at 09:00 \(Europe\/Berlin\)/);
    await bot.handleText('example.com', who());
    const list = expectKind(await bot.handleText('watching', who()), 'watching');
    expect(list.domains.map((d) => [d.domain, d.grade])).toEqual([['example.com', 'C'], ['example.org', null]]);
    const again = expectKind(await bot.handleText('watch example.com', who()), 'notice');
    expect(again.visibility).toBe('ephemeral');
    expect(again.text).toMatch(/already watched/);
    expectKind(await bot.handleText('unwatch example.org', who()), 'notice');
    expect((await store.watchList(channel('C1'))).map((e) => e.domain)).toEqual(['example.com']);
  });

  it('refuses the 51st domain with a clear error', async () => {
    for (let i = 0; i < 50; i++) await store.watch(channel('C1'), `d${i}.example`);
    const r = expectKind(await bot.handleText('watch one-more.example', who()), 'error');
    expect(r.text).toMatch(/already watches 50 domains, the limit/);
  });

  it('sets, shows and stops the weekly schedule', async () => {
    const set = expectKind(await bot.handleText('digest fri 07:30 America/New_York', who()), 'schedule');
    expect(set.text).toMatch(/Fridays at 07:30 \(America\/New_York\)/);
    const shown = expectKind(await bot.handleText('digest', who()), 'schedule');
    expect(shown.schedule?.weekday).toBe(5);
    expectKind(await bot.handleText('digest off', who()), 'notice');
    expect((await store.getSchedule(channel('C1')))?.enabled).toBe(false);
  });

  it('needs the manage permission to change watch lists and schedules where the platform says so', async () => {
    const r = expectKind(await bot.handleText('watch example.com', who('U1', { canManage: false })), 'error');
    expect(r.text).toMatch(/Manage Server/);
    expect(await store.watchList(channel('C1'))).toEqual([]);
    expect((await bot.handleText('watching', who('U1', { canManage: false }))).kind).toBe('watching');
  });

  it('digest now needs watched domains', async () => {
    expect(expectKind(await bot.handleText('digest now', who()), 'error').text).toMatch(/watches no domains/);
    await bot.handleText('watch example.com', who());
    expect(expectKind(await bot.handleText('digest now', who()), 'notice').text).toMatch(/posted/);
  });
});
