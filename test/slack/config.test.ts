/** slackConfigFromEnv: modes, defaults, and errors that name the variable but never print a value. */
import { describe, expect, it } from 'vitest';
import { SlackConfigError, describeConfig, slackConfigFromEnv } from '../../adapters/slack/config.ts';
import { createLogger, redact } from '../../adapters/slack/log.ts';

const SECRET = 'shh-signing-secret-value';
const BOT = 'xoxb-1111-2222-abcdefSECRET';

function errorOf(env: Record<string, string>): string {
  try {
    slackConfigFromEnv(env);
  } catch (err) {
    expect(err).toBeInstanceOf(SlackConfigError);
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('slackConfigFromEnv', () => {
  it('is null when no Slack variable is set', () => {
    expect(slackConfigFromEnv({ PORT: '8080' })).toBeNull();
  });

  it('HTTP mode with defaults (PORT 3000, /posture, info)', () => {
    const c = slackConfigFromEnv({ SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: BOT })!;
    expect(c).toMatchObject({ mode: 'http', port: 3000, command: '/posture', logLevel: 'info', signingSecret: SECRET, botToken: BOT });
    expect(c.apiUrl).toBeUndefined();
  });

  it('SLACK_API_URL gets a trailing slash; PORT and LOG_LEVEL are read', () => {
    const c = slackConfigFromEnv({ SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: BOT, SLACK_API_URL: 'http://127.0.0.1:9/api', PORT: '8080', LOG_LEVEL: 'debug' })!;
    expect(c.apiUrl).toBe('http://127.0.0.1:9/api/');
    expect(c.port).toBe(8080);
    expect(c.logLevel).toBe('debug');
  });

  it('Socket Mode with SLACK_APP_TOKEN', () => {
    expect(slackConfigFromEnv({ SLACK_APP_TOKEN: 'xapp-1-abc', SLACK_BOT_TOKEN: BOT })!.mode).toBe('socket');
    expect(errorOf({ SLACK_APP_TOKEN: 'xapp-1-abc' })).toContain('SLACK_BOT_TOKEN is not set');
  });

  it('OAuth mode needs all four of its variables, and names the missing ones', () => {
    const c = slackConfigFromEnv({ SLACK_CLIENT_ID: '1.2', SLACK_CLIENT_SECRET: 'cs', SLACK_STATE_SECRET: 'st', SLACK_SIGNING_SECRET: SECRET })!;
    expect(c.mode).toBe('oauth');
    const m = errorOf({ SLACK_CLIENT_ID: '1.2', SLACK_SIGNING_SECRET: SECRET });
    expect(m).toContain('SLACK_CLIENT_SECRET');
    expect(m).toContain('SLACK_STATE_SECRET');
    expect(m).not.toContain(SECRET);
  });

  it('names what is missing in HTTP mode, never printing values', () => {
    const m = errorOf({ SLACK_BOT_TOKEN: BOT });
    expect(m).toContain('SLACK_SIGNING_SECRET is not set');
    expect(m).not.toContain(BOT);
  });

  it('refuses malformed values without echoing them', () => {
    const m1 = errorOf({ SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: 'xoxp-user-token-SECRET' });
    expect(m1).toContain('SLACK_BOT_TOKEN must be a bot token');
    expect(m1).not.toContain('xoxp-user-token-SECRET');
    expect(errorOf({ SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: BOT, PORT: 'eighty' })).toContain('PORT');
    expect(errorOf({ SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: BOT, SLACK_API_URL: 'ftp://x' })).toContain('SLACK_API_URL');
  });

  it('describeConfig names the mode and never a secret', () => {
    const c = slackConfigFromEnv({ SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: BOT })!;
    const d = describeConfig(c);
    expect(d).toContain('HTTP mode');
    expect(d).not.toContain(SECRET);
    expect(d).not.toContain(BOT);
  });
});

describe('log redaction', () => {
  it('masks Slack tokens and secret-looking parameters', () => {
    expect(redact(`token ${BOT} and xapp-1-A0-123 code=abc&client_secret=def`)).not.toMatch(/SECRET|abc&|def|A0-123/);
    const lines: string[] = [];
    const log = createLogger('info', (_l, line) => lines.push(line));
    log.info('calling with', { token: BOT });
    log.debug('hidden');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('abcdefSECRET');
  });
});
