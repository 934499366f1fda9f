/**
 * The scheduler on a manual clock and an in-memory store: once per period, catch-up within the
 * grace window, the crash window, permanent and transient delivery errors, daily alerts.
 * No real waiting: every sleep moves the manual clock.
 */
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/digest/clock.ts';
import { DeliveryError } from '../../src/digest/delivery.ts';
import { Scheduler, UNCONFIRMED_MESSAGE_ID, type SchedulerOptions, type TickReport } from '../../src/digest/scheduler.ts';
import { NO_DOMAINS_REASON } from '../../src/digest/runner.ts';
import type { ChannelRef } from '../../src/store/types.ts';
import { DAY, HOUR, MINUTE, RecordingPort, SLACK_CHANNEL, WEEK, harness, type Harness } from './helpers.ts';

const C1 = SLACK_CHANNEL;
const C2: ChannelRef = { platform: 'slack', workspaceId: 'T1', channelId: 'C2' };
/** Monday 09:00 Europe/Berlin in winter */
const SLOT = Date.parse('2026-11-30T08:00:00.000Z');

async function setup(options: { alert?: boolean; domains?: string[] } = {}): Promise<Harness> {
  const h = await harness('2026-11-30T06:00:00.000Z');
  for (const d of options.domains ?? ['a.example', 'b.example']) await h.store.watch(C1, d);
  await h.store.setSchedule(C1, { weekday: 1, time: '09:00', timeZone: 'Europe/Berlin', alertOnRegression: options.alert ?? false });
  return h;
}

function scheduler(h: Harness, port: RecordingPort | null, extra: Partial<SchedulerOptions> = {}): Scheduler {
  return new Scheduler({ store: h.store, ports: port ? { slack: port } : {}, clock: h.clock, check: h.checks.check, ...extra });
}

const digests = (h: Harness) => h.chat.messages.filter((m) => m.kind === 'digest');

