/**
 * `posture serve` on PostgreSQL: the store and pg-boss jobs share the database; the chat path
 * (and `digest now`) stays in-process. Runs when POSTURE_TEST_DATABASE_URL is set (CI sets it).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type Running } from '../../src/serve.ts';
import { startWorld, type World } from '../world/index.ts';
import { demoWorldOptions } from '../world/demo.ts';
import { startFakeSlack, sendSlashCommand, type FakeSlack } from '../world/slack-fake.ts';

const url = process.env.POSTURE_TEST_DATABASE_URL;
const SECRET = 'serve-pg-signing-secret-0123456789';
const suffix = randomBytes(4).toString('hex');
const storeSchema = `posture_serve_${suffix}`;
const jobsSchema = `posture_serve_jobs_${suffix}`;

describe.skipIf(!url)(`posture serve on PostgreSQL${url ? '' : ' (set POSTURE_TEST_DATABASE_URL to run)'}`, () => {
  let world: World;
  let slack: FakeSlack;
  let running: Running;

  beforeAll(async () => {
    world = await startWorld(demoWorldOptions());
    slack = await startFakeSlack();
    // the store lives in a schema of this test's own, selected through the URL's search_path
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${storeSchema}`);
    await admin.end();
    const u = new URL(url!);
    u.searchParams.set('options', `-c search_path=${storeSchema}`);
    running = await startServer({
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: 'xoxb-serve-pg-0001',
      SLACK_API_URL: slack.apiUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: u.toString(),
      POSTURE_JOBS_SCHEMA: jobsSchema,
      POSTURE_RESOLVER: world.resolver,
      POSTURE_CONNECT_TO: world.connectTo.join(' '),
      POSTURE_NO_SMTP: '1',
    }, () => undefined);
  }, 60_000);

  afterAll(async () => {
    await running?.stop();
    await Promise.all([world?.stop(), slack?.close()]);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${storeSchema} CASCADE`);
    await c.query(`DROP SCHEMA IF EXISTS ${jobsSchema} CASCADE`);
    await c.end();
  }, 60_000);

  it('runs digests on pg-boss jobs and still answers digest now in-process', async () => {
    expect(running.store.kind).toBe('postgres');
    expect(running.digests).toBe('jobs');
    const endpoint = `http://127.0.0.1:${running.slackPort}/slack/events`;
    await sendSlashCommand(endpoint, SECRET, { text: 'watch acme.test', response_url: slack.responseUrl('w') });
    await slack.waitFor(() => slack.responsesTo('w')[0]);
    await sendSlashCommand(endpoint, SECRET, { text: 'digest now', response_url: slack.responseUrl('d') });
    const post = await slack.waitFor(() => slack.callsTo('chat.postMessage')[0]);
    expect(String(post.args.text)).toMatch(/acme\.test/);
  });
});
