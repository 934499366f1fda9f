/**
 * The store contract against PostgreSQL, plus PostgreSQL specifics: migrations under the
 * advisory lock, restarts, claims and the watch limit across two pools, what is read back is
 * validated, and the schema option.
 *
 * Runs when POSTURE_TEST_DATABASE_URL names a PostgreSQL database (loopback only, e.g.
 * postgres://postgres@127.0.0.1:5432/test); skipped, saying so, otherwise. Each run works in
 * schemas of its own (posture_test_<random>…) and drops them at the end.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  POSTGRES_MIGRATIONS,
  POSTGRES_SCHEMA_VERSION,
  migratePostgres,
} from '../../src/store/postgres-migrations.ts';
import { PostgresStore, type PostgresStoreOptions } from '../../src/store/postgres.ts';
import { SQLITE_MIGRATIONS } from '../../src/store/migrations.ts';
import { openStore } from '../../src/store/index.ts';
import {
  SchemaVersionError,
  StoreError,
  WATCH_LIMIT,
  WatchLimitError,
  type Store,
} from '../../src/store/types.ts';
import { storeContract } from './contract.ts';
import { TestClock, channel, domains, makeReport } from './fixtures.ts';

const url = process.env['POSTURE_TEST_DATABASE_URL'];

const TABLES = ['installations', 'channels', 'watches', 'schedules', 'reports', 'history', 'digest_runs', 'deliveries'];

if (!url) {
  describe.skip('postgres store (set POSTURE_TEST_DATABASE_URL to run)', () => {
    it('store contract and PostgreSQL specifics', () => undefined);
  });
} else {
  postgresSuites(url);
}

function postgresSuites(url: string): void {
  const base = `posture_test_${randomBytes(5).toString('hex')}`;
  const created = new Set<string>();
  let admin: pg.Pool;
  let n = 0;

  /** A schema name of this run's; dropped at the end. */
  const freshSchema = (): string => {
    const name = `${base}_${n++}`;
    created.add(name);
    return name;
  };
  const q = (schema: string) => pg.escapeIdentifier(schema);

  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: url, max: 2 });
    await admin.query('SELECT 1'); // fail here, clearly, when PostgreSQL is unreachable
  });

  afterAll(async () => {
    if (!admin) return;
    try {
      for (const s of created) await admin.query(`DROP SCHEMA IF EXISTS ${q(s)} CASCADE`);
    } finally {
      await admin.end();
    }
  });

  // ─── the contract, in one schema emptied before each test ───────────────────────────────

  const contractSchema = freshSchema();
  storeContract('postgres', async (options) => {
    const store = await PostgresStore.open(url, { ...options, schema: contractSchema });
    await admin.query(`TRUNCATE ${TABLES.map((t) => `${q(contractSchema)}.${t}`).join(', ')} RESTART IDENTITY CASCADE`);
    return store;
  });

  // ─── PostgreSQL specifics ───────────────────────────────────────────────────────────────

  describe('PostgreSQL store', () => {
    const open: Store[] = [];
    const openPg = async (schema: string, options: PostgresStoreOptions = {}) => {
      const s = await PostgresStore.open(url, { now: new TestClock().now, ...options, schema });
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    const ledger = async (schema: string) =>
      (await admin.query(`SELECT version, name FROM ${q(schema)}.schema_migrations ORDER BY version`)).rows;

    it('keeps the same migration versions and names as SQLite', () => {
      expect(POSTGRES_MIGRATIONS.map((m) => [m.version, m.name])).toEqual(SQLITE_MIGRATIONS.map((m) => [m.version, m.name]));
      expect(POSTGRES_SCHEMA_VERSION).toBe(POSTGRES_MIGRATIONS.length);
    });

    it('creates its schema, applies migrations once and records them', async () => {
      const schema = freshSchema();
      const first = await openPg(schema);
      expect(first.kind).toBe('postgres');
      expect(first.schema).toBe(schema);
      expect(first.migrated).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
      await first.close();
      const second = await openPg(schema);
      expect(second.migrated).toEqual([]);
      expect((await ledger(schema)).map((r) => r['version'])).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
      expect(await second.setting('search_path')).toBe(schema);
      expect(await second.setting('application_name')).toBe('posture');
      const tables = await admin.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
        [schema],
      );
      expect(tables.rows.map((r) => r['table_name'])).toEqual([...TABLES, 'schema_migrations'].sort());
    });

    it('several instances starting together on a fresh schema apply the migrations once (advisory lock)', async () => {
      const schema = freshSchema();
      const stores = await Promise.all(Array.from({ length: 4 }, () => openPg(schema, { maxConnections: 2 })));
      const applied = stores.map((s) => s.migrated);
      expect(applied.filter((m) => m.length > 0)).toEqual([POSTGRES_MIGRATIONS.map((m) => m.version)]);
      expect(applied.filter((m) => m.length === 0)).toHaveLength(3);
      expect(await ledger(schema)).toHaveLength(POSTGRES_MIGRATIONS.length);
      // all four work on the same tables
      await stores[0]!.watch(channel('C1'), 'example.com');
      expect(await stores[3]!.watchedDomains()).toEqual(['example.com']);
    });

    it('keeps times as timestamptz and JSON as json/jsonb', async () => {
      const schema = freshSchema();
      await openPg(schema);
      const cols = await admin.query(
        `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1`,
        [schema],
      );
      const type = (t: string, c: string) =>
        cols.rows.find((r) => r['table_name'] === t && r['column_name'] === c)?.['data_type'];
      const timeCols = cols.rows.filter((r) => /_at$/.test(String(r['column_name'])));
      expect(timeCols.length).toBeGreaterThan(10);
      for (const r of timeCols) expect(r['data_type'], `${r['table_name']}.${r['column_name']}`).toBe('timestamp with time zone');
      expect(type('reports', 'report')).toBe('json');
      expect(type('installations', 'secrets')).toBe('json');
      expect(type('deliveries', 'payload')).toBe('json');
      expect(type('history', 'codes')).toBe('jsonb');
      expect(type('schedules', 'enabled')).toBe('boolean');
    });

    it('a restart (a new pool on the same schema) keeps the watch list, schedule, installation, history and claims', async () => {
      const schema = freshSchema();
      const ch = channel('C1');
      const before = await openPg(schema);
      await before.upsertInstallation({ platform: 'slack', workspaceId: 'T1', secrets: { bot: { token: 'xoxb-1' } }, timeZone: 'Europe/Paris' });
      await before.watch(ch, 'example.com');
      await before.watch(ch, 'example.org');
      await before.setSchedule(ch, { weekday: 3, time: '08:15' });
      const report = makeReport('example.com', '2026-11-30T10:00:00.000Z', { grade: 'A', score: 97, codes: ['dkim.not_found'] });
      await before.saveReport(report);
      const claim = await before.claimDigest(ch, '2026-W49');
      const intent = await before.recordDeliveryIntent(claim!.runId, { text: 'digest' });
      await before.close();

      const after = await openPg(schema);
      expect(after.migrated).toEqual([]);
      expect((await after.watchList(ch)).map((w) => w.domain)).toEqual(['example.com', 'example.org']);
      expect(await after.getSchedule(ch)).toMatchObject({ weekday: 3, time: '08:15', timeZone: 'Europe/Paris' });
      expect((await after.getInstallation({ platform: 'slack', workspaceId: 'T1' }))?.secrets).toEqual({ bot: { token: 'xoxb-1' } });
      expect(await after.latestReport('example.com')).toEqual(report);
      expect((await after.history('example.com', new Date(0)))[0]?.codes).toEqual(['dkim.not_found']);
      expect(await after.claimDigest(ch, '2026-W49')).toBeNull();
      expect((await after.pendingDeliveries()).map((d) => d.id)).toEqual([intent.id]);
    });

    it('openStore routes postgres:// URLs here, and a second openStore sees the data', async () => {
      const schema = freshSchema();
      await openPg(schema); // create the schema (openStore takes the search_path from the URL)
      const withPath = new URL(url);
      withPath.searchParams.set('options', `-c search_path=${schema}`);
      const a = await openStore(withPath.href);
      open.push(a);
      expect(a.kind).toBe('postgres');
      await a.watch(channel('C1'), 'example.com');
      await a.close();
      const b = await openStore(withPath.href);
      open.push(b);
      expect((await b.watchList(channel('C1'))).map((w) => w.domain)).toEqual(['example.com']);
      const inSchema = await admin.query(`SELECT domain FROM ${q(schema)}.watches`);
      expect(inSchema.rows).toEqual([{ domain: 'example.com' }]);
    });

    it('claims are unique across two pools racing', async () => {
      const schema = freshSchema();
      const a = await openPg(schema, { maxConnections: 4 });
      const b = await openPg(schema, { maxConnections: 4 });
      const channels = Array.from({ length: 6 }, (_, i) => channel(`C${i}`));
      const attempts = channels.flatMap((ch) =>
        [a, b, a, b].map((s) => s.claimDigest(ch, '2026-W49').then((c) => ({ ch: ch.channelId, c }))),
      );
      const results = await Promise.all(attempts);
      for (const ch of channels) {
        const wins = results.filter((r) => r.ch === ch.channelId && r.c !== null);
        expect(wins, ch.channelId).toHaveLength(1);
        expect((await b.getDigestRun(ch, '2026-W49'))?.id).toBe(wins[0]?.c?.runId);
      }
    });

    it('the watch limit holds across two pools racing', async () => {
      const schema = freshSchema();
      const a = await openPg(schema, { maxConnections: 4 });
      const b = await openPg(schema, { maxConnections: 4 });
      const ch = channel('C1');
      for (const d of domains(WATCH_LIMIT - 2)) await a.watch(ch, d);
      const extra = domains(8, 'x');
      const results = await Promise.allSettled(extra.map((d, i) => (i % 2 ? a : b).watch(ch, d)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(WatchLimitError);
      expect(await b.watchList(ch)).toHaveLength(WATCH_LIMIT);
      // the same domain from both pools at once: added once
      await a.unwatch(ch, domains(1)[0]!);
      const same = await Promise.all([a.watch(ch, 'same.example'), b.watch(ch, 'SAME.example.')]);
      expect(same.filter((r) => r.added)).toHaveLength(1);
      expect(await a.watchList(ch)).toHaveLength(WATCH_LIMIT);
    });

    it('parts of one run delivered from two pools at once settle the run as delivered', async () => {
      const schema = freshSchema();
      const a = await openPg(schema, { maxConnections: 4 });
      const b = await openPg(schema, { maxConnections: 4 });
      const ch = channel('C1');
      const { runId } = (await a.claimDigest(ch, '2026-W49'))!;
      const parts = await Promise.all([a, b, a, b].map((s, i) => s.recordDeliveryIntent(runId, { i })));
      expect(parts.map((p) => p.part).sort()).toEqual([0, 1, 2, 3]);
      await Promise.all(parts.map((p, i) => (i % 2 ? a : b).markDelivered(p.id, `m${i}`)));
      expect((await a.getDigestRun(ch, '2026-W49'))?.status).toBe('delivered');
    });

    it('keeps JSON that jsonb would refuse (NUL, lone surrogates), as SQLite does', async () => {
      const schema = freshSchema();
      const s = await openPg(schema);
      const report = makeReport('example.com', '2026-11-30T10:00:00.000Z');
      report.checks[0]!.evidence = { txt: 'v=spf1 \u0000 -all', odd: '\ud800' };
      await s.saveReport(report);
      expect(await s.latestReport('example.com')).toEqual(report);
      const { runId } = (await s.claimDigest(channel('C1'), '2026-W49'))!;
      const d = await s.recordDeliveryIntent(runId, { text: 'a\u0000b' });
      expect((await s.deliveries(runId))[0]?.payload).toEqual({ text: 'a\u0000b' });
      expect(d.payload).toEqual({ text: 'a\u0000b' });
      await s.upsertInstallation({ platform: 'slack', workspaceId: 'T1', secrets: { token: 'x\u0000y' } });
      expect((await s.getInstallation({ platform: 'slack', workspaceId: 'T1' }))?.secrets).toEqual({ token: 'x\u0000y' });
      // plain text columns cannot hold NUL in PostgreSQL: a StoreError, not a driver error
      await expect(s.disableSchedule(channel('C1'), 'bad\u0000reason')).rejects.toBeInstanceOf(StoreError);
    });

    it('validates what it reads back: a tampered report or history row is an error, not data', async () => {
      const schema = freshSchema();
      const s = await openPg(schema);
      await s.saveReport(makeReport('example.com', '2026-11-30T10:00:00.000Z'));
      await admin.query(`UPDATE ${q(schema)}.reports SET report = $1::json`, [
        JSON.stringify({ ...makeReport('example.com', '2026-11-30T10:00:00.000Z'), score: 900 }),
      ]);
      await admin.query(`UPDATE ${q(schema)}.history SET codes = '{"not": "a list"}'::jsonb`);
      await expect(s.latestReport('example.com')).rejects.toThrow(/stored report of example.com is not valid: score/);
      const err = await s.history('example.com', new Date(0)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as Error).message).toMatch(/corrupt/);
    });

    it('refuses a database written by a newer Posture', async () => {
      const schema = freshSchema();
      await (await openPg(schema)).close();
      await admin.query(`INSERT INTO ${q(schema)}.schema_migrations (version, name, applied_at) VALUES (99, 'future', now())`);
      await expect(PostgresStore.open(url, { schema })).rejects.toBeInstanceOf(SchemaVersionError);
    });

    it('a failing migration rolls back and leaves the version where it was', async () => {
      const schema = freshSchema();
      await (await openPg(schema)).close();
      const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
      await client.connect();
      try {
        const broken = [
          ...POSTGRES_MIGRATIONS,
          { version: POSTGRES_MIGRATIONS.length + 1, name: 'broken', sql: 'CREATE TABLE half (x integer); SELECT * FROM no_such_table;' },
        ];
        await expect(migratePostgres(client, { migrations: broken, schema })).rejects.toThrow(/no_such_table/);
        expect(await ledger(schema)).toHaveLength(POSTGRES_MIGRATIONS.length);
        expect((await client.query(`SELECT to_regclass('half') AS t`)).rows[0]?.['t']).toBeNull();
        expect((await client.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]); // not left in a failed transaction
        await expect(migratePostgres(client, { migrations: [{ version: 2, name: 'gap', sql: '' }] })).rejects.toThrow(/expected 1/);
      } finally {
        await client.end();
      }
    });

    it('a fresh schema fails cleanly when its migration fails: no schema, no ledger left behind', async () => {
      const schema = freshSchema();
      const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
      await client.connect();
      try {
        await expect(
          migratePostgres(client, { migrations: [{ version: 1, name: 'broken', sql: 'SELECT * FROM no_such_table' }], schema }),
        ).rejects.toThrow(/no_such_table/);
        expect((await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount).toBe(0);
      } finally {
        await client.end();
      }
    });

    it("keeps the URL's own startup options when given a schema", async () => {
      const schema = freshSchema();
      const withOptions = new URL(url);
      withOptions.searchParams.set('options', '-c statement_timeout=4321');
      const s = await PostgresStore.open(withOptions.href, { schema });
      open.push(s);
      expect(await s.setting('statement_timeout')).toBe('4321ms');
      expect(await s.setting('search_path')).toBe(schema);
    });

    it('refuses a schema name that is not a plain identifier, before connecting', async () => {
      for (const bad of ['', 'Posture', 'a-b', 'x; DROP SCHEMA public', '1abc', 'pg_posture', 'a'.repeat(64)]) {
        await expect(PostgresStore.open(url, { schema: bad }), bad).rejects.toBeInstanceOf(StoreError);
      }
    });

    it('connection errors never repeat the password', async () => {
      // port 1 on loopback: refused at once
      const err = await PostgresStore.open('postgres://posture:s3cret-pw@127.0.0.1:1/posture', { connectTimeoutMs: 2000 }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expect(String((err as Error).message)).not.toContain('s3cret-pw');
      expect(String((err as Error).stack)).not.toContain('s3cret-pw');
    });

    it('survives its connections being killed (a database restart), reporting the error', async () => {
      const schema = freshSchema();
      const name = `${schema}_app`;
      const errors: Error[] = [];
      let reported!: () => void;
      const sawError = new Promise<void>((resolve) => (reported = resolve));
      const s = await openPg(schema, {
        applicationName: name,
        onError: (err) => {
          errors.push(err);
          reported();
        },
      });
      await s.watch(channel('C1'), 'example.com'); // leaves an idle pooled connection
      const killed = await admin.query(
        'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1',
        [name],
      );
      expect(killed.rowCount).toBeGreaterThan(0);
      await sawError;
      expect(errors.length).toBeGreaterThan(0);
      expect((await s.watchList(channel('C1'))).map((w) => w.domain)).toEqual(['example.com']);
    });

    it('keeps the clock it was given for its own timestamps, to the millisecond', async () => {
      const schema = freshSchema();
      const clock = new TestClock('2027-01-04T07:00:00.123Z');
      const s = await openPg(schema, { now: clock.now });
      await s.watch(channel('C1'), 'example.com');
      expect((await s.watchList(channel('C1')))[0]?.addedAt).toEqual(clock.now());
    });
  });
}
