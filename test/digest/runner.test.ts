/**
 * A full digest run on the fixture world: real checks over loopback DNS, one shared cache, the
 * in-memory store, a recording delivery port. Between two weekly runs example.test moves its
 * DMARC policy from none to reject; the second digest says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/digest/clock.ts';
import { parsePayload } from '../../src/digest/delivery.ts';
import { NO_DOMAINS_REASON, createChecker, runDigest, runNow, type CheckerSettings } from '../../src/digest/runner.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import type { DnsFixture } from '../world/dns/zone.ts';
import { startWorld, type World } from '../world/index.ts';
import { FakeChat, RecordingPort, SLACK_CHANNEL, WEEK } from './helpers.ts';

const C1 = SLACK_CHANNEL;

function fixture(policy: 'none' | 'reject'): DnsFixture {
  const mail = (name: string) => ({
    [name]: { MX: [[10, `mx.${name}`]] as Array<[number, string]>, TXT: ['v=spf1 mx include:_spf.shared.test -all'] },
    [`mx.${name}`]: { A: ['192.0.2.25'] },
  });
  return {
    names: {
      ...mail('example.test'),
      ...mail('steady.test'),
      '_spf.shared.test': { TXT: ['v=spf1 ip4:192.0.2.0/24 -all'] },
      '25.2.0.192.in-addr.arpa': { PTR: ['mx.example.test'] },
      '_dmarc.example.test': { TXT: [`v=DMARC1; p=${policy}; rua=mailto:dmarc@example.test`] },
      '_dmarc.steady.test': { TXT: ['v=DMARC1; p=quarantine; rua=mailto:dmarc@steady.test'] },
    },
  };
}

let world: World;
beforeAll(async () => {
  world = await startWorld({ dns: fixture('none') });
});
afterAll(async () => {
  await world.stop();
});

const checker = (): CheckerSettings => ({
  resolver: { servers: [world.resolver] },
  options: { smtp: false, connectTo: world.connectTo },
});

async function setup(): Promise<{ clock: ManualClock; store: Store; chat: FakeChat; port: RecordingPort }> {
  world.dns.setFixture(fixture('none'));
  const clock = new ManualClock('2026-11-30T08:00:00.000Z');
  const store = await openStore('sqlite::memory:', { now: clock.now });
  const chat = new FakeChat(clock);
  return { clock, store, chat, port: new RecordingPort(chat) };
}

describe('runDigest on the fixture world', () => {
  it('a domain whose DMARC moved from none to reject between two weekly runs shows the transition', async () => {
    const { clock, store, chat, port } = await setup();
    await store.watch(C1, 'example.test');
    await store.watch(C1, 'steady.test');

    const first = await runDigest({ store, channel: C1, periodKey: '2026-W49', port, clock, checker: checker() });
    expect(first).toMatchObject({ status: 'delivered', posted: true, messageId: 'M1' });
    const week1 = chat.messages[0]!.digest;
    expect(week1.periodKey).toBe('2026-W49');
    expect(week1.entries.map((e) => [e.domain, e.status])).toEqual(
      expect.arrayContaining([['example.test', 'new'], ['steady.test', 'new']]),
    );
    const before = week1.entries.find((e) => e.domain === 'example.test')!;
    expect(before.line).toMatch(/^example\.test: grade [A-F], score \d+ \(first check\)$/);
    expect((await store.latestReport('example.test'))?.checks.find((c) => c.id === 'dmarc')?.evidence['policy']).toBe('none');

    // the domain owner tightens the policy; a week later the next digest runs
    world.dns.setFixture(fixture('reject'));
    clock.set(Date.parse('2026-11-30T08:00:00.000Z') + WEEK);
    const second = await runDigest({ store, channel: C1, periodKey: '2026-W50', port, clock, checker: checker() });
    expect(second.status).toBe('delivered');
    expect(chat.messages).toHaveLength(2);

    // the digest as recorded with the delivery intent (what was posted)
    const run = await store.getDigestRun(C1, '2026-W50');
    expect(run?.status).toBe('delivered');
    const [delivery] = await store.deliveries(run!.id);
    const recorded = parsePayload(delivery!.payload);
    expect(recorded?.kind).toBe('digest');
    expect(recorded?.digest).toEqual(chat.messages[1]!.digest);

    const entry = recorded!.digest.entries.find((e) => e.domain === 'example.test')!;
    expect(entry.notable).toBe('DMARC moved from none to reject');
    expect(entry.notableKind).toBe('dmarc');
    expect(entry.line).toContain('DMARC moved from none to reject');
    expect(entry.line).toMatch(/^example\.test: grade [A-F]/);
    expect(entry.resolvedFindings.shown.map((f) => f.code)).toContain('dmarc.policy_none');
    expect(entry.previousScore).toBe(before.score);
    expect(entry.score!).toBeGreaterThan(before.score!);
    expect(entry).toMatchObject({ status: 'improved', arrow: 'up' });

    const steady = recorded!.digest.entries.find((e) => e.domain === 'steady.test')!;
    expect(steady).toMatchObject({ status: 'unchanged', notable: '' });
    expect(steady.resolvedFindings.shown).toEqual([]);
    expect(steady.newFindings.shown).toEqual([]);

    // both weeks are in the history; the full report kept is the new one
    const rows = await store.history('example.test', new Date('2026-11-01T00:00:00Z'));
    expect(rows.map((r) => r.checkedAt.toISOString())).toEqual(['2026-11-30T08:00:00.000Z', '2026-12-07T08:00:00.000Z']);
    expect(rows[0]!.codes).toContain('dmarc.policy_none');
    expect(rows[1]!.codes).not.toContain('dmarc.policy_none');
    expect(entry.sparklineText).toMatch(/^scores( no data,)* \d+, \d+$/);
  });

  it('claims each period once: running the same week again posts nothing', async () => {
    const { clock, store, chat, port } = await setup();
    await store.watch(C1, 'steady.test');
    await runDigest({ store, channel: C1, periodKey: '2026-W49', port, clock, checker: checker() });
    const again = await runDigest({ store, channel: C1, periodKey: '2026-W49', port, clock, checker: checker() });
    expect(again).toMatchObject({ status: 'already-claimed', posted: false });
    expect(chat.messages).toHaveLength(1);
  });

  it('digest now posts under a now:<timestamp> key beside the weekly claim', async () => {
    const { clock, store, chat, port } = await setup();
    await store.watch(C1, 'steady.test');
    await runDigest({ store, channel: C1, periodKey: '2026-W49', port, clock, checker: checker() });
    clock.advance(60_000);
    const now = await runNow({ store, channel: C1, port, clock, checker: checker() });
    expect(now).toMatchObject({ status: 'delivered', posted: true, periodKey: 'now:2026-11-30T08:01:00.000Z' });
    expect(chat.messages.map((m) => m.digest.periodKey)).toEqual(['2026-W49', 'now:2026-11-30T08:01:00.000Z']);
    // a minute apart, the on-demand digest compares with the same earlier state (nothing older: the first check)
    expect(chat.messages[1]!.digest.entries[0]!.status).toBe('unchanged');
  });

  it('a channel that watches nothing: nothing is posted and the reason is given', async () => {
    const { clock, store, chat, port } = await setup();
    const r = await runNow({ store, channel: C1, port, clock, checker: checker() });
    expect(r).toMatchObject({ status: 'skipped', posted: false, reason: NO_DOMAINS_REASON });
    expect(chat.messages).toEqual([]);
    expect(port.attempts).toEqual([]);
  });

  it('refuses a port of another platform', async () => {
    const { clock, store, chat } = await setup();
    const discord = new RecordingPort(chat, 'discord');
    await expect(runDigest({ store, channel: C1, periodKey: '2026-W49', port: discord, clock, checker: checker() })).rejects.toThrow(/discord delivery port/);
  });
});

describe('createChecker: one shared DNS cache per run', () => {
  it('two domains with the same SPF include look it up once', async () => {
    const clock = new ManualClock('2026-11-30T08:00:00.000Z');
    const c = createChecker({ ...checker(), now: clock.now });
    try {
      const [a, b] = await Promise.all([c.check('example.test'), c.check('steady.test')]);
      expect(a.checkedAt).toBe('2026-11-30T08:00:00.000Z');
      expect(b.domain).toBe('steady.test');
      expect(c.resolver.stats.queries).toBeLessThan(c.resolver.stats.lookups);
      expect(c.resolver.stats.hits + c.resolver.stats.joined).toBeGreaterThan(0);
    } finally {
      await c.close();
    }
  });
});