describe('Scheduler: planning and once per period', () => {
  it('plans a new schedule at its next local slot and does nothing before it', async () => {
    const h = await setup();
    const s = scheduler(h, new RecordingPort(h.chat));
    const r = await s.tick();
    expect(r.planned.map((p) => p.nextRunAt.toISOString())).toEqual(['2026-11-30T08:00:00.000Z']);
    expect((await h.store.getSchedule(C1))?.nextRunAt?.getTime()).toBe(SLOT);
    h.clock.set(SLOT - 1);
    expect((await s.tick()).ran).toEqual([]);
    expect(h.chat.messages).toEqual([]);
    expect(h.checks.total()).toBe(0);
  });

  it('fires exactly once per period however often it ticks, then again next week', async () => {
    const h = await setup();
    const port = new RecordingPort(h.chat);
    const s = scheduler(h, port);
    await s.tick();
    for (let t = SLOT - 5 * MINUTE; t <= SLOT + 30 * MINUTE; t += MINUTE) await s.tick(h.clock.set(t));
    for (let t = SLOT + HOUR; t < SLOT + WEEK; t += 6 * HOUR) await s.tick(h.clock.set(t));
    expect(digests(h).map((m) => m.digest.periodKey)).toEqual(['2026-W49']);
    expect(port.attempts).toHaveLength(1);
    expect((await h.store.getSchedule(C1))?.nextRunAt?.toISOString()).toBe('2026-12-07T08:00:00.000Z');
    expect((await h.store.getDigestRun(C1, '2026-W49'))?.status).toBe('delivered');

    await s.tick(h.clock.set(SLOT + WEEK));
    await s.tick(h.clock.set(SLOT + WEEK + MINUTE));
    expect(digests(h).map((m) => m.digest.periodKey)).toEqual(['2026-W49', '2026-W50']);
    // the digest names each domain with its grade (CONTRACTS §5)
    expect(digests(h)[0]!.digest.entries.map((e) => e.line)).toEqual([
      expect.stringContaining('a.example: grade B'),
      expect.stringContaining('b.example: grade B'),
    ]);
  });

  it('a schedule set a moment before its slot still fires at the slot', async () => {
    const h = await harness(new Date(SLOT - 30_000).toISOString());
    await h.store.watch(C1, 'a.example');
    await h.store.setSchedule(C1, { weekday: 1, time: '09:00', timeZone: 'Europe/Berlin' });
    const s = scheduler(h, new RecordingPort(h.chat));
    const r = await s.tick(h.clock.set(SLOT + 10_000));
    expect(r.planned[0]?.nextRunAt.getTime()).toBe(SLOT);
    expect(r.ran.map((x) => x.periodKey)).toEqual(['2026-W49']);
  });

  it('checks a domain once when two channels due in the same tick watch it (one shared check and cache)', async () => {
    const h = await setup({ domains: ['a.example'] });
    await h.store.watch(C2, 'a.example');
    await h.store.setSchedule(C2, { weekday: 1, time: '09:00', timeZone: 'Europe/Berlin' });
    const s = scheduler(h, new RecordingPort(h.chat));
    await s.tick();
    await s.tick(h.clock.set(SLOT));
    expect(digests(h).map((m) => m.channel.channelId).sort()).toEqual(['C1', 'C2']);
    expect(h.checks.calls.get('a.example')).toBe(1);
  });

  it('a channel that watches nothing: the run is skipped with a reason and nothing is posted', async () => {
    const h = await setup({ domains: [] });
    const s = scheduler(h, new RecordingPort(h.chat));
    await s.tick();
    const r = await s.tick(h.clock.set(SLOT));
    expect(r.ran[0]?.outcome).toMatchObject({ status: 'skipped', posted: false, reason: NO_DOMAINS_REASON });
    expect(await h.store.getDigestRun(C1, '2026-W49')).toMatchObject({ status: 'skipped', note: NO_DOMAINS_REASON });
    expect(h.chat.messages).toEqual([]);
    expect((await h.store.getSchedule(C1))?.nextRunAt?.toISOString()).toBe('2026-12-07T08:00:00.000Z');
  });

  it('digest now uses its own period key and never takes the weekly claim', async () => {
    const h = await setup();
    const s = scheduler(h, new RecordingPort(h.chat));
    const now = await s.runNow(C1);
    expect(now).toMatchObject({ status: 'delivered', posted: true, periodKey: 'now:2026-11-30T06:00:00.000Z' });
    await s.tick();
    await s.tick(h.clock.set(SLOT));
    expect(digests(h).map((m) => m.digest.periodKey)).toEqual(['now:2026-11-30T06:00:00.000Z', '2026-W49']);
  });
});

