/**
 * "On the same server": with Slack over HTTP, the ops routes ride on Bolt's own HTTPReceiver as
 * `customRoutes`, so /healthz, /readyz and /discord/interactions share PORT with /slack/events.
 * This mounts them on a real Bolt 5 App (no Slack calls: token verification off).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, LogLevel, type Logger } from '@slack/bolt';
import { createOps } from '../../src/http/ops.ts';
import { postInteraction, signingKey } from './helpers.ts';
import { createDiscordHttpInteractions } from '../../adapters/discord/http.ts';
import type { Bot } from '../../src/bot/service.ts';
import type { Store } from '../../src/store/types.ts';

const quiet: Logger = {
  debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined,
  setLevel: () => undefined, getLevel: () => LogLevel.ERROR, setName: () => undefined,
};

let app: App;
let base: string;
const key = signingKey();

beforeAll(async () => {
  const ops = createOps();
  ops.addProbe('store', () => true);
  ops.addProbe('slack', () => true);
  const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not expected')) });
  const discord = createDiscordHttpInteractions({
    publicKey: key.publicKeyHex,
    applicationId: '1234567890123456789',
    apiUrl: 'http://127.0.0.1:9/api',
    bot: unused as Bot,
    store: unused as Store,
  });
  ops.setDiscordInteractions(discord.handle);
  app = new App({
    signingSecret: 'bolt-mount-signing-secret',
    token: 'xoxb-bolt-mount',
    tokenVerificationEnabled: false,
    deferInitialization: true,
    logger: quiet,
    customRoutes: ops.routes(),
  });
  await app.init();
  const server = (await app.start({ port: 0, host: '127.0.0.1' })) as unknown as { address(): { port: number } };
  base = `http://127.0.0.1:${server.address().port}`;
});

afterAll(async () => {
  await app?.stop();
});

describe('ops routes on Bolt\'s HTTP receiver', () => {
  it('serves /healthz and /readyz next to /slack/events', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.headers.get('x-request-id')).toBeTruthy();
    // Bolt still owns /slack/events (an unsigned request is refused)
    expect((await fetch(`${base}/slack/events`, { method: 'POST', body: '{}' })).status).toBe(401);
  });

  it('reads the raw body itself for /discord/interactions: PING → PONG, a bad signature → 401', async () => {
    const ping = await postInteraction(`${base}/discord/interactions`, key, { type: 1 });
    expect(ping.status).toBe(200);
    expect(ping.json).toEqual({ type: 1 });
    const bad = await postInteraction(`${base}/discord/interactions`, signingKey(), { type: 1 });
    expect(bad.status).toBe(401);
  });
});
