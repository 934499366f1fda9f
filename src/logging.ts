/**
 * The production logger: pino, one JSON line per event, with the same `Log` function shape as
 * `src/log.ts` (so every existing caller keeps working) and the same guarantee: every configured
 * secret value (`secretsFromEnv`) is replaced by `[redacted]` before a line is written — also in
 * its JSON-escaped form, so a secret with a quote or a backslash cannot slip through.
 *
 * Lines look like `src/log.ts`'s: `{"level":"info","time":"…ISO…","msg":"…",…fields}` plus
 * pino's `pid`/`hostname` and any child bindings (e.g. `reqId`).
 */
import { pino, type Logger } from 'pino';
import { redact, secretsFromEnv, type Log, type LogLevel } from './log.ts';

export type { Log, LogLevel } from './log.ts';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface PinoLogOptions {
  /** LOG_LEVEL; anything unknown means `info` */
  level?: string | undefined;
  /** secret values to redact (see `secretsFromEnv`) */
  secrets?: readonly string[];
  /** where lines go (default: stderr); each call gets one complete line ending in "\n" */
  write?: (line: string) => void;
  /** fields on every line (e.g. `{ service: 'posture' }`) */
  base?: Record<string, unknown>;
}

export interface PinoLog {
  /** the `Log` function (level, message, fields) */
  log: Log;
  /** a `Log` whose lines all carry `bindings` (e.g. `{ reqId }`) */
  child(bindings: Record<string, unknown>): Log;
  /** the underlying pino logger (already redacting) */
  logger: Logger;
}

/** Every form in which a secret may appear in a JSON line, longest first. */
export function secretForms(secrets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const s of secrets) {
    if (!s) continue;
    out.add(s);
    out.add(JSON.stringify(s).slice(1, -1));
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** Error values become `{ name, message }` (as `src/log.ts` does); everything else passes through. */
function safeFields(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  const safe: Record<string, unknown> = {};
  if (!fields) return safe;
  for (const [k, v] of Object.entries(fields)) safe[k] = v instanceof Error ? { name: v.name, message: v.message } : v;
  return safe;
}

function asLog(logger: Logger): Log {
  return (level, message, fields) => {
    const l = LEVELS.includes(level) ? level : 'info';
    logger[l](safeFields(fields), message);
  };
}

export function createPinoLog(options: PinoLogOptions = {}): PinoLog {
  const level = LEVELS.includes(options.level as LogLevel) ? (options.level as LogLevel) : 'info';
  const forms = secretForms(options.secrets ?? []);
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const logger = pino(
    {
      level,
      base: { pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    { write: (line: string) => write(redact(line, forms)) },
  );
  return {
    log: asLog(logger),
    child: (bindings) => asLog(logger.child(bindings)),
    logger,
  };
}

/** The logger `posture serve` uses: LOG_LEVEL and the secrets of the environment. */
export function createServeLog(env: NodeJS.ProcessEnv, write?: (line: string) => void): PinoLog {
  return createPinoLog({ level: env.LOG_LEVEL, secrets: secretsFromEnv(env), ...(write ? { write } : {}) });
}