describe('Scheduler: catch-up after downtime', () => {
  it('after 10 h of downtime the missed slot runs once, for its own week', async () => {
    const h = await setup();
    const port = new RecordingPort(h.chat);
    await scheduler(h, port).tick(); // planned, then the process stops
    const later = scheduler(h, port); // a new process 10 h after the slot
    const r = await later.tick(h.clock.set(SLOT + 10 * HOUR));
    expect(r.ran.map((x) => [x.periodKey, x.outcome.status])).toEqual([['2026-W49', 'delivered']]);
    await later.tick(h.clock.set(SLOT + 10 * HOUR + MINUTE));
    await later.tick(h.clock.set(SLOT + 20 * HOUR));
    expect(digests(h)).toHaveLength(1);
    expect((await h.store.getSchedule(C1))?.nextRunAt?.toISOString()).toBe('2026-12-07T08:00:00.000Z');
  });

  it('after 30 h the period is skipped with a reason, nothing is posted, and the next slot is planned', async () => {
    const h = await setup();
    await scheduler(h, new RecordingPort(h.chat)).tick();
    const r = await scheduler(h, new RecordingPort(h.chat)).tick(h.clock.set(SLOT + 30 * HOUR));
    expect(r.ran).toEqual([]);
    expect(r.skipped.map((x) => x.periodKey)).toEqual(['2026-W49']);
    const run = await h.store.getDigestRun(C1, '2026-W49');
    expect(run?.status).toBe('skipped');
    expect(run?.note).toMatch(/missed.*more than 24 h ago/);
    expect(h.chat.messages).toEqual([]);
    expect(h.checks.total()).toBe(0);
    expect((await h.store.getSchedule(C1))?.nextRunAt?.toISOString()).toBe('2026-12-07T08:00:00.000Z');
  });

  it('after eight days every missed week is recorded as skipped, once', async () => {
    const h = await setup();
    await scheduler(h, new RecordingPort(h.chat)).tick();
    const s = scheduler(h, new RecordingPort(h.chat));
    const r = await s.tick(h.clock.set(SLOT + 8 * DAY + 6 * HOUR));
    expect(r.skipped.map((x) => x.periodKey)).toEqual(['2026-W49', '2026-W50']);
    expect((await s.tick(h.clock.set(SLOT + 8 * DAY + 7 * HOUR))).skipped).toEqual([]);
    expect((await h.store.getSchedule(C1))?.nextRunAt?.toISOString()).toBe('2026-12-14T08:00:00.000Z');
    expect(h.chat.messages).toEqual([]);
  });

  it('a slot missed by 23 h (just inside the window) still runs', async () => {
    const h = await setup();
    await scheduler(h, new RecordingPort(h.chat)).tick();
    const r = await scheduler(h, new RecordingPort(h.chat)).tick(h.clock.set(SLOT + 23 * HOUR));
    expect(r.ran.map((x) => x.outcome.status)).toEqual(['delivered']);
  });

  it('a channel whose platform has no port waits, and is skipped once the window has passed', async () => {
    const h = await setup();
    const s = scheduler(h, null);
    await s.tick();
    expect((await s.tick(h.clock.set(SLOT + HOUR))).ran).toEqual([]);
    expect(await h.store.getDigestRun(C1, '2026-W49')).toBeNull();
    const r = await s.tick(h.clock.set(SLOT + 25 * HOUR));
    expect(r.skipped[0]?.reason).toMatch(/no slack connection/);
  });
});

