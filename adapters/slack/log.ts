/**
 * The logger the Slack adapter (and Bolt inside it) writes to. Whatever reaches it passes
 * `redact` first: Slack tokens (xoxb-, xoxp-, xapp-, xoxe-…) and anything that looks like a
 * `client_secret=`/`code=` parameter are masked, so secrets never reach logs (CONTRACTS §4).
 */
import { LogLevel, type Logger } from '@slack/bolt';
import type { SlackLogLevel } from './config.ts';

const ORDER: Record<SlackLogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const TOKEN = /\b(xox[abposer]|xapp)-[A-Za-z0-9-]+/g;
const PARAM = /\b(client_secret|code|token|signing_secret|state)=([^&\s"']+)/gi;

export function redact(text: string): string {
  return text.replace(TOKEN, '$1-…redacted').replace(PARAM, '$1=…redacted');
}

function show(x: unknown): string {
  if (typeof x === 'string') return x;
  if (x instanceof Error) return `${x.name}: ${x.message}`;
  try {
    return JSON.stringify(x);
  } catch {
    return String(x);
  }
}

export interface LineSink {
  (level: SlackLogLevel, line: string): void;
}

const stderrSink: LineSink = (level, line) => {
  process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${line}\n`);
};

/** A Bolt-compatible logger writing redacted lines to `sink` (stderr by default). */
export function createLogger(level: SlackLogLevel = 'info', sink: LineSink = stderrSink, name = 'slack'): Logger {
  let current: SlackLogLevel = level;
  let label = name;
  const write = (l: SlackLogLevel, msg: unknown[]): void => {
    if (ORDER[l] < ORDER[current]) return;
    sink(l, redact(`[${label}] ${msg.map(show).join(' ')}`));
  };
  return {
    debug: (...m: unknown[]) => write('debug', m),
    info: (...m: unknown[]) => write('info', m),
    warn: (...m: unknown[]) => write('warn', m),
    error: (...m: unknown[]) => write('error', m),
    setLevel(l: LogLevel) {
      current = l as SlackLogLevel;
    },
    getLevel: () => current as LogLevel,
    setName(n: string) {
      label = n;
    },
  };
}

/** Wrap a logger someone handed us so it redacts too. */
export function redacting(inner: Logger): Logger {
  const r = (m: unknown[]): string[] => m.map((x) => redact(show(x)));
  return {
    debug: (...m: unknown[]) => inner.debug(...r(m)),
    info: (...m: unknown[]) => inner.info(...r(m)),
    warn: (...m: unknown[]) => inner.warn(...r(m)),
    error: (...m: unknown[]) => inner.error(...r(m)),
    setLevel: (l: LogLevel) => inner.setLevel(l),
    getLevel: () => inner.getLevel(),
    setName: (n: string) => inner.setName(n),
  };
}
