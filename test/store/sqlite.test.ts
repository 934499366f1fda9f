/** The store contract against SQLite (a file in a temp dir, and in memory), plus SQLite specifics. */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_DATABASE_URL,
  DatabaseUrlError,
  SQLITE_MIGRATIONS,
  SQLITE_SCHEMA_VERSION,
  SchemaVersionError,
  SqliteStore,
  migrateSqlite,
  openStore,
  parseDatabaseUrl,
  type Store,
} from '../../src/store/index.ts';
import { storeContract } from './contract.ts';
import { TestClock, channel, makeReport } from './fixtures.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'posture-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
let current: string | undefined;
storeContract(
  'sqlite (file)',
  async (options) => {
    current = path.join(root, `contract-${n++}`, 'posture.db');
    return openStore(`sqlite:${current}`, options);
  },
  () => {
    if (current) rmSync(path.dirname(current), { recursive: true, force: true });
  },
);

storeContract('sqlite (:memory:)', (options) => openStore('sqlite::memory:', options));

describe('DATABASE_URL', () => {
  it('parses sqlite:PATH, bare paths, file: URLs and memory', () => {
    expect(parseDatabaseUrl('sqlite:./posture.db')).toEqual({ kind: 'sqlite', path: './posture.db' });
    expect(parseDatabaseUrl('sqlite:/var/lib/posture/p.db')).toEqual({ kind: 'sqlite', path: '/var/lib/posture/p.db' });
    expect(parseDatabaseUrl('sqlite:///var/lib/p.db')).toEqual({ kind: 'sqlite', path: '/var/lib/p.db' });
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ kind: 'sqlite', path: ':memory:' });
    expect(parseDatabaseUrl(':memory:')).toEqual({ kind: 'sqlite', path: ':memory:' });
    expect(parseDatabaseUrl('/tmp/posture.db')).toEqual({ kind: 'sqlite', path: '/tmp/posture.db' });
    expect(parseDatabaseUrl('data/posture.db')).toEqual({ kind: 'sqlite', path: 'data/posture.db' });
    expect(parseDatabaseUrl('file:///tmp/p.db')).toEqual({ kind: 'sqlite', path: '/tmp/p.db' });
    expect(parseDatabaseUrl('  ')).toEqual({ kind: 'sqlite', path: './posture.db' });
    expect(DEFAULT_DATABASE_URL).toBe('sqlite:./posture.db');
    expect(parseDatabaseUrl('postgres://u:p@db/posture')).toEqual({ kind: 'postgres', url: 'postgres://u:p@db/posture' });
    expect(parseDatabaseUrl('postgresql://db/posture').kind).toBe('postgres');
  });

  it('opens PostgreSQL for postgres:// URLs; a failure never echoes the password', async () => {
    // nothing listens on loopback port 1: PostgresStore.open fails at once
    const err = await openStore('postgres://posture:s3cret@127.0.0.1:1/posture').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(DatabaseUrlError);
    expect((err as Error).message).not.toContain('s3cret');
  });

  it('refuses other schemes and an empty sqlite: path', async () => {
    const err = await openStore('mysql://root:pw@db/posture').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseUrlError);
    expect((err as Error).message).toContain('"mysql:"');
    expect((err as Error).message).not.toContain('pw@');
    expect(() => parseDatabaseUrl('sqlite:')).toThrow(DatabaseUrlError);
  });

  describe('from the environment', () => {
    let saved: string | undefined;
    beforeEach(() => {
      saved = process.env['DATABASE_URL'];
    });
    afterEach(() => {
      if (saved === undefined) delete process.env['DATABASE_URL'];
      else process.env['DATABASE_URL'] = saved;
    });

    it('opens the file DATABASE_URL names, creating it and its directory', async () => {
      const file = path.join(root, 'env', 'nested', 'posture.db');
      process.env['DATABASE_URL'] = `sqlite:${file}`;
      const store = await openStore();
      try {
        expect(store.kind).toBe('sqlite');
        expect(existsSync(file)).toBe(true);
      } finally {
        await store.close();
      }
    });
  });
});