describe('Scheduler: the crash window (posted, not recorded)', () => {
  /** the first process posts and "dies" before markDelivered */
  async function crashAfterPost(h: Harness, step: 'post-and-hang' | 'hang' = 'post-and-hang'): Promise<void> {
    const dying = new RecordingPort(h.chat).then(step);
    const first = scheduler(h, dying);
    await first.tick();
    h.clock.set(SLOT);
    void first.tick(); // never settles: the process is gone
    await dying.hung;
    const pending = await h.store.pendingDeliveries();
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ status: 'pending', failures: 0, messageId: null });
  }

  it('with findDelivered: on restart the posted message is found and recorded, never posted again', async () => {
    const h = await setup();
    await crashAfterPost(h);
    expect(h.chat.messages).toHaveLength(1);
    const port = new RecordingPort(h.chat, 'slack', { reconcile: true });
    const s = scheduler(h, port);
    const r = await s.tick(h.clock.set(SLOT + MINUTE));
    expect(r.reconciled).toEqual([expect.objectContaining({ result: 'found', messageId: 'M1' })]);
    expect(r.ran.map((x) => x.outcome.status)).toEqual(['already-claimed']);
    for (let t = SLOT + 2 * MINUTE; t < SLOT + DAY; t += HOUR) await s.tick(h.clock.set(t));
    expect(h.chat.messages).toHaveLength(1);
    expect(port.attempts).toEqual([]);
    const run = await h.store.getDigestRun(C1, '2026-W49');
    expect(run?.status).toBe('delivered');
    expect((await h.store.deliveries(run!.id))[0]).toMatchObject({ status: 'delivered', messageId: 'M1' });
    expect((await h.store.getSchedule(C1))?.nextRunAt?.toISOString()).toBe('2026-12-07T08:00:00.000Z');
  });

  it('with findDelivered: a process that died before posting posts it once on restart', async () => {
    const h = await setup();
    await crashAfterPost(h, 'hang');
    expect(h.chat.messages).toHaveLength(0);
    const port = new RecordingPort(h.chat, 'slack', { reconcile: true });
    const s = scheduler(h, port);
    const r = await s.tick(h.clock.set(SLOT + MINUTE));
    expect(r.reconciled).toEqual([expect.objectContaining({ result: 'reposted', messageId: 'M1' })]);
    await s.tick(h.clock.set(SLOT + 2 * MINUTE));
    expect(h.chat.messages).toHaveLength(1);
    expect(h.chat.messages[0]!.digest.periodKey).toBe('2026-W49');
  });

  it('without findDelivered: at-most-once — the delivery is presumed posted, never posted twice', async () => {
    const h = await setup();
    await crashAfterPost(h);
    const port = new RecordingPort(h.chat); // this platform cannot be asked
    const s = scheduler(h, port);
    const r = await s.tick(h.clock.set(SLOT + MINUTE));
    expect(r.reconciled).toEqual([expect.objectContaining({ result: 'presumed', messageId: UNCONFIRMED_MESSAGE_ID })]);
    for (let t = SLOT + 2 * MINUTE; t < SLOT + DAY; t += HOUR) await s.tick(h.clock.set(t));
    expect(h.chat.messages).toHaveLength(1);
    expect(port.attempts).toEqual([]);
    expect((await h.store.getDigestRun(C1, '2026-W49'))?.status).toBe('delivered');
    expect(await h.store.pendingDeliveries()).toEqual([]);
  });

  it('without findDelivered the price of at-most-once: a process that died before posting loses that digest', async () => {
    const h = await setup();
    await crashAfterPost(h, 'hang');
    const s = scheduler(h, new RecordingPort(h.chat));
    await s.tick(h.clock.set(SLOT + MINUTE));
    expect(h.chat.messages).toHaveLength(0);
    // …and next week's digest comes as usual
    await s.tick(h.clock.set(SLOT + WEEK));
    expect(digests(h).map((m) => m.digest.periodKey)).toEqual(['2026-W50']);
  });

  it('an unknown outcome in-process (posted, then the connection broke) is looked up, not re-posted', async () => {
    const h = await setup();
    const port = new RecordingPort(h.chat, 'slack', { reconcile: true }).then('post-and-throw');
    const s = scheduler(h, port);
    await s.tick();
    const r = await s.tick(h.clock.set(SLOT));
    expect(r.ran[0]?.outcome).toMatchObject({ status: 'delivered', messageId: 'M1' });
    expect(port.lookups).toHaveLength(1);
    expect(h.chat.messages).toHaveLength(1);
  });

  it('an unknown outcome without findDelivered is left pending, then presumed posted', async () => {
    const h = await setup();
    const port = new RecordingPort(h.chat).then('post-and-throw');
    const s = scheduler(h, port);
    await s.tick();
    const r = await s.tick(h.clock.set(SLOT));
    expect(r.ran[0]?.outcome.status).toBe('unknown');
    const next = await s.tick(h.clock.set(SLOT + MINUTE));
    expect(next.reconciled.map((x) => x.result)).toEqual(['presumed']);
    expect(h.chat.messages).toHaveLength(1);
    expect(port.attempts).toHaveLength(1);
  });

  it('a run interrupted while checking (claimed, no intent) is resumed once it is stalled, and posted once', async () => {
    const h = await setup();
    const s = scheduler(h, new RecordingPort(h.chat));
    await s.tick();
    h.clock.set(SLOT);
    await h.store.claimDigest(C1, '2026-W49'); // a process claimed the week, then died
    const r1 = await s.tick(h.clock.set(SLOT + MINUTE));
    expect(r1.ran.map((x) => x.outcome.status)).toEqual(['already-claimed']);
    expect(r1.resumed).toEqual([]);
    const r2 = await s.tick(h.clock.set(SLOT + 20 * MINUTE));
    expect(r2.resumed.map((x) => [x.periodKey, x.outcome.status])).toEqual([['2026-W49', 'delivered']]);
    await s.tick(h.clock.set(SLOT + HOUR));
    expect(digests(h).map((m) => m.digest.periodKey)).toEqual(['2026-W49']);
  });

  it('an interrupted run older than the grace window is skipped with a reason', async () => {
    const h = await setup();
    const s = scheduler(h, new RecordingPort(h.chat));
    await s.tick();
    h.clock.set(SLOT);
    const claim = await h.store.claimDigest(C1, '2026-W49');
    const r = await s.tick(h.clock.set(SLOT + 2 * DAY));
    expect(r.skipped.map((x) => x.periodKey)).toEqual(['2026-W49']);
    expect((await h.store.getDigestRun(C1, '2026-W49'))?.note).toMatch(/interrupted/);
    expect(claim).not.toBeNull();
    expect(h.chat.messages).toEqual([]);
  });
});

