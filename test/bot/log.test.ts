import { describe, expect, it } from 'vitest';
import { createLogger, secretsFromEnv } from '../../src/log.ts';

describe('logger', () => {
  it('never writes a configured secret, even inside an error message', () => {
    const lines: string[] = [];
    const secrets = secretsFromEnv({
      SLACK_BOT_TOKEN: 'xoxb-1234-secret-token',
      DATABASE_URL: 'postgres://posture:hunter2hunter2@127.0.0.1:5432/test',
    });
    const log = createLogger({ level: 'debug', secrets, write: (l) => lines.push(l) });
    log('error', 'auth failed for xoxb-1234-secret-token', { err: new Error('bad token xoxb-1234-secret-token'), db: 'hunter2hunter2' });
    const out = lines.join('');
    expect(out).not.toContain('xoxb-1234-secret-token');
    expect(out).not.toContain('hunter2hunter2');
    expect(out).toContain('[redacted]');
  });

  it('filters by level', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', write: (l) => lines.push(l) });
    log('info', 'quiet');
    log('warn', 'loud');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', msg: 'loud' });
  });
});
