/**
 * The ops server: liveness, readiness (store reachable, adapters connected), request ids,
 * draining on shutdown and a graceful close that lets a request in progress finish.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { createOps, storeProbe, type Ops } from '../../src/http/ops.ts';
import { portFromEnv, startOpsServer, type OpsServer } from '../../src/http/server.ts';
import type { Log } from '../../src/log.ts';
import { gateFor } from './helpers.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

interface Lines {
  log: Log;
  entries: { level: string; msg: string; fields: Record<string, unknown> }[];
}

function capture(): Lines {
  const entries: Lines['entries'] = [];
  return { entries, log: (level, msg, fields = {}) => entries.push({ level, msg, fields }) };
}

async function serve(ops: Ops, log?: Log): Promise<OpsServer> {
  const s = await startOpsServer({ ops, port: 0, host: '127.0.0.1', ...(log ? { log } : {}) });
  cleanup.push(() => s.close(0));
  return s;
}

async function sqlite(): Promise<Store> {
  const store = await openStore('sqlite::memory:');
  cleanup.push(() => store.close().catch(() => undefined));
  return store;
}

describe('ops: /healthz and /readyz', () => {
  it('healthz answers 200 while the process runs; HEAD too', async () => {
    const s = await serve(createOps());
    const r = await fetch(`${s.url}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${s.url}/healthz`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${s.url}/healthz`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${s.url}/nope`)).status).toBe(404);
  });

  it('readyz is 200 when the store answers and every adapter is connected', async () => {
    const ops = createOps();
    ops.addProbe('store', storeProbe(await sqlite()));
    ops.addProbe('slack', () => true);
    ops.addProbe('discord', () => true);
    const s = await serve(ops);
    const r = await fetch(`${s.url}/readyz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ready', notReady: [], checks: { store: 'ok', slack: 'ok', discord: 'ok' } });
  });

  it('readyz is 503 naming the store when it is down; healthz stays 200', async () => {
    const store = await openStore('sqlite::memory:');
    const ops = createOps();
    ops.addProbe('store', storeProbe(store));
    const s = await serve(ops);
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    await store.close();
    const r = await fetch(`${s.url}/readyz`);
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({ status: 'not ready', notReady: ['store'], checks: { store: 'unreachable' } });
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it('readyz names an adapter that is not connected, and a probe that hangs', async () => {
    const ops = createOps({ probeTimeoutMs: 20 });
    let connected = false;
    ops.addProbe('store', () => true);
    ops.addProbe('discord', () => connected || 'gateway not connected');
    ops.addProbe('slack', () => new Promise<boolean>(() => undefined));
    const s = await serve(ops);
    const r = await fetch(`${s.url}/readyz`);
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({
      status: 'not ready',
      notReady: ['discord', 'slack'],
      checks: { store: 'ok', discord: 'gateway not connected', slack: 'timed out' },
    });
    connected = true;
    ops.addProbe('slack', () => true);
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
  });

  it('draining (SIGTERM): readyz turns 503 so the load balancer stops sending; healthz stays 200', async () => {
    const ops = createOps();
    ops.addProbe('store', () => true);
    const s = await serve(ops);
    ops.drain();
    expect(ops.draining).toBe(true);
    const r = await fetch(`${s.url}/readyz`);
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ status: 'draining', notReady: ['shutting down'] });
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it('mounts as Bolt-style custom routes', () => {
    const routes = createOps().routes();
    expect(routes.map((r) => [r.path, r.method])).toEqual([
      ['/healthz', ['GET', 'HEAD']],
      ['/readyz', ['GET', 'HEAD']],
      ['/discord/interactions', ['POST']],
    ]);
    for (const r of routes) expect(typeof r.handler).toBe('function');
  });

  it('the Discord path answers 404 until HTTP interactions are enabled', async () => {
    const s = await serve(createOps());
    const r = await fetch(`${s.url}/discord/interactions`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(404);
  });
});

describe('ops: request ids and the access log', () => {
  it('echoes a sane x-request-id, replaces an insane one, and logs method, path, status, duration', async () => {
    const lines = capture();
    const s = await serve(createOps({ log: lines.log }), lines.log);
    const a = await fetch(`${s.url}/healthz?token=abc`, { headers: { 'x-request-id': 'lb-1234.abcd' } });
    expect(a.headers.get('x-request-id')).toBe('lb-1234.abcd');
    const b = await fetch(`${s.url}/healthz`, { headers: { 'x-request-id': 'no spaces <script> please' } });
    const bid = b.headers.get('x-request-id')!;
    expect(bid).toMatch(/^[0-9a-f-]{36}$/);
    const c = await fetch(`${s.url}/healthz`);
    expect(c.headers.get('x-request-id')).not.toBe(bid);
    await fetch(`${s.url}/missing`);

    const access = lines.entries.filter((e) => e.msg === 'http request');
    expect(access.map((e) => [e.fields['reqId'] === 'lb-1234.abcd' || typeof e.fields['reqId'] === 'string', e.fields['method'], e.fields['path'], e.fields['status']])).toEqual([
      [true, 'GET', '/healthz', 200],
      [true, 'GET', '/healthz', 200],
      [true, 'GET', '/healthz', 200],
      [true, 'GET', '/missing', 404],
    ]);
    expect(access[0]!.fields['reqId']).toBe('lb-1234.abcd');
    expect(access[1]!.fields['reqId']).toBe(bid);
    for (const e of access) expect(typeof e.fields['durationMs']).toBe('number');
    // never the query string, never headers
    expect(JSON.stringify(lines.entries)).not.toContain('token=abc');
  });
});

describe('ops: graceful close', () => {
  it('stops accepting, lets the request in progress finish, then closes', async () => {
    const ops = createOps();
    const g = gateFor();
    ops.setDiscordInteractions(async (_req, res) => {
      await g.wait();
      res.end('done');
    });
    const s = await startOpsServer({ ops, port: 0, host: '127.0.0.1' });
    const inFlight = fetch(`${s.url}/discord/interactions`, { method: 'POST', body: '{}' });
    await g.gate.reached;
    let closed = false;
    const closing = s.close(60_000).then(() => {
      closed = true;
    });
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
    expect(closed).toBe(false);
    g.gate.open();
    const r = await inFlight;
    expect(await r.text()).toBe('done');
    await closing;
    expect(closed).toBe(true);
  });

  it('reads PORT (default 3000) and refuses a bad one', () => {
    expect(portFromEnv({})).toBe(3000);
    expect(portFromEnv({ PORT: '8080' })).toBe(8080);
    expect(() => portFromEnv({ PORT: 'eighty' })).toThrow(/PORT must be/);
  });
});