describe('Scheduler: delivery errors', () => {
  it('a permanent error disables the schedule with the reason and is not retried', async () => {
    const h = await setup();
    const port = new RecordingPort(h.chat).then(new DeliveryError({ permanent: true, reason: 'Slack: channel_not_found' }));
    const s = scheduler(h, port);
    await s.tick();
    const r = await s.tick(h.clock.set(SLOT));
    expect(r.ran[0]?.outcome).toMatchObject({ status: 'failed', posted: false, reason: 'Slack: channel_not_found' });
    const schedule = await h.store.getSchedule(C1);
    expect(schedule).toMatchObject({ enabled: false, disabledReason: 'Slack: channel_not_found' });
    expect(await h.store.getDigestRun(C1, '2026-W49')).toMatchObject({ status: 'failed', note: 'Slack: channel_not_found' });
    for (let t = SLOT + HOUR; t <= SLOT + 2 * WEEK; t += 12 * HOUR) await s.tick(h.clock.set(t));
    expect(port.attempts).toHaveLength(1);
    expect(h.clock.sleeps).toEqual([]);
    expect(h.chat.messages).toEqual([]);
  });

  it('transient errors are retried with exponential backoff on the clock, honouring Retry-After', async () => {
    const h = await setup();
    const port = new RecordingPort(h.chat).then(
      new DeliveryError({ permanent: false, reason: 'Slack rate limit (ratelimited)', retryAfterMs: 5_000 }),
      new DeliveryError({ permanent: false, reason: 'Slack: service_unavailable' }),
    );
    const s = scheduler(h, port);
    await s.tick();
    const r = await s.tick(h.clock.set(SLOT));
    expect(r.ran[0]?.outcome).toMatchObject({ status: 'delivered', attempts: 3 });
    // failure 1: max(2 s backoff, 5 s Retry-After); failure 2: 4 s
    expect(h.clock.sleeps).toEqual([5_000, 4_000]);
    expect(port.attempts.map((a) => a.at.getTime() - SLOT)).toEqual([0, 5_000, 9_000]);
    expect(new Set(port.attempts.map((a) => a.idempotencyKey)).size).toBe(1);
    const run = await h.store.getDigestRun(C1, '2026-W49');
    expect((await h.store.deliveries(run!.id))[0]).toMatchObject({ status: 'delivered', failures: 2 });
    expect(h.chat.messages).toHaveLength(1);
  });

  it('after the attempts run out the delivery stays pending and a later tick posts it once', async () => {
    const h = await setup();
    const busy = () => new DeliveryError({ permanent: false, reason: 'Slack: internal_error' });
    const port = new RecordingPort(h.chat).then(busy(), busy(), busy(), busy());
    const s = scheduler(h, port);
    await s.tick();
    const r = await s.tick(h.clock.set(SLOT));
    expect(r.ran[0]?.outcome).toMatchObject({ status: 'retry', attempts: 4 });
    expect(h.clock.sleeps).toEqual([2_000, 4_000, 8_000]);
    expect(r.ran[0]?.outcome.retryAt?.getTime()).toBe(SLOT + 14_000 + 16_000);
    expect(await h.store.pendingDeliveries()).toHaveLength(1);
    const next = await s.tick(h.clock.set(SLOT + MINUTE));
    expect(next.reconciled.map((x) => x.result)).toEqual(['reposted']);
    await s.tick(h.clock.set(SLOT + 2 * MINUTE));
    expect(port.attempts).toHaveLength(5);
    expect(h.chat.messages).toHaveLength(1);
    expect((await h.store.getDigestRun(C1, '2026-W49'))?.status).toBe('delivered');
  });

  it('a Retry-After longer than the in-process wait is honoured by a later tick, not by blocking', async () => {
    const h = await setup();
    const port = new RecordingPort(h.chat).then(new DeliveryError({ permanent: false, reason: 'rate limited', retryAfterMs: 10 * MINUTE }));
    const s = scheduler(h, port);
    await s.tick();
    const r = await s.tick(h.clock.set(SLOT));
    expect(r.ran[0]?.outcome).toMatchObject({ status: 'retry', attempts: 1 });
    expect(h.clock.sleeps).toEqual([]);
    for (let t = SLOT + MINUTE; t < SLOT + 10 * MINUTE; t += MINUTE) {
      expect((await s.tick(h.clock.set(t))).reconciled.map((x) => x.result)).toEqual(['waiting']);
    }
    expect(port.attempts).toHaveLength(1);
    const later = await s.tick(h.clock.set(SLOT + 10 * MINUTE));
    expect(later.reconciled.map((x) => x.result)).toEqual(['reposted']);
    expect(port.attempts.map((a) => a.at.getTime() - SLOT)).toEqual([0, 10 * MINUTE]);
    expect(h.chat.messages).toHaveLength(1);
  });

  it('a delivery that keeps failing is abandoned after the grace window, not retried forever', async () => {
    const h = await setup();
    const busy = () => new DeliveryError({ permanent: false, reason: 'Slack: internal_error' });
    const port = new RecordingPort(h.chat).then(...Array.from({ length: 200 }, busy));
    const s = scheduler(h, port);
    await s.tick();
    for (let t = SLOT; t <= SLOT + 2 * DAY; t += 10 * MINUTE) await s.tick(h.clock.set(t));
    const afterGrace = port.attempts.filter((a) => a.at.getTime() > SLOT + DAY + 10 * MINUTE);
    expect(afterGrace).toEqual([]);
    // the backoff spaced the tick retries out: far fewer than one per tick
    expect(port.attempts.length).toBeLessThan(40);
    expect(h.chat.messages).toEqual([]);
    expect((await h.store.getSchedule(C1))?.enabled).toBe(true);
  });
});

