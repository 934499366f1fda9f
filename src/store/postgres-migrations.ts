/**
 * PostgreSQL schema migrations: the same schema as `migrations.ts` (SQLite), version for
 * version and name for name (a test keeps the two lists in step), translated to PostgreSQL:
 *
 * - times are `timestamptz` (the store writes millisecond instants from its clock);
 * - identifiers that are sorted (platform, workspace, channel, domain, period, ids) are
 *   `COLLATE "C"`, so ORDER BY is byte order as in SQLite whatever the database's collation;
 * - flags are `boolean`; the channel key is a `bigint` identity;
 * - opaque JSON that carries arbitrary text (installation secrets, full reports, delivery
 *   payloads) is `json`, not `jsonb`: `jsonb` refuses `\u0000` and lone surrogates, which a DNS
 *   TXT record quoted in a report's evidence may contain, and SQLite keeps them. `json` still
 *   checks the syntax, keeps the text as written and is cheaper to write. The finding codes of a
 *   history row (short ASCII strings, a candidate for queries) are `jsonb`.
 *
 * All pending migrations are applied at start in one transaction that first takes
 * `pg_advisory_xact_lock(POSTGRES_MIGRATION_LOCK_KEY)`: when several instances start together,
 * one applies them and the others wait, then find the schema current. PostgreSQL DDL is
 * transactional, so a failing migration leaves nothing behind. Never edit a released migration:
 * append one, here and in `migrations.ts`, with the same version and name.
 */
import pg from 'pg';
import type { Migration } from './migrations.ts';
import { SchemaVersionError, StoreError } from './types.ts';

export type { Migration } from './migrations.ts';

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'installations, channels, watches, schedules, history, digest runs and deliveries',
    sql: `
      CREATE TABLE installations (
        platform       text COLLATE "C" NOT NULL CHECK (platform IN ('slack', 'discord')),
        workspace_id   text COLLATE "C" NOT NULL,
        workspace_name text,
        secrets        json,
        installed_by   text,
        time_zone      text,
        installed_at   timestamptz NOT NULL,
        updated_at     timestamptz NOT NULL,
        revoked_at     timestamptz,
        PRIMARY KEY (platform, workspace_id)
      );

      CREATE TABLE channels (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        platform     text COLLATE "C" NOT NULL CHECK (platform IN ('slack', 'discord')),
        workspace_id text COLLATE "C" NOT NULL,
        channel_id   text COLLATE "C" NOT NULL,
        created_at   timestamptz NOT NULL,
        UNIQUE (platform, workspace_id, channel_id)
      );

      CREATE TABLE watches (
        channel  bigint NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
        domain   text COLLATE "C" NOT NULL,
        added_by text,
        added_at timestamptz NOT NULL,
        PRIMARY KEY (channel, domain)
      );
      CREATE INDEX watches_domain ON watches (domain);

      CREATE TABLE schedules (
        channel             bigint PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
        weekday             smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
        time                text     NOT NULL,
        time_zone           text     NOT NULL,
        enabled             boolean  NOT NULL,
        disabled_reason     text,
        alert_on_regression boolean  NOT NULL DEFAULT false,
        next_run_at         timestamptz,
        created_at          timestamptz NOT NULL,
        updated_at          timestamptz NOT NULL
      );
      CREATE INDEX schedules_due ON schedules (next_run_at) WHERE enabled;

      CREATE TABLE reports (
        domain     text COLLATE "C" NOT NULL,
        checked_at timestamptz NOT NULL,
        report     json NOT NULL,
        PRIMARY KEY (domain, checked_at)
      );

      CREATE TABLE history (
        domain     text COLLATE "C" NOT NULL,
        checked_at timestamptz NOT NULL,
        grade      text     NOT NULL CHECK (grade IN ('A', 'B', 'C', 'D', 'F')),
        score      smallint NOT NULL CHECK (score BETWEEN 0 AND 100),
        codes      jsonb    NOT NULL,
        PRIMARY KEY (domain, checked_at)
      );
      CREATE INDEX history_checked_at ON history (checked_at);

      CREATE TABLE digest_runs (
        id         text COLLATE "C" PRIMARY KEY,
        channel    bigint NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
        period_key text COLLATE "C" NOT NULL,
        status     text NOT NULL CHECK (status IN ('claimed', 'delivering', 'delivered', 'failed', 'skipped')),
        note       text,
        claimed_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        UNIQUE (channel, period_key)
      );
      CREATE INDEX digest_runs_status ON digest_runs (status, claimed_at);

      CREATE TABLE deliveries (
        id           text COLLATE "C" PRIMARY KEY,
        run_id       text COLLATE "C" NOT NULL REFERENCES digest_runs (id) ON DELETE CASCADE,
        part         integer NOT NULL,
        status       text    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        payload      json,
        message_id   text,
        failures     integer NOT NULL DEFAULT 0,
        last_error   text,
        intent_at    timestamptz NOT NULL,
        delivered_at timestamptz,
        updated_at   timestamptz NOT NULL,
        UNIQUE (run_id, part)
      );
      CREATE INDEX deliveries_pending ON deliveries (intent_at) WHERE status = 'pending';
    `,
  },
  {
    version: 2,
    name: 'history keeps the policy facts of each check (DMARC policy, MTA-STS mode, untested checks)',
    // NULL for rows written before: their facts are unknown
    sql: `ALTER TABLE history ADD COLUMN facts json;`,
  },
];

