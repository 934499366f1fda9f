/**
 * Jobs on pg-boss, end to end: two Posture processes (`instance.ts`) on one PostgreSQL, the same
 * watched channels, a shared and durable "chat platform" (an HTTP recorder in this process on
 * 127.0.0.1). The schedule is advanced by making every channel due and sending tick jobs (no
 * waiting for the clock); every channel must get exactly one digest for the period — also when one
 * process is SIGKILLed in the middle of a run, with its delivery request in flight (posted or not).
 *
 * Runs when POSTURE_TEST_DATABASE_URL names a PostgreSQL database (loopback only); skipped, saying
 * so, otherwise. Each scenario works in schemas of its own (store and pg-boss), dropped at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJobs, type JobsEngine } from '../../src/jobs/engine.ts';
import { isoWeekKey } from '../../src/digest/schedule.ts';
import { PostgresStore } from '../../src/store/postgres.ts';
import type { ChannelRef, Store } from '../../src/store/types.ts';
import type { DnsFixture } from '../world/dns/zone.ts';
import { startWorld, type World } from '../world/index.ts';

const url = process.env['POSTURE_TEST_DATABASE_URL'];
const here = path.dirname(fileURLToPath(import.meta.url));
const NODE = process.execPath;

if (!url) {
  describe.skip('jobs on pg-boss, two processes (set POSTURE_TEST_DATABASE_URL to run)', () => {
    it('exactly one digest per channel and period across two processes, also after a SIGKILL', () => undefined);
  });
} else {
  suites(url);
}

// ─── the shared chat platform ────────────────────────────────────────────────────────────────

interface Posted {
  id: string;
  instance: string;
  channel: ChannelRef;
  periodKey: string;
  idempotencyKey: string;
}

type HoldMode = 'none' | 'unposted' | 'posted';

interface Recorder {
  url: string;
  messages: Posted[];
  /** hold the next delivery request: never answer it; 'posted' records it first (died after the post) */
  hold(mode: HoldMode): Promise<{ instance: string; idempotencyKey: string }>;
  lookups: number;
  close(): Promise<void>;
}

async function startRecorder(): Promise<Recorder> {
  const messages: Posted[] = [];
  let seq = 0;
  let holdMode: HoldMode = 'none';
  let onHeld: ((v: { instance: string; idempotencyKey: string }) => void) | null = null;
  const held = new Set<http.ServerResponse>();
  const rec: Recorder = {
    url: '',
    messages,
    lookups: 0,
    hold(mode) {
      holdMode = mode;
      return new Promise((resolve) => (onHeld = resolve));
    },
    async close() {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const same = (a: ChannelRef, b: ChannelRef) => a.platform === b.platform && a.workspaceId === b.workspaceId && a.channelId === b.channelId;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const data = JSON.parse(body || '{}') as Posted & { instance: string };
      const json = (v: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      if (req.url === '/find') {
        rec.lookups++;
        const m = messages.find((x) => x.idempotencyKey === data.idempotencyKey && same(x.channel, data.channel));
        json({ messageId: m ? m.id : null });
        return;
      }
      if (req.url === '/deliver') {
        if (holdMode !== 'none') {
          const mode = holdMode;
          holdMode = 'none';
          if (mode === 'posted') messages.push({ ...pick(data), id: `M${++seq}` });
          held.add(res);
          onHeld?.({ instance: data.instance, idempotencyKey: data.idempotencyKey });
          return; // never answered: the sender dies waiting
        }
        const m = { ...pick(data), id: `M${++seq}` };
        messages.push(m);
        json({ messageId: m.id });
        return;
      }
      res.writeHead(404).end();
    });
  });
  const pick = (d: Posted): Omit<Posted, 'id'> => ({ instance: d.instance, channel: d.channel, periodKey: d.periodKey, idempotencyKey: d.idempotencyKey });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  rec.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return rec;
}

// ─── child processes ─────────────────────────────────────────────────────────────────────────