describe('Scheduler: regression alerts', () => {
  it('are off by default: no daily checks', async () => {
    const h = await setup();
    const s = scheduler(h, new RecordingPort(h.chat));
    for (let t = SLOT + HOUR; t < SLOT + 3 * DAY; t += 6 * HOUR) await s.tick(h.clock.set(t));
    expect(h.checks.total()).toBe(0); // no digest slot in between, no alert pass
  });

  it('with "alert on regression" a regression is alerted once, the day it is seen', async () => {
    const h = await setup({ alert: true });
    h.checks.set('a.example', { grade: 'A', score: 95 }).set('b.example', { grade: 'B', score: 82 });
    const port = new RecordingPort(h.chat);
    const s = scheduler(h, port);
    const first = await s.tick(); // 06:00: yesterday's daily slot has not been handled by this process
    expect(first.alerts.map((a) => a.dateKey)).toEqual(['2026-11-29']);
    await s.tick(h.clock.set(SLOT)); // Monday 09:00 Berlin: the weekly digest and the daily pass
    expect(h.chat.messages.filter((m) => m.kind === 'alert')).toEqual([]);

    h.checks.set('a.example', { grade: 'D', score: 55, codes: ['dmarc.missing'] });
    const tue = SLOT + DAY;
    const r = await s.tick(h.clock.set(tue));
    expect(r.alerts[0]?.dateKey).toBe('2026-12-01');
    const alerts = h.chat.messages.filter((m) => m.kind === 'alert');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.digest.title).toBe('Posture alert: a.example regressed');
    expect(alerts[0]!.digest.entries.map((e) => e.domain)).toEqual(['a.example']);
    expect(alerts[0]!.digest.headline).toMatch(/a\.example: grade D \(A → D\)/);
    expect(await h.store.getDigestRun(C1, 'alert:a.example:2026-12-01')).toMatchObject({ status: 'delivered' });

    // more ticks the same day, a restart, and the next days: no second alert for it
    for (let t = tue + MINUTE; t < tue + HOUR; t += 10 * MINUTE) await s.tick(h.clock.set(t));
    await scheduler(h, port).tick(h.clock.set(tue + 2 * HOUR));
    await s.tick(h.clock.set(tue + DAY));
    await s.tick(h.clock.set(tue + 2 * DAY));
    expect(h.chat.messages.filter((m) => m.kind === 'alert')).toHaveLength(1);
    // the weekly digest still compares with last week's run and reports it
    await s.tick(h.clock.set(SLOT + WEEK));
    const w50 = digests(h).find((m) => m.digest.periodKey === '2026-W50');
    expect(w50?.digest.entries[0]).toMatchObject({ domain: 'a.example', status: 'regressed', previousGrade: 'A', grade: 'D' });
  });
});

