/**
 * The OpenSPF RFC 7208 test suite (release 2014.04, 16 scenarios, 203 cases), run through our
 * checkHost() over the fixture world: one loopback DNS server per scenario queried by the real
 * stub client. Set SPF_SUITE_MEMORY=1 to run it over the in-memory resolver instead.
 *
 * `explanation: DEFAULT` in the suite means "the implementation's default", i.e. no exp= text
 * applied: checkHost() then returns no explanation.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resolver } from '../../src/checker/dns/types.ts';
import { checkHost } from '../../src/checker/checks/spf/evaluate.ts';
import { spfIdentity } from '../../src/checker/checks/spf/names.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';
import { startDnsServer, type DnsServer } from '../world/dns/server.ts';
import { StubResolver } from '../../src/checker/dns/stub.ts';
import { loadSuite } from './suite-fixture.ts';

const scenarios = loadSuite(fileURLToPath(new URL('./fixtures/rfc7208-tests.yml', import.meta.url)));
const useMemory = process.env.SPF_SUITE_MEMORY === '1';

describe('RFC 7208 test suite', () => {
  it('has the 16 scenarios and 203 cases of release 2014.04', () => {
    expect(scenarios).toHaveLength(16);
    expect(scenarios.reduce((n, s) => n + s.tests.length, 0)).toBe(203);
  });

  for (const scenario of scenarios) {
    describe(scenario.description, () => {
      let resolver: Resolver;
      let server: DnsServer | undefined;
      let stub: StubResolver | undefined;

      beforeAll(async () => {
        if (useMemory) {
          resolver = new MemoryResolver(scenario.fixture);
          return;
        }
        server = await startDnsServer(scenario.fixture);
        // a retry absorbs an answer delayed by a loaded machine; the TIMEOUT cases then cost 2 × 500 ms
        stub = new StubResolver({ servers: [{ host: server.host, port: server.port }], timeoutMs: 500, tries: 2 });
        resolver = stub;
      });

      afterAll(async () => {
        stub?.close();
        await server?.stop();
      });

      for (const t of scenario.tests) {
        it(`${t.name} (${t.spec}) → ${t.results.join(' | ')}`, async () => {
          const { sender, domain } = spfIdentity(t.mailfrom, t.helo);
          const r = await checkHost({ ip: t.host, domain, sender, helo: t.helo, resolver });
          expect(t.results, `result ${r.result} (${r.reason ?? r.mechanism ?? ''})`).toContain(r.result);
          if (t.explanation !== undefined) {
            if (t.explanation === 'DEFAULT') expect(r.explanation).toBeUndefined();
            else expect(r.explanation).toBe(t.explanation);
          }
        });
      }
    });
  }
});
