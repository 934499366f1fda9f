/**
 * Opening the store named by `DATABASE_URL` (CONTRACTS §4):
 * - `sqlite:PATH`, `sqlite://PATH`, `file:` URLs or a bare path → SQLite (created on first start);
 * - `sqlite::memory:` or `:memory:` → SQLite in memory (tests, demos);
 * - `postgres://…` / `postgresql://…` → PostgreSQL (`PostgresStore`: a `pg` pool, migrated at start
 *   under an advisory lock; the URL's `options=-c search_path=…` selects a schema);
 * - unset or empty → `sqlite:./posture.db`.
 * Error messages never repeat the URL: it may carry a password.
 */
import { fileURLToPath } from 'node:url';
import { SqliteStore } from './sqlite.ts';
import { PostgresStore } from './postgres.ts';
import { DatabaseUrlError, type Store, type StoreOptions } from './types.ts';

export * from './types.ts';
export { SqliteStore, BUSY_TIMEOUT_MS } from './sqlite.ts';
export { PostgresStore, type PostgresStoreOptions } from './postgres.ts';
export { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION, POSTGRES_MIGRATION_LOCK_KEY, migratePostgres } from './postgres-migrations.ts';
export { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION, migrateSqlite, type Migration } from './migrations.ts';
export { retentionCutoff } from './validate.ts';

export const DEFAULT_DATABASE_URL = 'sqlite:./posture.db';

export type DatabaseTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export function parseDatabaseUrl(raw: string): DatabaseTarget {
  const url = raw.trim() === '' ? DEFAULT_DATABASE_URL : raw.trim();
  if (/^postgres(ql)?:\/\//i.test(url)) return { kind: 'postgres', url };
  if (/^sqlite:/i.test(url)) {
    let rest = url.slice('sqlite:'.length);
    if (rest.startsWith('//')) rest = rest.slice(2); // sqlite:///abs/path, sqlite://rel.db
    rest = rest.replace(/\?.*$/, '');
    if (rest === '') throw new DatabaseUrlError('DATABASE_URL "sqlite:" needs a file path, e.g. sqlite:./posture.db');
    return { kind: 'sqlite', path: rest };
  }
  if (/^file:/i.test(url)) {
    try {
      return { kind: 'sqlite', path: fileURLToPath(url) };
    } catch {
      throw new DatabaseUrlError('DATABASE_URL is a file: URL that names no local file');
    }
  }
  // a scheme (two letters or more, so Windows drive letters stay paths) that is none of ours
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(url)?.[1];
  if (scheme !== undefined) {
    throw new DatabaseUrlError(
      `DATABASE_URL scheme "${scheme.toLowerCase()}:" is not supported; use sqlite:PATH, a file path, or postgres://…`,
    );
  }
  return { kind: 'sqlite', path: url };
}

/**
 * Open the store, creating and migrating an SQLite database on first start.
 * Throws {@link DatabaseUrlError} for a URL it cannot serve.
 */
export async function openStore(
  databaseUrl: string = process.env['DATABASE_URL'] ?? DEFAULT_DATABASE_URL,
  options: StoreOptions = {},
): Promise<Store> {
  const target = parseDatabaseUrl(databaseUrl);
  if (target.kind === 'postgres') return PostgresStore.open(target.url, options);
  return new SqliteStore(target.path, options);
}
