/**
 * The gateway handshake details and failure paths, with a stub bot service (no checker).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFakeDiscord, type FakeCall, type FakeDiscord } from '../world/discord-fake.ts';
import { createDiscordBot, type DiscordBot } from '../../adapters/discord/index.ts';
import type { Bot, Reply } from '../../src/bot/service.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';

let fake: FakeDiscord | undefined;
let discord: DiscordBot | undefined;
let store: Store | undefined;

afterEach(async () => {
  await discord?.stop().catch(() => undefined);
  await store?.close();
  await fake?.close();
  fake = discord = store = undefined;
});

function stubBot(handle: () => Promise<Reply>): Bot {
  return { handle, handleText: handle, card: handle, plan: handle };
}

async function boot(bot: Bot, options: { heartbeatIntervalMs?: number; token?: string } = {}): Promise<void> {
  fake = await startFakeDiscord(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {});
  store = await openStore('sqlite::memory:');
  discord = createDiscordBot({ token: options.token ?? fake.token, applicationId: fake.applicationId, apiUrl: fake.apiUrl }, { bot, store });
  await discord.start();
}

describe('discord gateway', () => {
  it('heartbeats are acknowledged (op 1 → op 11) and the connection stays up', async () => {
    await boot(stubBot(async () => ({ kind: 'help', visibility: 'ephemeral', lines: [] })), { heartbeatIntervalMs: 40 });
    await vi.waitFor(() => expect(fake!.gatewayReceived.filter((f) => f.op === 1).length).toBeGreaterThanOrEqual(2), { timeout: 5000 });
    expect(discord!.client.ws.ping).toBeGreaterThanOrEqual(0);
    expect(discord!.client.isReady()).toBe(true);
  });

  it('a wrong token fails start() with a clear message that does not contain the token', async () => {
    fake = await startFakeDiscord();
    store = await openStore('sqlite::memory:');
    const bad = 'wrong.token.value';
    discord = createDiscordBot({ token: bad, applicationId: fake.applicationId, apiUrl: fake.apiUrl }, { bot: stubBot(async () => ({ kind: 'help', visibility: 'ephemeral', lines: [] })), store });
    const err = await discord.start().catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/DISCORD_TOKEN/);
    expect((err as Error).message).not.toContain(bad);
  });

  it('a failure inside the bot becomes an ephemeral error, never "interaction failed" or a double answer', async () => {
    await boot(stubBot(async () => {
      throw new Error('boom');
    }));
    const i = fake!.chatInput('check', { domain: 'example.com' });
    const answer = await Promise.race([
      fake!.waitForCall((c: FakeCall) => c.method === 'POST' && c.path === `/webhooks/${fake!.applicationId}/${i.token}`),
      fake!.waitForCall((c: FakeCall) => c.method === 'PATCH' && c.path.endsWith(`/${i.token}/messages/@original`)),
    ]);
    expect(answer.body.content).toMatch(/Something went wrong/);
    const calls = fake!.callsFor(i);
    expect(calls[0]!.body.type).toBe(5); // deferred first
    expect(calls.filter((c) => c.path.endsWith('/callback'))).toHaveLength(1);
    expect(calls.every((c) => c.status < 400)).toBe(true);
    if (answer.method === 'POST') expect(answer.body.flags & 64).toBe(64);
  });
});