interface Child {
  name: string;
  proc: ChildProcess;
  events: Array<Record<string, unknown>>;
  stderr: string[];
  exited: Promise<void>;
  waitFor(pred: (e: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>>;
}

const children = new Set<Child>();

function spawnInstance(name: string, env: Record<string, string>): Child {
  const proc = spawn(NODE, [path.join(here, 'instance.ts')], {
    env: { ...process.env, ...env, POSTURE_INSTANCE: name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  const waiters: Array<{ pred: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }> = [];
  let buf = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let e: Record<string, unknown>;
      try {
        e = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      events.push(e);
      for (const w of [...waiters]) {
        if (w.pred(e)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(e);
        }
      }
    }
  });
  proc.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  let exitedResolve!: () => void;
  const exited = new Promise<void>((r) => (exitedResolve = r));
  const child: Child = {
    name,
    proc,
    events,
    stderr,
    exited,
    waitFor(pred, what) {
      const found = events.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        waiters.push({ pred, resolve });
        void exited.then(() => reject(new Error(`${name} exited while waiting for ${what}: ${stderr.join('').slice(-2000)}`)));
      });
    },
  };
  proc.on('exit', () => {
    children.delete(child);
    exitedResolve();
  });
  children.add(child);
  return child;
}

async function stopChild(c: Child, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  c.proc.kill(signal);
  const timer = setTimeout(() => c.proc.kill('SIGKILL'), 10_000);
  await c.exited;
  clearTimeout(timer);
}

/** Poll until `done` holds (bounded by the test's own timeout; asserts nothing about time). */
async function until(done: () => Promise<boolean>, what: string, limitMs = 90_000): Promise<void> {
  const start = Date.now();
  while (!(await done())) {
    if (Date.now() - start > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// ─── the scenarios ───────────────────────────────────────────────────────────────────────────

function fixture(names: string[]): DnsFixture {
  const out: DnsFixture['names'] = { '_spf.shared.test': { TXT: ['v=spf1 ip4:192.0.2.0/24 -all'] } };
  for (const n of names) {
    out[n] = { MX: [[10, `mx.${n}`]], TXT: ['v=spf1 mx include:_spf.shared.test -all'] };
    out[`mx.${n}`] = { A: ['192.0.2.25'] };
    out[`_dmarc.${n}`] = { TXT: [`v=DMARC1; p=reject; rua=mailto:dmarc@${n}`] };
  }
  return { names: out };
}

const CHANNELS: ChannelRef[] = Array.from({ length: 6 }, (_, i) => ({
  platform: 'slack' as const,
  workspaceId: i < 3 ? 'T1' : 'T2',
  channelId: `C${i + 1}`,
}));
const DOMAINS = ['alpha.test', 'bravo.test', 'charlie.test', 'delta.test'];

function suites(url: string): void {
  const base = `posture_jobs_test_${randomBytes(4).toString('hex')}`;
  const created: string[] = [];
  let admin: pg.Pool;
  let world: World;
  let recorder: Recorder;
  let n = 0;

  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: url, max: 2 });
    await admin.query('SELECT 1');
    world = await startWorld({ dns: fixture(DOMAINS) });
  });