describe('Scheduler: housekeeping and the loop', () => {
  it('prunes the store once a day', async () => {
    const h = await setup();
    const prune = vi.spyOn(h.store, 'prune');
    const s = scheduler(h, new RecordingPort(h.chat));
    for (let t = SLOT; t <= SLOT + 2 * DAY; t += HOUR) await s.tick(h.clock.set(t));
    expect(prune).toHaveBeenCalledTimes(3); // Monday, Tuesday, Wednesday (UTC)
    expect(prune.mock.calls.map(([at]) => at.toISOString().slice(0, 10))).toEqual(['2026-11-30', '2026-12-01', '2026-12-02']);
  });

  it('start() ticks at once and then every minute of the clock; stop() ends the loop', async () => {
    const clock = new ManualClock('2026-11-30T06:00:00.000Z', { autoAdvance: false });
    const h = await harness();
    const store = h.store;
    await store.watch(C1, 'a.example');
    await store.setSchedule(C1, { weekday: 1, time: '09:00', timeZone: 'UTC' });
    const ticks: TickReport[] = [];
    let wake: () => void = () => undefined;
    const s = new Scheduler({
      store, ports: { slack: new RecordingPort(h.chat) }, clock, check: h.checks.check,
      onTick: (r) => {
        if (r) ticks.push(r);
        wake();
      },
    });
    const nextTick = () => new Promise<void>((r) => (wake = r));
    let seen = nextTick();
    s.start();
    await seen;
    expect(ticks).toHaveLength(1);
    expect(ticks[0]!.planned).toHaveLength(1);
    seen = nextTick();
    clock.advance(59_999);
    expect(clock.waiting).toBe(1);
    clock.advance(1);
    await seen;
    expect(ticks.map((t) => t.now.toISOString())).toEqual(['2026-11-30T06:00:00.000Z', '2026-11-30T06:01:00.000Z']);
    await s.stop();
    expect(clock.waiting).toBe(0);
    clock.advance(10 * MINUTE);
    expect(ticks).toHaveLength(2);
  });
});
