/**
 * The pg-boss job engine in one process: ticks enqueue one digest job per channel and period
 * (singleton key), refused deliveries come back as deferred delivery jobs, and reconciliation turns
 * runs and deliveries no job owns into jobs again. Fake checks, a recording port.
 *
 * Runs when POSTURE_TEST_DATABASE_URL names a PostgreSQL database (loopback only); skipped, saying
 * so, otherwise. Schemas of its own (store and pg-boss), dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/digest/clock.ts';
import { DeliveryError } from '../../src/digest/delivery.ts';
import { isoWeekKey } from '../../src/digest/schedule.ts';
import { QUEUES, digestJobKey, startJobs, uuidFromKey, type JobEvent, type JobsEngine } from '../../src/jobs/engine.ts';
import { PostgresStore } from '../../src/store/postgres.ts';
import type { ChannelRef, Store } from '../../src/store/types.ts';
import { FakeChat, FakeChecks, RecordingPort } from '../digest/helpers.ts';

const url = process.env['POSTURE_TEST_DATABASE_URL'];

if (!url) {
  describe.skip('job engine on pg-boss (set POSTURE_TEST_DATABASE_URL to run)', () => {
    it('ticks, delivery jobs, reconciliation', () => undefined);
  });
} else {
  suites(url);
}

async function until(done: () => Promise<boolean>, what: string, limitMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!(await done())) {
    if (Date.now() - start > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const C1: ChannelRef = { platform: 'slack', workspaceId: 'T1', channelId: 'C1' };
const C2: ChannelRef = { platform: 'slack', workspaceId: 'T1', channelId: 'C2' };

function suites(url: string): void {
  const base = `posture_engine_test_${randomBytes(4).toString('hex')}`;
  const created: string[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  let admin: pg.Pool;
  let n = 0;

  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: url, max: 2 });
    await admin.query('SELECT 1');
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    if (!admin) return;
    try {
      for (const s of created) await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(s)} CASCADE`);
    } finally {
      await admin.end();
    }
  });

  interface Setup {
    store: Store;
    chat: FakeChat;
    port: RecordingPort;
    engine: JobsEngine;
    events: JobEvent[];
    periodKey: string;
  }

  async function setup(opts: { work?: boolean; reconcile?: boolean; stallAfterMs?: number; pendingAfterMs?: number } = {}): Promise<Setup> {
    const storeSchema = `${base}_${n}_store`;
    const bossSchema = `${base}_${n}_boss`;
    n++;
    created.push(storeSchema, bossSchema);
    const store = await PostgresStore.open(url, { schema: storeSchema, maxConnections: 3 });
    const clock = new ManualClock(); // timestamps of the fake chat and checks only
    const chat = new FakeChat(clock);
    const port = new RecordingPort(chat, 'slack', { reconcile: opts.reconcile ?? true });
    const checks = new FakeChecks(clock);
    const slot = new Date(Date.now() - 60_000);
    for (const ch of [C1, C2]) {
      await store.watch(ch, 'example.test');
      await store.setSchedule(ch, { weekday: 1, time: '09:00', timeZone: 'UTC' });
      await store.setNextRunAt(ch, slot);
    }
    const events: JobEvent[] = [];
    const engine = await startJobs({
      store, connectionString: url, schema: bossSchema, ports: { slack: port }, check: checks.check,
      work: opts.work ?? true, schedule: false,
      retry: { maxAttempts: 1, baseDelayMs: 300, maxWaitMs: 0 },
      channelIntervalMs: 0, workspaceIntervalMs: 0,
      ...(opts.stallAfterMs !== undefined ? { stallAfterMs: opts.stallAfterMs } : {}),
      ...(opts.pendingAfterMs !== undefined ? { pendingAfterMs: opts.pendingAfterMs } : {}),
      jobs: { heartbeatSeconds: 10, pollingIntervalSeconds: 0.5, retryDelaySeconds: 1 },
      boss: { superviseIntervalSeconds: 1, monitorIntervalSeconds: 1 },
      onEvent: (e) => events.push(e),
    });
    cleanups.push(async () => {
      await engine.stop({ timeoutMs: 2000 });
      await store.close();
    });
    return { store, chat, port, engine, events, periodKey: isoWeekKey(slot, 'UTC') };
  }

  describe('job engine on pg-boss', () => {
    it('a tick enqueues one digest job per due channel and plans the next slot; the same period again makes no second job', async () => {
      const { store, engine, periodKey } = await setup({ work: false });
      const first = await engine.tickNow();
      expect(first.enqueued.map((e) => [e.channel.channelId, e.periodKey, e.jobId !== null])).toEqual([
        ['C1', periodKey, true],
        ['C2', periodKey, true],
      ]);
      for (const ch of [C1, C2]) expect((await store.getSchedule(ch))!.nextRunAt!.getTime()).toBeGreaterThan(Date.now());
      // nothing due any more
      expect((await engine.tickNow()).enqueued).toEqual([]);
      // re-planned onto the fallen slot while the job still waits: the singleton key refuses a second job
      await store.setNextRunAt(C1, new Date(Date.now() - 30_000));
      const again = await engine.tickNow();
      expect(again.enqueued).toEqual([{ channel: C1, periodKey, jobId: null }]);
      const jobs = await engine.boss.findJobs(QUEUES.digest, { key: digestJobKey(C1, periodKey) });
      expect(jobs).toHaveLength(1);
    });

    it('digest jobs post once per channel; a refused post becomes a deferred delivery job that posts it', async () => {
      const { store, chat, port, engine, events, periodKey } = await setup();
      port.then(new DeliveryError({ permanent: false, reason: 'Slack rate limit (ratelimited)', retryAfterMs: 300 }));
      await engine.sendTick();
      await until(async () => {
        for (const ch of [C1, C2]) if ((await store.getDigestRun(ch, periodKey))?.status !== 'delivered') return false;
        return true;
      }, 'both digests delivered');
      expect(chat.messages.map((m) => m.channel.channelId).sort()).toEqual(['C1', 'C2']);
      expect(events.some((e) => e.type === 'digest-done' && e.outcome.status === 'retry')).toBe(true);
      expect(events.some((e) => e.type === 'deliver-done' && e.result === 'reposted')).toBe(true);
      // the refused attempt was asked about before posting again (findDelivered), then posted once
      expect(port.attempts).toHaveLength(3);
    });

    it('reconciliation turns a stalled run and an orphaned pending delivery into jobs that finish them, once', async () => {
      const { store, chat, engine, periodKey } = await setup({ stallAfterMs: 0, pendingAfterMs: 0 });
      // C1: claimed by a process that died while checking; C2: intent recorded, died before posting
      const stalled = (await store.claimDigest(C1, periodKey))!;
      const orphan = (await store.claimDigest(C2, periodKey))!;
      const { toPayload } = await import('../../src/digest/delivery.ts');
      const { buildDigest } = await import('../../src/digest/model.ts');
      const digest = buildDigest({ channel: 'C2', periodKey, generatedAt: new Date().toISOString(), domains: [] });
      const intent = await store.recordDeliveryIntent(orphan.runId, toPayload('digest', digest));
      // nothing due: the schedules moved on
      for (const ch of [C1, C2]) await store.setNextRunAt(ch, new Date(Date.now() + 86_400_000));

      const report = await engine.reconcileNow();
      expect(report).toEqual({ deliveries: 1, resumed: 1, skipped: 0 });
      // while those jobs live (or once they are done), a second pass adds nothing
      expect(await engine.reconcileNow()).toEqual({ deliveries: 0, resumed: 0, skipped: 0 });
      await until(async () => {
        for (const ch of [C1, C2]) if ((await store.getDigestRun(ch, periodKey))?.status !== 'delivered') return false;
        return true;
      }, 'both runs delivered');
      expect((await store.getDigestRun(C1, periodKey))!.id).toBe(stalled.runId);
      expect(chat.messages.map((m) => m.channel.channelId).sort()).toEqual(['C1', 'C2']);
      expect(chat.messages.find((m) => m.channel.channelId === 'C2')!.idempotencyKey).toBe(intent.id);
    });

    it('job ids derived from keys are stable UUIDs', () => {
      const a = uuidFromKey('alerts:slack:T1:C1:2026-11-30');
      expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(uuidFromKey('alerts:slack:T1:C1:2026-11-30')).toBe(a);
      expect(uuidFromKey('alerts:slack:T1:C1:2026-12-01')).not.toBe(a);
    });
  });
}
