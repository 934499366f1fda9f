/**
 * The pino logger: the `Log` shape of src/log.ts, levels, child bindings, and no configured
 * secret in any line — including a request that carries one in its headers, query string and
 * request id, and a store error that quotes a connection string.
 */
import { describe, expect, it } from 'vitest';
import { createPinoLog, createServeLog, secretForms } from '../../src/logging.ts';
import { secretsFromEnv } from '../../src/log.ts';
import { createOps, storeProbe } from '../../src/http/ops.ts';
import { startOpsServer } from '../../src/http/server.ts';

const env = {
  SLACK_BOT_TOKEN: 'xoxb-1234-ops-secret-token',
  DISCORD_TOKEN: 'discord.token.with"quote\\slash',
  DATABASE_URL: 'postgres://posture:pg-pass-w0rd-99@127.0.0.1:5432/posture',
  LOG_LEVEL: 'debug',
};
const SECRETS = ['xoxb-1234-ops-secret-token', 'discord.token.with"quote\\slash', 'pg-pass-w0rd-99'];

function parse(lines: string[]): Record<string, unknown>[] {
  return lines.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('pino logger', () => {
  it('writes one JSON line per event with level label, ISO time, msg and fields', () => {
    const lines: string[] = [];
    const { log } = createPinoLog({ level: 'info', write: (l) => lines.push(l) });
    log('debug', 'quiet');
    log('info', 'hello', { n: 1 });
    log('warn', 'careful', { err: new Error('boom') });
    const out = parse(lines);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({ level: 'info', msg: 'hello', n: 1 });
    expect(String(out[0]!['time'])).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(out[1]).toMatchObject({ level: 'warn', msg: 'careful', err: { name: 'Error', message: 'boom' } });
  });

  it('falls back to info for an unknown LOG_LEVEL, and child loggers carry their bindings', () => {
    const lines: string[] = [];
    const l = createPinoLog({ level: 'verbose', write: (x) => lines.push(x) });
    l.log('debug', 'hidden');
    l.child({ reqId: 'r-1' })('info', 'shown');
    const out = parse(lines);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ reqId: 'r-1', msg: 'shown' });
  });

  it('redacts every configured secret, also JSON-escaped, wherever it appears', () => {
    const lines: string[] = [];
    const { log } = createServeLog(env, (l) => lines.push(l));
    for (const s of SECRETS) {
      log('error', `failed with ${s}`, { detail: s, err: new Error(`bad ${s}`), nested: { deep: [s] } });
    }
    const all = lines.join('');
    for (const s of SECRETS) {
      expect(all).not.toContain(s);
      expect(all).not.toContain(JSON.stringify(s).slice(1, -1));
    }
    expect(all).toContain('[redacted]');
    expect(secretForms(['a"b'])).toEqual(['a\\"b', 'a"b']);
  });

  it('a request with secrets in its headers, query and request id, and a failing store, logs none of them', async () => {
    const lines: string[] = [];
    const logging = createServeLog(env, (l) => lines.push(l));
    const ops = createOps({ log: logging.log });
    ops.addProbe('store', storeProbe({
      getInstallation: async () => {
        throw new Error(`connect ECONNREFUSED ${env.DATABASE_URL}`);
      },
    }));
    const server = await startOpsServer({ ops, port: 0, host: '127.0.0.1', log: logging.log });
    try {
      const r = await fetch(`${server.url}/readyz?token=${encodeURIComponent(SECRETS[0]!)}`, {
        headers: { authorization: `Bearer ${SECRETS[0]}`, 'x-request-id': SECRETS[0]!, cookie: `s=${SECRETS[2]}` },
      });
      expect(r.status).toBe(503);
      const body = await r.text();
      for (const s of SECRETS) expect(body).not.toContain(s);
      await fetch(`${server.url}/discord/interactions`, { method: 'POST', headers: { 'x-signature-ed25519': SECRETS[0]! }, body: SECRETS[2] });
    } finally {
      await server.close(0);
    }
    const all = lines.join('');
    expect(all).toMatch(/"msg":"http request"/);
    expect(all).toMatch(/"msg":"readiness probe failed"/);
    for (const s of SECRETS) expect(all).not.toContain(s);
    expect(all).not.toContain('Bearer');
    expect(all).not.toContain('cookie');
    expect(secretsFromEnv(env).length).toBeGreaterThanOrEqual(3);
  });
});
