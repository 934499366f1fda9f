/**
 * A full `posture serve` run with Slack and Discord configured: /posture, explain, watch, digest
 * now, and error paths (a badly signed request, a revoked token on delivery, a bad domain). Then
 * everything it produced — log lines, stdout/stderr, every Web API / response_url / Discord REST
 * body the fakes recorded, the reports in the store and the store file itself — is searched for
 * each configured secret value. (DISCORD_PUBLIC_KEY is public; it is not configured here.)
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type Running } from '../../src/serve.ts';
import { startWorld, type World } from '../world/index.ts';
import { demoWorldOptions } from '../world/demo.ts';
import { sendSlashCommand, startFakeSlack, type FakeSlack } from '../world/slack-fake.ts';
import { startFakeDiscord, type FakeDiscord } from '../world/discord-fake.ts';
import type { Log } from '../../src/log.ts';

const SIGNING_SECRET = 'hardening2-signing-secret-7f3a9c';
const BOT_TOKEN = 'xoxb-hardening2-bot-token-51e0';
/** a password-like value inside DATABASE_URL (SQLite has no password: it rides in the path) */
const DB_PASSWORD = 'db-Pa55w0rd-hardening2-q9';

let world: World;
let slack: FakeSlack;
let discord: FakeDiscord;
let running: Running;
let dir: string;
const logs: string[] = [];
const log: Log = (level, msg, fields) => logs.push(`${level} ${msg} ${safeJson(fields ?? {})}`);
const out: string[] = [];
const restore: Array<() => void> = [];

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (x instanceof Error ? { message: x.message, stack: x.stack } : typeof x === 'bigint' ? String(x) : x));
  } catch {
    return String(v);
  }
}

function capture(stream: NodeJS.WriteStream): void {
  const original = stream.write.bind(stream);
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    out.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof stream.write;
  restore.push(() => {
    stream.write = original as typeof stream.write;
  });
}

function withoutCredential(args: Record<string, unknown>): Record<string, unknown> {
  const { token: _credential, ...rest } = args;
  return rest;
}

function secrets(): Record<string, string> {
  return { SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_BOT_TOKEN: BOT_TOKEN, DISCORD_TOKEN: discord.token, 'DATABASE_URL password': DB_PASSWORD };
}

beforeAll(async () => {
  capture(process.stdout);
  capture(process.stderr);
  world = await startWorld(demoWorldOptions());
  slack = await startFakeSlack();
  discord = await startFakeDiscord();
  dir = mkdtempSync(join(tmpdir(), 'posture-secrets-'));
  mkdirSync(join(dir, DB_PASSWORD));
  running = await startServer(
    {
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: slack.apiUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      DISCORD_TOKEN: discord.token,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_API_URL: discord.apiUrl,
      DATABASE_URL: `sqlite:${join(dir, DB_PASSWORD, 'posture.db')}`,
      POSTURE_RESOLVER: world.resolver,
      POSTURE_CONNECT_TO: world.connectTo.join(' '),
      POSTURE_NO_SMTP: '1',
    },
    log,
  );
});

afterAll(async () => {
  await running?.stop();
  await Promise.all([world?.stop(), slack?.close(), discord?.close()]);
  for (const r of restore) r();
  rmSync(dir, { recursive: true, force: true });
});

describe('secrets never leave: a full serve run', () => {
  it('drives every path, then finds no configured secret in anything it produced', async () => {
    const endpoint = `http://127.0.0.1:${running.slackPort}/slack/events`;
    const ask = async (text: string, id: string) => {
      const r = await sendSlashCommand(endpoint, SIGNING_SECRET, { text, response_url: slack.responseUrl(id) });
      expect(r.status).toBe(200);
      return slack.waitFor(() => slack.responsesTo(id).find((x) => !String(x.body['text'] ?? '').startsWith('Checking')));
    };

    await ask('acme.test', 'check');
    await ask('explain acme.test', 'explain');
    await ask('watch acme.test legacy.test', 'watch');
    await ask('not a domain!!', 'bad-domain');

    // digest now, and an error path: the token is revoked when the digest is delivered
    slack.failNext('chat.postMessage', { error: 'token_revoked' });
    const digest = await ask('digest now', 'digest-1');
    await slack.waitFor(() => slack.callsTo('chat.postMessage')[0]);

    // a badly signed request (refused, logged by reason)
    const bad = await sendSlashCommand(endpoint, 'not-the-secret-at-all', { text: 'acme.test', response_url: slack.responseUrl('bad-sig') });
    expect(bad.status).toBe(401);

    // Discord too
    await discord.waitForReady();
    const i = discord.chatInput('check', { domain: 'parked.test' });
    await discord.waitForCall((c) => c.method === 'PATCH' && c.path.endsWith(`/${i.token}/messages/@original`));

    // what the run produced
    const reports = await Promise.all(['acme.test', 'legacy.test', 'parked.test'].map((d) => running.store.latestReport(d)));
    expect(reports.filter(Boolean).length).toBeGreaterThan(0);
    const channels = await running.store.watchList({ platform: 'slack', workspaceId: 'T0POSTURE', channelId: 'C0GENERAL' });
    expect(channels.length).toBe(2);
    const installations = await running.store.listInstallations({ includeRevoked: true });

    await running.stop();
    const storeFiles = readdirSync(join(dir, DB_PASSWORD)).map((f) => readFileSync(join(dir, DB_PASSWORD, f)).toString('latin1'));

    const produced: Record<string, string> = {
      logs: logs.join('\n'),
      'stdout/stderr': out.join(''),
      // the `token` argument is the credential itself, sent to Slack (a form body may carry it
      // instead of the Authorization header); everything else in a call is content
      'Slack Web API calls': safeJson(slack.calls.map((c) => ({ method: c.method, args: withoutCredential(c.args) }))),
      'Slack response_url posts': safeJson(slack.responses),
      'Discord REST bodies': safeJson(discord.calls.map((c) => ({ method: c.method, path: c.path, body: (c as { body?: unknown }).body }))),
      'stored reports': safeJson(reports),
      'stored installations': safeJson(installations),
      'store files': storeFiles.join('\n'),
    };
    // the run really produced all of this
    expect(produced['logs']!.length).toBeGreaterThan(0);
    expect(slack.responses.length).toBeGreaterThanOrEqual(5);
    // the error paths were taken and logged (the Slack adapter logs to stdout, `posture serve` to `log`)
    const logged = `${produced['logs']}\n${produced['stdout/stderr']}`;
    expect(logged).toMatch(/Slack request refused \(401\): bad signature/);
    expect(`${logged}\n${safeJson(digest)}`).toMatch(/token_revoked|revoked/);

    const leaks: string[] = [];
    for (const [where, text] of Object.entries(produced)) {
      for (const [name, value] of Object.entries(secrets())) {
        if (text.includes(value)) leaks.push(`${name} in ${where}`);
      }
    }
    expect(leaks).toEqual([]);
  });
});
