/**
 * Network faults between Posture and its resolver, through `checkDomain` with the real UDP/TCP
 * stub and the caching resolver: resolver down, every query timing out, intermittent SERVFAIL,
 * truncation with TCP refused, forged answers with mismatched IDs or from spoofed source ports.
 * The report is always produced within the budget (statuses `untested` + `dns.lookup_failed`,
 * and the test finishing under vitest's timeout), every check id is present, and no finding
 * reports as absent what the faults hid. Forged answers never reach the report.
 */
import dgram from 'node:dgram';
import type packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResolver } from '../../src/checker/dns/index.ts';
import { checkDomain } from '../../src/checker/index.ts';
import { reportSchema } from '../../src/checker/report-schema.ts';
import { CHECK_IDS, type Report } from '../../src/checker/types.ts';
import { startWorld, type World } from '../world/index.ts';
import { startHostileDns, type Behaviour, type HostileDns, type HostileQuery } from '../world/hostile/dns.ts';
import { ABSENCE_CODES, GOOD, goodFixture, goodWorld } from './good-domain.ts';

const TIMEOUT_MS = 3000;
let world: World;
const servers: HostileDns[] = [];

beforeAll(async () => {
  world = await startWorld(goodWorld());
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await world?.stop();
});

async function check(resolverAddress: string, opts: { tries?: number; perTryMs?: number } = {}): Promise<{ report: Report; queries: number }> {
  const r = createResolver({ servers: [resolverAddress], timeoutMs: opts.perTryMs ?? 600, tries: opts.tries ?? 2 });
  try {
    const report = await checkDomain(GOOD, GOOD, {
      resolver: r.resolver,
      options: {
        timeoutMs: TIMEOUT_MS, smtp: true, connectTo: world.connectTo, extraCa: [world.ca.certPem],
        dkimSelectors: ['default'], heloName: 'posture.test',
      },
    });
    return { report, queries: r.resolver.stats.queries };
  } finally {
    await r.close();
  }
}

async function hostile(behave: (q: HostileQuery) => Behaviour, tcp = true): Promise<HostileDns> {
  const s = await startHostileDns({ fixture: goodFixture(), behave, tcp });
  servers.push(s);
  return s;
}

function codes(report: Report): string[] {
  return report.checks.flatMap((c) => c.findings.map((f) => f.code));
}

/** What every report must satisfy, whatever the faults. */
function wellFormed(report: Report): void {
  expect(reportSchema.safeParse(report).success).toBe(true);
  expect(report.checks.map((c) => c.id).sort()).toEqual([...CHECK_IDS].sort());
  const accused = codes(report).filter((c) => (ABSENCE_CODES as readonly string[]).includes(c));
  expect(accused, 'no finding may report as absent what a fault hid').toEqual([]);
}

/** Nothing could be seen: every check is untested and each says why (the lookup failed). */
function blind(report: Report): void {
  wellFormed(report);
  for (const c of report.checks) {
    expect(c.status, `${c.id}: ${c.summary}`).toBe('untested');
    if (c.id !== 'mx') continue;
    expect(c.findings.map((f) => f.code)).toContain('dns.lookup_failed');
  }
  expect(codes(report)).toContain('dns.lookup_failed');
}

let control: Report;

describe('network faults', () => {
  beforeAll(async () => {
    const honest = await hostile(() => ({ kind: 'answer' }));
    control = (await check(honest.address)).report;
  });

  it('control: with an honest resolver the good domain is fully seen, nothing absent', () => {
    wellFormed(control);
    for (const id of ['mx', 'spf', 'dmarc', 'dkim', 'mta_sts', 'tls_rpt', 'bimi', 'starttls'] as const) {
      expect(control.checks.find((c) => c.id === id)!.status, id).not.toBe('untested');
    }
  });

  it('resolver down (nothing listens on its port): untested with dns.lookup_failed, within the budget', async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const port = sock.address().port;
    await new Promise<void>((r) => sock.close(() => r()));
    blind((await check(`127.0.0.1:${port}`)).report);
  });

  it('every query times out: untested with dns.lookup_failed, within the budget', async () => {
    const s = await hostile(() => ({ kind: 'drop' }));
    blind((await check(s.address)).report);
  });

  it('truncation with TCP refused: untested with dns.lookup_failed', async () => {
    const s = await hostile(() => ({ kind: 'truncate' }), false);
    const { report } = await check(s.address);
    blind(report);
    expect(s.stats.tcp).toBe(0);
  });

  it('truncation with TCP available: answers come over TCP and match the control', async () => {
    const s = await hostile(({ transport }) => (transport === 'udp' ? { kind: 'truncate' } : { kind: 'answer' }));
    const { report } = await check(s.address);
    wellFormed(report);
    expect(s.stats.tcp).toBeGreaterThan(0);
    expect(report.checks.map((c) => [c.id, c.status])).toEqual(control.checks.map((c) => [c.id, c.status]));
  });

  for (const seed of [1, 2, 3, 4]) {
    it(`intermittent SERVFAIL (seed ${seed}): what fails is untested with dns.lookup_failed, nothing absent`, async () => {
      let state = seed * 7919;
      const random = (): number => {
        state = (state * 1103515245 + 12345) % 2147483648;
        return state / 2147483648;
      };
      const s = await hostile(() => (random() < 0.35 ? { kind: 'servfail' } : { kind: 'answer' }));
      const { report } = await check(s.address, { tries: 1 });
      wellFormed(report);
      for (const c of report.checks) {
        const before = control.checks.find((x) => x.id === c.id)!;
        if (c.status === 'untested' && before.status !== 'untested') {
          const why = c.findings.map((f) => f.code);
          expect(why.includes('dns.lookup_failed') || why.includes('starttls.unreachable'), `${c.id}: ${c.summary}`).toBe(true);
        }
      }
    });
  }

  const forged = (q: HostileQuery): packet.Answer[] => {
    if (q.type === 'A') return [{ type: 'A', name: q.name, ttl: 3600, data: '10.66.66.66' }];
    if (q.type === 'TXT') return [{ type: 'TXT', name: q.name, ttl: 3600, data: ['v=spf1 +all'] }];
    if (q.type === 'MX') return [{ type: 'MX', name: q.name, ttl: 3600, data: { preference: 1, exchange: 'evil.example' } }];
    return [];
  };

  it('forged answers with mismatched IDs are ignored: the report is the control\'s', async () => {
    const s = await hostile((q) => ({ kind: 'wrong-id', forged: forged(q) }));
    const { report } = await check(s.address);
    wellFormed(report);
    const json = JSON.stringify(report);
    expect(json).not.toContain('10.66.66.66');
    expect(json).not.toContain('evil.example');
    expect(codes(report)).not.toContain('spf.pass_all');
    expect(report.checks.map((c) => [c.id, c.status])).toEqual(control.checks.map((c) => [c.id, c.status]));
  });

  it('forged answers from a spoofed source port are ignored: the report is the control\'s', async () => {
    const s = await hostile((q) => ({ kind: 'spoof-port', forged: forged(q) }));
    const { report } = await check(s.address);
    wellFormed(report);
    const json = JSON.stringify(report);
    expect(json).not.toContain('10.66.66.66');
    expect(json).not.toContain('evil.example');
    expect(report.checks.map((c) => [c.id, c.status])).toEqual(control.checks.map((c) => [c.id, c.status]));
  });
});
