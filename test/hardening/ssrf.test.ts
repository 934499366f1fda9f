/**
 * SSRF: every outbound connection (HTTPS for the MTA-STS policy and the BIMI logo, SMTP to an MX
 * host) passes the address policy. A matrix of DNS answers pointing at internal ranges; each
 * address is routed by --connect-to to a counting loopback server, so a policy bug shows up as an
 * accepted socket (and the loopback guard catches anything that would leave the machine). Then
 * DNS rebinding: the connection goes to the address that was checked, never the rebound one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResolver } from '../../src/checker/dns/index.ts';
import { checkDomain } from '../../src/checker/index.ts';
import { reportSchema } from '../../src/checker/report-schema.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';
import { startWorld, type World } from '../world/index.ts';
import { startHostileDns, type HostileDns } from '../world/hostile/dns.ts';
import { startCountingServer, type CountingServer } from '../world/hostile/servers.ts';

const INTERNAL = [
  '127.0.0.1', '127.8.9.10', '10.0.0.1', '172.16.0.1', '172.31.255.254', '192.168.1.1', '169.254.169.254', '100.64.0.1',
  '::1', 'fc00::1', 'fd12:3456::1', 'fe80::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1', '0.0.0.0', '::',
];
const D = 'ssrf.test';

let counter: CountingServer;
beforeAll(async () => {
  counter = await startCountingServer();
});
afterAll(async () => {
  await counter?.close();
});

function fixtureFor(address: string): MemoryResolver {
  const rr = address.includes(':') ? { AAAA: [address] } : { A: [address] };
  return new MemoryResolver({
    names: {
      [D]: { MX: [[10, `mx.${D}`]], TXT: ['v=spf1 mx -all'] },
      [`mx.${D}`]: rr,
      [`_dmarc.${D}`]: { TXT: ['v=DMARC1; p=reject'] },
      [`_mta-sts.${D}`]: { TXT: ['v=STSv1; id=1'] },
      [`mta-sts.${D}`]: rr,
      [`default._bimi.${D}`]: { TXT: [`v=BIMI1; l=https://logo.${D}/l.svg; a=https://logo.${D}/vmc.pem`] },
      [`logo.${D}`]: rr,
    },
  });
}

function routes(address: string, port: number): string[] {
  const host = address.includes(':') ? `[${address}]` : address;
  return [`${host}:443:127.0.0.1:${port}`, `${host}:25:127.0.0.1:${port}`];
}

async function run(address: string, allowPrivateNetworks: boolean) {
  return checkDomain(D, D, {
    resolver: fixtureFor(address),
    options: { timeoutMs: 3000, smtp: true, allowPrivateNetworks, connectTo: routes(address, counter.port), heloName: 'posture.test' },
  });
}

describe('SSRF matrix: internal addresses for the MTA-STS policy host, the BIMI logo host and the MX host', () => {
  for (const address of INTERNAL) {
    it(`${address}: no socket is opened with the default policy`, async () => {
      const before = counter.accepted;
      const report = await run(address, false);
      expect(reportSchema.safeParse(report).success).toBe(true);
      expect(counter.accepted - before).toBe(0);
      const mtaSts = report.checks.find((c) => c.id === 'mta_sts')!;
      expect(JSON.stringify(mtaSts)).toMatch(/non-public|not connect|refused|never connected/i);
    });
  }

  it('control: with --allow-private-networks the same routing does reach the counting server', async () => {
    const before = counter.accepted;
    await run('10.0.0.1', true);
    expect(counter.accepted - before).toBeGreaterThan(0);
  });
});

describe('DNS rebinding between lookup and connect', () => {
  let world: World;
  let dns: HostileDns;
  let rebound: CountingServer;
  const R = 'rebind.test';

  beforeAll(async () => {
    rebound = await startCountingServer();
    const names = {
      [R]: { MX: [[10, `mx.${R}`]] as Array<[number, string]> },
      [`mx.${R}`]: { A: ['192.0.2.81'] },
      [`_mta-sts.${R}`]: { TXT: ['v=STSv1; id=1'] },
      [`mta-sts.${R}`]: { A: ['192.0.2.80'] },
    };
    world = await startWorld({
      dns: { names },
      https: { [`mta-sts.${R}`]: { address: '192.0.2.80', routes: { '/.well-known/mta-sts.txt': { kind: 'body', body: `version: STSv1\nmode: enforce\nmx: mx.${R}\nmax_age: 604800\n` } } } },
      smtp: { [`mx.${R}`]: { address: '192.0.2.81' } },
    });
    // first answer public (a documentation address), every later one 127.0.0.1; TTL 0 throughout
    dns = await startHostileDns({
      fixture: { names },
      behave: (q) => {
        if (q.type !== 'A' || (q.name !== `mta-sts.${R}` && q.name !== `mx.${R}`)) return { kind: 'answer' };
        const first = q.name === `mta-sts.${R}` ? '192.0.2.80' : '192.0.2.81';
        return { kind: 'records', records: [{ type: 'A', name: q.name, ttl: 0, data: q.count === 1 ? first : '127.0.0.1' }] };
      },
    });
  });
  afterAll(async () => {
    await dns?.stop();
    await world?.stop();
    await rebound?.close();
  });

  it('the policy fetch and the STARTTLS probe connect to the address that was checked, never the rebound one', async () => {
    const r = createResolver({ servers: [dns.address], timeoutMs: 600, tries: 2 });
    try {
      const connectTo = [...world.connectTo, `127.0.0.1:443:127.0.0.1:${rebound.port}`, `127.0.0.1:25:127.0.0.1:${rebound.port}`];
      const report = await checkDomain(R, R, {
        resolver: r.resolver,
        options: { timeoutMs: 3000, smtp: true, connectTo, extraCa: [world.ca.certPem], heloName: 'posture.test' },
      });
      expect(reportSchema.safeParse(report).success).toBe(true);
      // the checked (public) address was used...
      expect(world.https!.acceptedSockets).toBeGreaterThan(0);
      expect(world.smtp[`mx.${R}`]!.acceptedSockets).toBeGreaterThan(0);
      expect(report.checks.find((c) => c.id === 'mta_sts')!.status).toBe('pass');
      // ...and the rebinding answer was never connected to
      expect(rebound.accepted).toBe(0);
      // each name was resolved once per run: the address is picked once (connect.lookup never asks again)
      expect(dns.stats.byQuestion.get(`mta-sts.${R} A`)).toBe(1);
    } finally {
      await r.close();
    }
  });

  it('a second run sees the rebound 127.0.0.1 and refuses it: still no socket to it', async () => {
    const r = createResolver({ servers: [dns.address], timeoutMs: 600, tries: 2 });
    try {
      const connectTo = [...world.connectTo, `127.0.0.1:443:127.0.0.1:${rebound.port}`, `127.0.0.1:25:127.0.0.1:${rebound.port}`];
      const report = await checkDomain(R, R, {
        resolver: r.resolver,
        options: { timeoutMs: 3000, smtp: true, connectTo, extraCa: [world.ca.certPem], heloName: 'posture.test' },
      });
      expect(reportSchema.safeParse(report).success).toBe(true);
      expect(rebound.accepted).toBe(0);
      expect(JSON.stringify(report.checks.find((c) => c.id === 'mta_sts'))).toMatch(/non-public|refused/i);
    } finally {
      await r.close();
    }
  });
});
