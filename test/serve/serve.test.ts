/**
 * `posture serve` end to end: configured only by environment variables, as a deployment is,
 * with the fixture world (DNS, HTTPS, SMTP), the fake Slack and the fake Discord on loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type Running } from '../../src/serve.ts';
import { main } from '../../src/cli.ts';
import { startWorld, type World } from '../world/index.ts';
import { demoWorldOptions } from '../world/demo.ts';
import { startFakeSlack, sendSlashCommand, type FakeSlack } from '../world/slack-fake.ts';
import { startFakeDiscord, type FakeDiscord } from '../world/discord-fake.ts';
import type { Log } from '../../src/log.ts';

const SECRET = 'serve-signing-secret-0123456789';
const TOKEN = 'xoxb-serve-token-0001';

let world: World;
let slack: FakeSlack;
let discord: FakeDiscord;
let running: Running;
let dir: string;
const logs: string[] = [];
const log: Log = (level, msg, fields) => logs.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);

function env(): NodeJS.ProcessEnv {
  return {
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    DISCORD_TOKEN: discord.token,
    DISCORD_APPLICATION_ID: discord.applicationId,
    DISCORD_API_URL: discord.apiUrl,
    DATABASE_URL: `sqlite:${join(dir, 'posture.db')}`,
    POSTURE_RESOLVER: world.resolver,
    POSTURE_CONNECT_TO: world.connectTo.join(' '),
    POSTURE_NO_SMTP: '1',
  };
}

beforeAll(async () => {
  world = await startWorld(demoWorldOptions());
  slack = await startFakeSlack();
  discord = await startFakeDiscord();
  dir = mkdtempSync(join(tmpdir(), 'posture-serve-'));
  running = await startServer(env(), log);
});
afterAll(async () => {
  await running?.stop();
  await Promise.all([world?.stop(), slack?.close(), discord?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('posture serve', () => {
  it('starts every configured platform, and logs no secret', () => {
    expect(running.platforms).toEqual(['slack', 'discord']);
    expect(running.slackPort).toBeGreaterThan(0);
    const all = logs.join('\n');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(discord.token);
  });

  it('answers /posture in Slack with a card through response_url', async () => {
    const endpoint = `http://127.0.0.1:${running.slackPort}/slack/events`;
    const responseUrl = slack.responseUrl('serve-check');
    const res = await sendSlashCommand(endpoint, SECRET, { text: 'acme.test', response_url: responseUrl });
    expect(res.status).toBe(200);
    const card = await slack.waitFor(() => slack.responsesTo('serve-check').find((r) => /grade [A-F]/.test(String(r.body.text ?? ''))));
    expect(card.body.response_type).toBe('in_channel');
    expect(String(card.body.text)).toMatch(/acme\.test: grade [A-F]/);
  });

  it('answers /posture check in Discord with an edited-in card', async () => {
    await discord.waitForReady();
    const i = discord.chatInput('check', { domain: 'parked.test' });
    const edit = await discord.waitForCall((c) => c.method === 'PATCH' && c.path.endsWith(`/${i.token}/messages/@original`));
    expect(edit.body.embeds[0].title).toMatch(/^parked\.test: grade [A-F]/);
  });

  it('watch then digest now posts the digest with chat.postMessage', async () => {
    const endpoint = `http://127.0.0.1:${running.slackPort}/slack/events`;
    await sendSlashCommand(endpoint, SECRET, { text: 'watch acme.test legacy.test', response_url: slack.responseUrl('w') });
    await slack.waitFor(() => slack.responsesTo('w')[0]);
    await sendSlashCommand(endpoint, SECRET, { text: 'digest now', response_url: slack.responseUrl('d') });
    const post = await slack.waitFor(() => slack.callsTo('chat.postMessage')[0]);
    expect(String(post.args.text)).toMatch(/grade [A-F]/);
    expect(JSON.stringify(post.args)).toMatch(/legacy\.test/);
  });
});

describe('posture serve: configuration', () => {
  it('exits 2 with one clear line when no chat platform is configured', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['serve'], {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s) },
      readStdin: async () => '',
      env: { DATABASE_URL: 'sqlite::memory:' },
    });
    expect(code).toBe(2);
    expect(out.join('')).toBe('');
    expect(err.join('')).toMatch(/no chat platform is configured: set SLACK_SIGNING_SECRET/);
  });

  it('names a bad variable without printing its value', async () => {
    const err: string[] = [];
    const code = await main(['serve'], {
      stdout: { write: () => undefined },
      stderr: { write: (s: string) => err.push(s) },
      readStdin: async () => '',
      env: { SLACK_SIGNING_SECRET: 'abcdefghijkl', SLACK_BOT_TOKEN: 'not-a-bot-token-value' },
    });
    expect(code).toBe(2);
    expect(err.join('')).toMatch(/SLACK_BOT_TOKEN/);
    expect(err.join('')).not.toContain('not-a-bot-token-value');
  });
});
