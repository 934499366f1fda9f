/**
 * Per-MX-address probe pacing across runs: a watch list (or many channels) cannot make Posture
 * connect to one port-25 address again and again. Counts only; the clock is injected.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunResources } from '../../src/checker/check.ts';
import { createProbePacer, processProbePacer, type StartTlsProbeOptions } from '../../src/checker/net/smtp-probe.ts';
import { TestCa, type IssuedCert } from '../world/tls/ca.ts';
import { startSmtpWorld, type SmtpWorld } from '../world/smtp-server.ts';

let ca: TestCa;
let cert: IssuedCert;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  ca = await TestCa.create();
  cert = await ca.issue(['mx.shared.test', 'mx2.shared.test', 'mx3.shared.test', 'mx4.shared.test', 'mx5.shared.test']);
});
afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
});

async function smtp(): Promise<SmtpWorld> {
  const w = await startSmtpWorld({ defaultCert: cert });
  closers.push(() => w.close());
  return w;
}

/** A port-25 stand-in that accepts and stays silent, counting sockets open at once. */
async function silent(): Promise<{ port: number; accepted: number; maxOpen: number }> {
  const state = { port: 0, accepted: 0, maxOpen: 0 };
  let open = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    state.accepted++;
    open++;
    state.maxOpen = Math.max(state.maxOpen, open);
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => {
      open--;
      sockets.delete(s);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.port = (server.address() as net.AddressInfo).port;
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return state;
}

function opts(port: number, extra: Partial<StartTlsProbeOptions> = {}): StartTlsProbeOptions {
  return {
    host: 'mx.shared.test',
    address: '127.0.0.1',
    port,
    allowPrivateNetworks: true,
    ca: ca.certPem,
    heloName: 'posture.test',
    timeouts: { connectMs: 2000, bannerMs: 2000, commandMs: 2000, tlsMs: 2000 },
    ...extra,
  };
}

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('probe pacing across runs', () => {
  it('two runs (two createRunResources) probing one MX within the interval: one accepted socket', async () => {
    const w = await smtp();
    const c = clock();
    const pacer = createProbePacer({ intervalMs: 60_000, now: c.now });
    const run1 = createRunResources({ pacer });
    const r1 = await run1.probes.probe(opts(w.port));
    c.t += 59_000;
    const run2 = createRunResources({ pacer });
    const r2 = await run2.probes.probe(opts(w.port));
    expect(r1.state).toBe('ok');
    expect(r2).toBe(r1);
    expect(w.acceptedSockets).toBe(1);
    expect(pacer.connects).toBe(1);
  });

  it('after the interval: a second socket', async () => {
    const w = await smtp();
    const c = clock();
    const pacer = createProbePacer({ intervalMs: 60_000, now: c.now });
    await createRunResources({ pacer }).probes.probe(opts(w.port));
    c.t += 60_001;
    const r = await createRunResources({ pacer }).probes.probe(opts(w.port));
    expect(r.state).toBe('ok');
    expect(w.acceptedSockets).toBe(2);
  });

  it('the default createRunResources() shares the process-wide pacer (each digest run makes its own resources)', async () => {
    const w = await smtp();
    const before = processProbePacer.connects;
    const results = [];
    for (let run = 0; run < 5; run++) results.push(await createRunResources().probes.probe(opts(w.port)));
    expect(w.acceptedSockets).toBe(1);
    expect(processProbePacer.connects - before).toBe(1);
    expect(results.every((r) => r.state === 'ok')).toBe(true);
  });

  it('concurrent runs on one address: one probe at a time, and one socket for the same MX name', async () => {
    const w = await smtp();
    const pacer = createProbePacer();
    const results = await Promise.all(Array.from({ length: 20 }, () => createRunResources({ pacer }).probes.probe(opts(w.port))));
    expect(w.acceptedSockets).toBe(1);
    expect(new Set(results).size).toBe(1);
  });

  it('many MX names on one address: serialized (one at a time) and capped per interval', async () => {
    const s = await silent();
    const pacer = createProbePacer({ maxPerDestination: 3 });
    const hosts = ['mx.shared.test', 'mx2.shared.test', 'mx3.shared.test', 'mx4.shared.test', 'mx5.shared.test'];
    const fast = { connectMs: 2000, bannerMs: 100, commandMs: 100, tlsMs: 100 };
    const all = Promise.all(hosts.map((host) => createRunResources({ pacer }).probes.probe(opts(s.port, { host, timeouts: fast }))));
    await new Promise((r) => setImmediate(r));
    // one runs, four wait for the address
    expect(pacer.waiting).toBe(4);
    const results = await all;
    expect(s.accepted).toBe(3);
    const paced = results.filter((r) => r.state === 'unreachable' && r.code === 'PACED');
    expect(paced).toHaveLength(2);
    // "could not be tested", never "no TLS"
    expect(results.every((r) => r.state === 'unreachable')).toBe(true);
  });

  it('bounds probes in flight process-wide', async () => {
    const servers = await Promise.all(Array.from({ length: 6 }, () => silent()));
    const pacer = createProbePacer({ maxConcurrent: 2 });
    let maxWaiting = 0;
    const fast = { connectMs: 2000, bannerMs: 100, commandMs: 100, tlsMs: 100 };
    const all = Promise.all(servers.map((s) => pacer.probe(opts(s.port, { timeouts: fast }))));
    // six asked at once, two may run: four wait
    await new Promise((r) => setImmediate(r));
    maxWaiting = pacer.waiting;
    await all;
    expect(maxWaiting).toBe(4);
    expect(servers.every((s) => s.accepted === 1)).toBe(true);
    expect(pacer.connects).toBe(6);
  });

  it('a caller whose budget runs out stops waiting without cancelling the probe in progress', async () => {
    const s = await silent();
    const pacer = createProbePacer();
    const fast = { connectMs: 2000, bannerMs: 200, commandMs: 100, tlsMs: 100 };
    const first = pacer.probe(opts(s.port, { timeouts: fast }));
    const controller = new AbortController();
    const second = pacer.probe(opts(s.port, { host: 'mx2.shared.test', timeouts: fast, signal: controller.signal }));
    controller.abort(new Error('budget'));
    await expect(second).rejects.toThrow('budget');
    expect((await first).state).toBe('unreachable');
    expect(s.accepted).toBe(1);
  });

  it('policy-refused addresses open nothing and cost no pacing budget', async () => {
    const pacer = createProbePacer({ maxPerDestination: 1 });
    const r = await pacer.probe(opts(25, { address: '10.0.0.1', allowPrivateNetworks: false }));
    expect(r.state).toBe('policy_refused');
    expect(pacer.connects).toBe(0);
  });
});