/** The schema version this build writes. */
export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS.at(-1)?.version ?? 0;

/**
 * The advisory lock every instance takes while migrating ("Postur" in ASCII). One key for the
 * whole database: instances on different schemas only wait for each other's (short) start.
 */
export const POSTGRES_MIGRATION_LOCK_KEY = '88401813632370';

const CREATE_LEDGER = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL
  )`;

/** A plain, lower-case identifier: what `schema` may be (no quoting needed anywhere). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Throws {@link StoreError} unless `name` is a plain lower-case identifier (≤ 63 characters). */
export function checkSchemaName(name: string): string {
  if (typeof name !== 'string' || !SCHEMA_NAME.test(name) || name.startsWith('pg_')) {
    throw new StoreError(
      `schema ${JSON.stringify(name)} must be a lower-case identifier: a-z, 0-9 and _, not starting with a digit or pg_, at most 63 characters`,
    );
  }
  return name;
}

export interface MigrateOptions {
  migrations?: readonly Migration[];
  now?: () => Date;
  /**
   * The schema the connection's `search_path` selects: created when missing (inside the lock),
   * and checked to be the connection's current schema, so tables never land elsewhere.
   */
  schema?: string | null;
}

/** Anything with pg's `query` (a `Client` or a `PoolClient`). */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
}

/**
 * Bring the schema up to date on `client` (a dedicated connection, not in a transaction).
 * Safe at every start and from several instances at once. Returns the versions applied now
 * (empty when already current). Throws {@link SchemaVersionError} when the database was written
 * by a newer Posture.
 */
export async function migratePostgres(client: Queryable, options: MigrateOptions = {}): Promise<number[]> {
  const migrations = options.migrations ?? POSTGRES_MIGRATIONS;
  const now = options.now ?? (() => new Date());
  const schema = options.schema == null ? null : checkSchemaName(options.schema);
  checkSequence(migrations);
  const latest = migrations.at(-1)?.version ?? 0;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [POSTGRES_MIGRATION_LOCK_KEY]);
    if (schema !== null) {
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
      const current = (await client.query('SELECT current_schema() AS s')).rows[0]?.['s'];
      if (current !== schema) {
        throw new StoreError(
          `the connection's search_path selects schema ${JSON.stringify(current ?? null)}, not ${JSON.stringify(schema)}`,
        );
      }
    }
    await client.query(CREATE_LEDGER);
    const found = await currentPostgresVersion(client);
    if (found > latest) {
      throw new SchemaVersionError(
        `the database is at schema version ${found}, newer than this Posture knows (${latest}); upgrade Posture`,
      );
    }
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= found) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        now(),
      ]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** The highest applied version (0 for a fresh schema); the ledger must exist. */
export async function currentPostgresVersion(client: Queryable): Promise<number> {
  const v = (await client.query('SELECT COALESCE(MAX(version), 0)::int AS v FROM schema_migrations')).rows[0]?.['v'];
  return typeof v === 'number' ? v : 0;
}

function checkSequence(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name}: version ${m.version}, expected ${i + 1}`);
  });
}
