/**
 * Schema migrations, all in one place. Each migration has a version (1, 2, 3… with no gaps),
 * runs in its own transaction together with its row in `schema_migrations`, and is never edited
 * once released: change the schema by appending a migration.
 *
 * Times are INTEGER milliseconds since the Unix epoch (UTC). JSON columns hold TEXT validated
 * with zod when read back.
 */
import type { DatabaseSync } from 'node:sqlite';
import { SchemaVersionError } from './types.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'installations, channels, watches, schedules, history, digest runs and deliveries',
    sql: `
      CREATE TABLE installations (
        platform       TEXT    NOT NULL CHECK (platform IN ('slack', 'discord')),
        workspace_id   TEXT    NOT NULL,
        workspace_name TEXT,
        secrets        TEXT,
        installed_by   TEXT,
        time_zone      TEXT,
        installed_at   INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL,
        revoked_at     INTEGER,
        PRIMARY KEY (platform, workspace_id)
      ) STRICT;

      CREATE TABLE channels (
        id           INTEGER PRIMARY KEY,
        platform     TEXT    NOT NULL CHECK (platform IN ('slack', 'discord')),
        workspace_id TEXT    NOT NULL,
        channel_id   TEXT    NOT NULL,
        created_at   INTEGER NOT NULL,
        UNIQUE (platform, workspace_id, channel_id)
      ) STRICT;

      CREATE TABLE watches (
        channel  INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
        domain   TEXT    NOT NULL,
        added_by TEXT,
        added_at INTEGER NOT NULL,
        PRIMARY KEY (channel, domain)
      ) STRICT;
      CREATE INDEX watches_domain ON watches (domain);

      CREATE TABLE schedules (
        channel             INTEGER PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
        weekday             INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
        time                TEXT    NOT NULL,
        time_zone           TEXT    NOT NULL,
        enabled             INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        disabled_reason     TEXT,
        alert_on_regression INTEGER NOT NULL DEFAULT 0 CHECK (alert_on_regression IN (0, 1)),
        next_run_at         INTEGER,
        created_at          INTEGER NOT NULL,
        updated_at          INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX schedules_due ON schedules (next_run_at) WHERE enabled = 1;

      CREATE TABLE reports (
        domain     TEXT    NOT NULL,
        checked_at INTEGER NOT NULL,
        report     TEXT    NOT NULL,
        PRIMARY KEY (domain, checked_at)
      ) STRICT;

      CREATE TABLE history (
        domain     TEXT    NOT NULL,
        checked_at INTEGER NOT NULL,
        grade      TEXT    NOT NULL CHECK (grade IN ('A', 'B', 'C', 'D', 'F')),
        score      INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),
        codes      TEXT    NOT NULL,
        PRIMARY KEY (domain, checked_at)
      ) STRICT;
      CREATE INDEX history_checked_at ON history (checked_at);

      CREATE TABLE digest_runs (
        id         TEXT    PRIMARY KEY,
        channel    INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
        period_key TEXT    NOT NULL,
        status     TEXT    NOT NULL CHECK (status IN ('claimed', 'delivering', 'delivered', 'failed', 'skipped')),
        note       TEXT,
        claimed_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (channel, period_key)
      ) STRICT;
      CREATE INDEX digest_runs_status ON digest_runs (status, claimed_at);

      CREATE TABLE deliveries (
        id           TEXT    PRIMARY KEY,
        run_id       TEXT    NOT NULL REFERENCES digest_runs (id) ON DELETE CASCADE,
        part         INTEGER NOT NULL,
        status       TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        payload      TEXT,
        message_id   TEXT,
        failures     INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT,
        intent_at    INTEGER NOT NULL,
        delivered_at INTEGER,
        updated_at   INTEGER NOT NULL,
        UNIQUE (run_id, part)
      ) STRICT;
      CREATE INDEX deliveries_pending ON deliveries (intent_at) WHERE status = 'pending';
    `,
  },
  {
    version: 2,
    name: 'history keeps the policy facts of each check (DMARC policy, MTA-STS mode, untested checks)',
    // NULL for rows written before: their facts are unknown
    sql: `ALTER TABLE history ADD COLUMN facts TEXT;`,
  },
];

/** The schema version this build writes. */
export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS.at(-1)?.version ?? 0;

const CREATE_LEDGER = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`;

export function currentVersion(db: DatabaseSync): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get();
  const v = row?.['v'];
  return typeof v === 'number' ? v : 0;
}

/**
 * Bring the database up to date. Safe to call at every start and from several processes at
 * once: each migration runs under `BEGIN IMMEDIATE` (one writer) and re-reads the version
 * inside its transaction. Returns the versions applied now (empty when already current).
 */
export function migrateSqlite(
  db: DatabaseSync,
  migrations: readonly Migration[] = SQLITE_MIGRATIONS,
  now: () => Date = () => new Date(),
): number[] {
  checkSequence(migrations);
  db.exec(CREATE_LEDGER);
  const latest = migrations.at(-1)?.version ?? 0;
  const found = currentVersion(db);
  if (found > latest) {
    throw new SchemaVersionError(
      `the database is at schema version ${found}, newer than this Posture knows (${latest}); upgrade Posture`,
    );
  }
  const applied: number[] = [];
  for (const m of migrations) {
    db.exec('BEGIN IMMEDIATE');
    try {
      if (currentVersion(db) >= m.version) {
        db.exec('COMMIT');
        continue;
      }
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        now().getTime(),
      );
      db.exec('COMMIT');
      applied.push(m.version);
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw err;
    }
  }
  return applied;
}

function checkSequence(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name}: version ${m.version}, expected ${i + 1}`);
  });
}