  afterAll(async () => {
    await Promise.all([...children].map((c) => stopChild(c, 'SIGKILL')));
    await recorder?.close();
    await world?.stop();
    if (!admin) return;
    try {
      for (const s of created) await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(s)} CASCADE`);
    } finally {
      await admin.end();
    }
  });

  interface Scenario {
    store: Store;
    storeSchema: string;
    bossSchema: string;
    periodKey: string;
    env: Record<string, string>;
    /** an engine in this process that only enqueues (no workers, no cron): sends the ticks */
    driver: JobsEngine;
    close(): Promise<void>;
  }

  /** Fresh schemas, six channels watching two domains each, all due now. */
  async function scenario(): Promise<Scenario> {
    const storeSchema = `${base}_${n}_store`;
    const bossSchema = `${base}_${n}_boss`;
    n++;
    created.push(storeSchema, bossSchema);
    const store = await PostgresStore.open(url, { schema: storeSchema, maxConnections: 3 });
    const slot = new Date(Date.now() - 60_000);
    for (const [i, ch] of CHANNELS.entries()) {
      await store.watch(ch, DOMAINS[i % DOMAINS.length]!);
      await store.watch(ch, DOMAINS[(i + 1) % DOMAINS.length]!);
      await store.setSchedule(ch, { weekday: 1, time: '09:00', timeZone: 'UTC' });
      // the schedule advanced to a slot that has just fallen
      await store.setNextRunAt(ch, slot);
    }
    const driver = await startJobs({
      store, connectionString: url, schema: bossSchema, ports: {}, work: false, schedule: false,
      boss: { supervise: false, schedule: false },
    });
    recorder = await startRecorder();
    return {
      store, storeSchema, bossSchema, driver,
      periodKey: isoWeekKey(slot, 'UTC'),
      env: {
        POSTURE_TEST_DATABASE_URL: url,
        POSTURE_STORE_SCHEMA: storeSchema,
        POSTURE_BOSS_SCHEMA: bossSchema,
        POSTURE_RESOLVER: world.resolver,
        POSTURE_CONNECT_TO: JSON.stringify(world.connectTo),
        POSTURE_RECORDER: recorder.url,
      },
      async close() {
        await driver.stop({ timeoutMs: 2000 });
        await store.close();
        await recorder.close();
      },
    };
  }

  async function allDelivered(s: Scenario): Promise<boolean> {
    for (const ch of CHANNELS) {
      const run = await s.store.getDigestRun(ch, s.periodKey);
      if (run?.status !== 'delivered') return false;
    }
    return true;
  }

  function expectExactlyOnePerChannel(s: Scenario): void {
    const per = new Map<string, Posted[]>();
    for (const m of recorder.messages) {
      const k = `${m.channel.workspaceId}/${m.channel.channelId}`;
      per.set(k, [...(per.get(k) ?? []), m]);
    }
    expect([...per.keys()].sort()).toEqual(CHANNELS.map((c) => `${c.workspaceId}/${c.channelId}`).sort());
    for (const [k, list] of per) {
      expect(list.map((m) => m.periodKey), k).toEqual([s.periodKey]);
    }
    expect(recorder.messages).toHaveLength(CHANNELS.length);
  }

  async function deliveriesOf(s: Scenario): Promise<{ status: string; messageId: string | null; id: string }[]> {
    const out: { status: string; messageId: string | null; id: string }[] = [];
    for (const ch of CHANNELS) {
      const run = await s.store.getDigestRun(ch, s.periodKey);
      if (run) out.push(...(await s.store.deliveries(run.id)));
    }
    return out;
  }

  describe('jobs on pg-boss, two processes on one PostgreSQL', () => {
    it('every channel gets exactly one digest for the period, however many ticks and instances', { timeout: 120_000 }, async () => {
      const s = await scenario();
      try {
        world.dns.setDelay(20);
        const a = spawnInstance('a', s.env);
        const b = spawnInstance('b', s.env);
        await Promise.all([a.waitFor((e) => e.type === 'ready', 'ready'), b.waitFor((e) => e.type === 'ready', 'ready')]);

        // two ticks (as two instances or a late cron would send them), then another once the work is under way
        await s.driver.sendTick();
        await s.driver.sendTick();
        await Promise.race([
          a.waitFor((e) => e.type === 'digest-start', 'a digest job'),
          b.waitFor((e) => e.type === 'digest-start', 'a digest job'),
        ]);
        await s.driver.sendTick();
        await until(() => allDelivered(s), 'every channel delivered');
        // the same period once more (a schedule re-planned onto the fallen slot): the claim holds
        for (const ch of CHANNELS) await s.store.setNextRunAt(ch, new Date(Date.now() - 30_000));
        await s.driver.sendTick();
        await until(async () => {
          for (const ch of CHANNELS) if (((await s.store.getSchedule(ch))?.nextRunAt?.getTime() ?? 0) < Date.now()) return false;
          return true;
        }, 'the second tick to run');
        await until(async () => [...a.events, ...b.events].filter((e) => e.type === 'digest-done').length >= 12, 'the repeated jobs to finish');

        expectExactlyOnePerChannel(s);
        const ds = await deliveriesOf(s);
        expect(ds).toHaveLength(CHANNELS.length);
        expect(ds.every((d) => d.status === 'delivered' && d.messageId?.startsWith('M'))).toBe(true);
        const done = [...a.events, ...b.events].filter((e) => e.type === 'digest-done');
        expect(done.filter((e) => e.status === 'delivered')).toHaveLength(CHANNELS.length);
        expect(done.filter((e) => e.status === 'already-claimed')).toHaveLength(CHANNELS.length);

        await Promise.all([stopChild(a), stopChild(b)]);
      } finally {
        await s.close();
      }
    });

    it('a process SIGKILLed while checking (run claimed, no intent yet): the other runs it again under the same claim', { timeout: 150_000 }, async () => {
      const s = await scenario();
      try {
        world.dns.setDelay(150);
        const a = spawnInstance('a', s.env);
        const b = spawnInstance('b', s.env);
        await Promise.all([a.waitFor((e) => e.type === 'ready', 'ready'), b.waitFor((e) => e.type === 'ready', 'ready')]);

        await s.driver.sendTick();
        const first = await Promise.race([
          a.waitFor((e) => e.type === 'digest-start', 'a digest job').then((e) => ({ e, victim: a, survivor: b })),
          b.waitFor((e) => e.type === 'digest-start', 'a digest job').then((e) => ({ e, victim: b, survivor: a })),
        ]);
        const { victim, survivor } = first;
        const key = String(first.e.key);
        const channel = CHANNELS.find((c) => key.startsWith(`${c.platform}:${c.workspaceId}:${c.channelId}:`))!;
        // the run is claimed and its domains are being checked (slow DNS): kill the process now
        await until(async () => (await s.store.getDigestRun(channel, s.periodKey))?.status === 'claimed', 'the claim', 30_000);
        victim.proc.kill('SIGKILL');
        await victim.exited;
        const run = await s.store.getDigestRun(channel, s.periodKey);
        expect(run?.status).toBe('claimed');
        expect(await s.store.deliveries(run!.id)).toEqual([]);

        await until(() => allDelivered(s), 'every channel delivered by the survivor', 120_000);
        expectExactlyOnePerChannel(s);
        // the survivor resumed the victim's run under the same claim (same run id)
        const after = await s.store.getDigestRun(channel, s.periodKey);
        expect(after?.id).toBe(run!.id);
        expect(survivor.events.some((e) => e.type === 'digest-done' && e.key === key && e.resumed === true && e.status === 'delivered')).toBe(true);
        expect(recorder.messages.find((m) => m.channel.channelId === channel.channelId)?.instance).toBe(survivor.name);

        await stopChild(survivor);
      } finally {
        await s.close();
      }
    });

    for (const mode of ['unposted', 'posted'] as const) {
      it(`a process SIGKILLed mid-run (delivery in flight, ${mode === 'posted' ? 'already posted' : 'not posted'}): the other completes, exactly one digest each`, { timeout: 150_000 }, async () => {
        const s = await scenario();
        try {
          world.dns.setDelay(150); // checks take a while: there is a "mid-run" to kill
          const a = spawnInstance('a', s.env);
          const b = spawnInstance('b', s.env);
          await Promise.all([a.waitFor((e) => e.type === 'ready', 'ready'), b.waitFor((e) => e.type === 'ready', 'ready')]);

          const held = recorder.hold(mode);
          await s.driver.sendTick();
          const victimInfo = await held;
          const victim = victimInfo.instance === 'a' ? a : b;
          const survivor = victim === a ? b : a;
          victim.proc.kill('SIGKILL');
          await victim.exited;

          // the victim had claimed at least this run and recorded its intent
          const intents = await deliveriesOf(s);
          expect(intents.some((d) => d.id === victimInfo.idempotencyKey && d.status === 'pending')).toBe(true);

          await until(() => allDelivered(s), 'every channel delivered by the survivor', 120_000);
          expectExactlyOnePerChannel(s);
          const ds = await deliveriesOf(s);
          expect(ds).toHaveLength(CHANNELS.length);
          expect(ds.every((d) => d.status === 'delivered')).toBe(true);
          // the held delivery: settled through the platform (found) or posted again (not found), once
          const heldMessages = recorder.messages.filter((m) => m.idempotencyKey === victimInfo.idempotencyKey);
          expect(heldMessages).toHaveLength(1);
          expect(heldMessages[0]!.instance).toBe(mode === 'posted' ? victim.name : survivor.name);
          // the survivor picked the dead instance's job up and recovered the run
          const recovered = survivor.events.filter((e) => e.type === 'digest-done' && e.resumed === true);
          expect(recovered.length).toBeGreaterThanOrEqual(1);
          expect(recorder.lookups).toBeGreaterThanOrEqual(1);

          await stopChild(survivor);
        } finally {
          await s.close();
        }
      });
    }
  });
}
