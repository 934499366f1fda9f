/**
 * One Posture job instance for the multi-process test (`two-instances.test.ts` spawns two):
 * `startJobs` on the shared PostgreSQL store and pg-boss schema, checking the fixture world's
 * domains through its DNS server, delivering to the test's HTTP recorder on 127.0.0.1.
 *
 * Environment:
 * - POSTURE_TEST_DATABASE_URL, POSTURE_STORE_SCHEMA, POSTURE_BOSS_SCHEMA
 * - POSTURE_RESOLVER ("127.0.0.1:port"), POSTURE_CONNECT_TO (JSON array)
 * - POSTURE_RECORDER (http://127.0.0.1:port), POSTURE_INSTANCE (a name)
 *
 * Writes one JSON line per event on stdout ({"type":"ready"} first); stops on SIGTERM.
 */
import { installLoopbackGuard } from '../world/loopback-guard.ts';
import { startJobs } from '../../src/jobs/engine.ts';
import { PostgresStore } from '../../src/store/postgres.ts';
import { DeliveryError, type DeliveryPort } from '../../src/digest/delivery.ts';
import type { ChannelRef } from '../../src/store/types.ts';

installLoopbackGuard();

const env = process.env;
const need = (name: string): string => {
  const v = env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const url = need('POSTURE_TEST_DATABASE_URL');
const recorder = need('POSTURE_RECORDER');
const instance = need('POSTURE_INSTANCE');

const out = (event: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ instance, pid: process.pid, ...event })}\n`);
};

async function call(path: string, body: unknown): Promise<Response> {
  return fetch(`${recorder}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** The "chat platform": the recorder in the test process, shared by both instances and durable across their deaths. */
const port: DeliveryPort = {
  platform: 'slack',
  async deliver(channel, digest, options) {
    const res = await call('/deliver', { instance, channel, periodKey: digest.periodKey, idempotencyKey: options.idempotencyKey, kind: options.kind });
    if (!res.ok) throw new DeliveryError({ permanent: false, reason: `recorder said ${res.status}` });
    const body = (await res.json()) as { messageId: string };
    return { messageId: body.messageId };
  },
  async findDelivered(channel: ChannelRef, idempotencyKey: string) {
    const res = await call('/find', { instance, channel, idempotencyKey });
    if (!res.ok) throw new Error(`recorder said ${res.status}`);
    return ((await res.json()) as { messageId: string | null }).messageId;
  },
};

const store = await PostgresStore.open(url, { schema: need('POSTURE_STORE_SCHEMA'), maxConnections: 6 });
const engine = await startJobs({
  store,
  connectionString: url,
  schema: need('POSTURE_BOSS_SCHEMA'),
  ports: { slack: port },
  checker: {
    resolver: { servers: [need('POSTURE_RESOLVER')], timeoutMs: 5000, tries: 2 },
    options: { smtp: false, connectTo: JSON.parse(env['POSTURE_CONNECT_TO'] ?? '[]') as string[] },
  },
  concurrency: 4,
  digestConcurrency: 2,
  workspaceConcurrency: 2,
  channelIntervalMs: 50,
  workspaceIntervalMs: 20,
  // a SIGKILLed instance's jobs are retried after the shortest heartbeat pg-boss allows
  jobs: { heartbeatSeconds: 10, expireInSeconds: 120, retryDelaySeconds: 1, pollingIntervalSeconds: 0.5 },
  boss: { superviseIntervalSeconds: 1, monitorIntervalSeconds: 1, max: 6 },
  log: (level, message, fields) => {
    if (level === 'warn' || level === 'error') out({ type: 'log', level, message, ...fields });
  },
  onEvent: (e) => {
    switch (e.type) {
      case 'digest-start':
        out({ type: e.type, key: e.key, retryCount: e.retryCount });
        break;
      case 'digest-done':
        out({ type: e.type, key: e.key, status: e.outcome.status, reason: e.outcome.reason, resumed: e.resumed });
        break;
      case 'tick':
        out({ type: e.type, enqueued: e.report.enqueued.length, planned: e.report.planned });
        break;
      case 'deliver-done':
        out({ type: e.type, deliveryId: e.deliveryId, result: e.result });
        break;
      case 'error':
        out({ type: 'job-error', queue: e.queue, error: e.error });
        break;
      default:
        break;
    }
  },
});
out({ type: 'ready' });

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    try {
      await engine.stop({ timeoutMs: 5000 });
      await store.close();
    } finally {
      process.exit(0);
    }
  })();
});