describe('SQLite store', () => {
  let dir: string;
  const open: Store[] = [];
  beforeEach(() => {
    dir = mkdtempSync(path.join(root, 'sqlite-'));
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const openFile = (file = path.join(dir, 'posture.db'), clock = new TestClock()) => {
    const s = new SqliteStore(file, { now: clock.now });
    open.push(s);
    return s;
  };

  it('runs in WAL mode with foreign keys on and a busy timeout', () => {
    const s = openFile();
    expect(s.pragma('journal_mode')).toBe('wal');
    expect(s.pragma('foreign_keys')).toBe(1);
    expect(Number(s.pragma('busy_timeout'))).toBeGreaterThan(0);
  });

  it('applies migrations once, recorded in schema_migrations', async () => {
    const file = path.join(dir, 'posture.db');
    const first = openFile(file);
    expect(first.migrated).toEqual(SQLITE_MIGRATIONS.map((m) => m.version));
    await first.close();
    const second = openFile(file);
    expect(second.migrated).toEqual([]);
    await second.close();
    const db = new DatabaseSync(file);
    try {
      const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
      expect(rows.map((r) => r['version'])).toEqual(SQLITE_MIGRATIONS.map((m) => m.version));
      expect(SQLITE_SCHEMA_VERSION).toBe(SQLITE_MIGRATIONS.length);
    } finally {
      db.close();
    }
  });

  it('a restart keeps the watch list, schedule, installation, history and claims', async () => {
    const file = path.join(dir, 'posture.db');
    const ch = channel('C1');
    const before = openFile(file);
    await before.upsertInstallation({ platform: 'slack', workspaceId: 'T1', secrets: { bot: { token: 'xoxb-1' } }, timeZone: 'Europe/Paris' });
    await before.watch(ch, 'example.com');
    await before.watch(ch, 'example.org');
    await before.setSchedule(ch, { weekday: 3, time: '08:15' });
    const report = makeReport('example.com', '2026-11-30T10:00:00.000Z', { grade: 'A', score: 97 });
    await before.saveReport(report);
    const claim = await before.claimDigest(ch, '2026-W49');
    const intent = await before.recordDeliveryIntent(claim!.runId, { text: 'digest' });
    await before.close();

    const after = openFile(file);
    expect((await after.watchList(ch)).map((w) => w.domain)).toEqual(['example.com', 'example.org']);
    expect(await after.getSchedule(ch)).toMatchObject({ weekday: 3, time: '08:15', timeZone: 'Europe/Paris' });
    expect((await after.getInstallation({ platform: 'slack', workspaceId: 'T1' }))?.secrets).toEqual({ bot: { token: 'xoxb-1' } });
    expect(await after.latestReport('example.com')).toEqual(report);
    expect(await after.claimDigest(ch, '2026-W49')).toBeNull();
    expect((await after.pendingDeliveries()).map((d) => d.id)).toEqual([intent.id]);
  });

  it('two connections to one file (two processes) share claims and the watch limit', async () => {
    const file = path.join(dir, 'posture.db');
    const a = openFile(file);
    const b = openFile(file);
    const ch = channel('C1');
    expect(await a.claimDigest(ch, '2026-W49')).not.toBeNull();
    expect(await b.claimDigest(ch, '2026-W49')).toBeNull();
    await a.watch(ch, 'example.com');
    expect(await b.watch(ch, 'EXAMPLE.COM')).toMatchObject({ added: false, count: 1 });
  });

  it('validates what it reads back: a tampered report is an error, not a Report', async () => {
    const file = path.join(dir, 'posture.db');
    const s = openFile(file);
    await s.saveReport(makeReport('example.com', '2026-11-30T10:00:00.000Z'));
    const db = new DatabaseSync(file, { timeout: 1000 });
    db.prepare('UPDATE reports SET report = ?').run(JSON.stringify({ ...makeReport('example.com', '2026-11-30T10:00:00.000Z'), score: 900 }));
    db.prepare('UPDATE history SET codes = ?').run('{not json');
    db.close();
    await expect(s.latestReport('example.com')).rejects.toThrow(/stored report of example.com is not valid: score/);
    await expect(s.history('example.com', new Date(0))).rejects.toThrow(/corrupt/);
  });

  it('refuses a database written by a newer Posture', async () => {
    const file = path.join(dir, 'posture.db');
    await openFile(file).close();
    const db = new DatabaseSync(file);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(99, 'future', 0);
    db.close();
    expect(() => new SqliteStore(file)).toThrow(SchemaVersionError);
  });

  it('a failing migration rolls back and leaves the version where it was', () => {
    const db = new DatabaseSync(':memory:');
    try {
      const broken = [
        ...SQLITE_MIGRATIONS,
        { version: SQLITE_MIGRATIONS.length + 1, name: 'broken', sql: 'CREATE TABLE half (x INTEGER); SELECT * FROM no_such_table;' },
      ];
      expect(() => migrateSqlite(db, broken)).toThrow();
      const v = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()?.['v'];
      expect(v).toBe(SQLITE_MIGRATIONS.length);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
      expect(db.isTransaction).toBe(false);
    } finally {
      db.close();
    }
  });

  it('upgrades a version-1 database: old history rows keep no facts, new ones do', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'posture-upgrade-')), 'posture.db');
    const db = new DatabaseSync(file);
    migrateSqlite(db, SQLITE_MIGRATIONS.slice(0, 1));
    db.prepare("INSERT INTO history (domain, checked_at, grade, score, codes) VALUES ('example.com', 1000, 'B', 80, '[]')").run();
    db.close();
    const store = new SqliteStore(file);
    try {
      await store.saveReport(makeReport('example.com', new Date(2000), { grade: 'A', score: 95 }));
      const rows = await store.history('example.com', new Date(0));
      expect(rows.map((r) => r.facts)).toEqual([undefined, { untested: [] }]);
    } finally {
      await store.close();
      rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });

  it('refuses migrations out of sequence', () => {
    const db = new DatabaseSync(':memory:');
    try {
      expect(() => migrateSqlite(db, [{ version: 2, name: 'gap', sql: '' }])).toThrow(/expected 1/);
    } finally {
      db.close();
    }
  });

  it('keeps the clock it was given for its own timestamps', async () => {
    const clock = new TestClock('2027-01-04T07:00:00.000Z');
    const s = openFile(path.join(dir, 'clock.db'), clock);
    expect((await s.watch(channel('C1'), 'example.com')) && (await s.watchList(channel('C1')))[0]?.addedAt).toEqual(clock.now());
  });

  it('an in-memory store works without a file', async () => {
    const s = await openStore('sqlite::memory:');
    open.push(s);
    expect((s as SqliteStore).pragma('foreign_keys')).toBe(1);
    expect(await s.watch(channel('C1'), 'example.com')).toMatchObject({ added: true });
  });
});
