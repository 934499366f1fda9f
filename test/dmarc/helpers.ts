/** Run the DMARC check against an in-memory DNS fixture. */
import { DEFAULT_CHECK_OPTIONS, makeContext } from '../../src/checker/check.ts';
import { checkDmarc } from '../../src/checker/checks/dmarc/index.ts';
import type { CheckResult } from '../../src/checker/types.ts';
import type { DnsFixture, NameSpec } from '../world/dns/zone.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';

export interface Run {
  result: CheckResult;
  codes: string[];
  log: string[];
}

/** Report domains used by most fixtures accept mail, so only the asserted findings appear. */
export const MAIL_OK: NameSpec = { MX: [[10, 'mx.example.net']] };

export async function run(domain: string, names: DnsFixture['names'], extra: Partial<DnsFixture> = {}): Promise<Run> {
  const resolver = new MemoryResolver({ names, ...extra });
  const result = await checkDmarc(makeContext({
    domain,
    resolver,
    signal: new AbortController().signal,
    options: DEFAULT_CHECK_OPTIONS,
  }));
  return { result, codes: result.findings.map((f) => f.code), log: resolver.log };
}

export function findingOf(r: Run, code: string) {
  const f = r.result.findings.find((x) => x.code === code);
  if (!f) throw new Error(`no ${code} in ${JSON.stringify(r.result.findings, null, 2)}`);
  return f;
}
