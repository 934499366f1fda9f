/**
 * The container's entry point, as the Dockerfile runs it: `node src/cli.ts serve` in a child
 * process, configured by environment variables only, against the fake Slack / fake Discord on
 * loopback. It answers /healthz, and SIGTERM stops it cleanly (exit 0) without logging a secret.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../world/slack-fake.ts';
import { postInteraction, signingKey, startHttpFakeDiscord, type HttpFakeDiscord } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SECRET = 'entry-signing-secret-0123456789';
const TOKEN = 'xoxb-entry-token-0001';

let slack: FakeSlack;
let discord: HttpFakeDiscord;
let dir: string;

beforeAll(async () => {
  slack = await startFakeSlack();
  discord = await startHttpFakeDiscord();
  dir = mkdtempSync(join(tmpdir(), 'posture-entry-'));
});
afterAll(async () => {
  await Promise.all([slack?.close(), discord?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Child {
  proc: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Start `node src/cli.ts serve`; resolves once it logs that it is running. */
async function startServe(env: Record<string, string>): Promise<Child> {
  const proc = spawn(process.execPath, ['src/cli.ts', 'serve'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', POSTURE_NO_SMTP: '1', POSTURE_RESOLVER: '127.0.0.1:9', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('posture serve: running')) resolve();
    });
    proc.stdout!.resume();
    void exited.then((code) => reject(new Error(`posture serve exited (${code}) before running:\n${err}`)));
  });
  return { proc, stderr: () => err, exited };
}

// enabled once src/serve.ts mounts the ops routes and the Discord HTTP mode
const wired = readFileSync(join(ROOT, 'src/serve.ts'), 'utf8').includes('createDiscordHttpBot');

describe('entry point: node src/cli.ts serve', () => {
  it('Slack over HTTP: /healthz on PORT, then SIGTERM exits 0', async () => {
    const port = await freePort();
    const child = await startServe({
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_API_URL: slack.apiUrl,
      PORT: String(port),
      DATABASE_URL: `sqlite:${join(dir, 'slack.db')}`,
    });
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(r.status).toBe(200);
      if (wired) {
        const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
        expect(await ready.json()).toEqual({ status: 'ready', notReady: [], checks: { store: 'ok', slack: 'ok' } });
      }
    } finally {
      child.proc.kill('SIGTERM');
    }
    expect(await child.exited).toBe(0);
    expect(child.stderr()).not.toContain(SECRET);
    expect(child.stderr()).not.toContain(TOKEN);
  });

  it.skipIf(!wired)('Discord over HTTP interactions: /healthz, /readyz and PING on PORT without a gateway, SIGTERM exits 0', async () => {
    const key = signingKey();
    const port = await freePort();
    const child = await startServe({
      DISCORD_TOKEN: discord.token,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_API_URL: discord.apiUrl,
      DISCORD_PUBLIC_KEY: key.publicKeyHex,
      PORT: String(port),
      DATABASE_URL: `sqlite:${join(dir, 'discord.db')}`,
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready' });
      const pong = await postInteraction(`${base}/discord/interactions`, key, { type: 1 });
      expect(pong.json).toEqual({ type: 1 });
      expect(discord.connectedClients).toBe(0); // no gateway connection
    } finally {
      child.proc.kill('SIGTERM');
    }
    expect(await child.exited).toBe(0);
    expect(child.stderr()).not.toContain(discord.token);
  });
});
