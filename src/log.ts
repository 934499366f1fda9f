/**
 * A small structured logger: one JSON line per event on stderr, filtered by
 * LOG_LEVEL. Every configured secret value is replaced before a line is
 * written, so a token that slips into an error message never reaches the log.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Log = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Environment variables whose values are secrets (CONTRACTS §4). */
export const SECRET_ENV = [
  'SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_CLIENT_SECRET', 'SLACK_STATE_SECRET',
  'DISCORD_TOKEN', 'DISCORD_PUBLIC_KEY', 'DATABASE_URL',
] as const;

export function secretsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const name of SECRET_ENV) {
    const v = env[name];
    if (!v || v.length < 6) continue;
    out.push(v);
    if (name === 'DATABASE_URL') {
      // a connection string's password alone is a secret too
      try {
        const pw = new URL(v).password;
        if (pw) out.push(decodeURIComponent(pw));
      } catch {
        // not a URL (a SQLite path): the value as a whole is covered
      }
    }
  }
  return out.sort((a, b) => b.length - a.length);
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('[redacted]');
  return out;
}

export interface LoggerOptions {
  level?: string;
  secrets?: readonly string[];
  write?: (line: string) => void;
  now?: () => Date;
}

export function createLogger(options: LoggerOptions = {}): Log {
  const min = RANK[(options.level as LogLevel) in RANK ? (options.level as LogLevel) : 'info'];
  const secrets = options.secrets ?? [];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  return (level, message, fields = {}) => {
    if (RANK[level] < min) return;
    const safe: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields)) safe[k] = v instanceof Error ? { name: v.name, message: v.message } : v;
    const line = JSON.stringify({ time: now().toISOString(), level, msg: message, ...safe });
    write(`${redact(line, secrets)}\n`);
  };
}
