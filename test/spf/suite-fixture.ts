/**
 * Loading the OpenSPF RFC 7208 test suite (test/spf/fixtures/rfc7208-tests.yml, BSD licence
 * beside it) and turning each scenario's zonedata into a DnsFixture.
 *
 * As the suite's own drivers do, SPF entries are also published as TXT when a name has no TXT
 * of its own (and does not say `TXT: NONE`), and `TIMEOUT` makes every query type the name has no data for time out.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { RRType } from '../../src/checker/dns/types.ts';
import { RR_TYPES } from '../../src/checker/dns/types.ts';
import type { DnsFixture, NameSpec } from '../world/dns/zone.ts';

export interface SuiteTest {
  name: string;
  description?: string;
  spec: string;
  helo: string;
  host: string;
  mailfrom: string;
  /** acceptable results */
  results: string[];
  explanation?: string;
}

export interface SuiteScenario {
  description: string;
  tests: SuiteTest[];
  fixture: DnsFixture;
}

type ZoneEntry = string | Record<string, unknown>;

function asStrings(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return [String(value)];
}

export function zoneToFixture(zonedata: Record<string, ZoneEntry[]>): DnsFixture {
  const names: Record<string, NameSpec> = {};
  for (const [owner, entries] of Object.entries(zonedata)) {
    const spec: NameSpec = {};
    let timeout = false;
    let txtNone = false;
    const spf: string[][] = [];
    const txt: string[][] = [];
    for (const entry of entries ?? []) {
      if (entry === 'TIMEOUT') {
        timeout = true;
        continue;
      }
      if (typeof entry !== 'object' || entry === null) throw new Error(`unexpected zone entry for ${owner}: ${String(entry)}`);
      for (const [type, value] of Object.entries(entry)) {
        switch (type) {
          case 'SPF':
            spf.push(asStrings(value));
            break;
          case 'TXT':
            if (value === 'NONE') txtNone = true;
            else txt.push(asStrings(value));
            break;
          case 'A':
            (spec.A ??= []).push(String(value));
            break;
          case 'AAAA':
            (spec.AAAA ??= []).push(String(value));
            break;
          case 'PTR':
            (spec.PTR ??= []).push(String(value));
            break;
          case 'CNAME':
            spec.CNAME = String(value);
            break;
          case 'MX': {
            const [pref, host] = value as [number, string];
            (spec.MX ??= []).push([Number(pref), String(host)]);
            break;
          }
          default:
            throw new Error(`unsupported record type ${type} for ${owner}`);
        }
      }
    }
    if (spf.length) spec.SPF = spf;
    // the drivers' "auto-magic duplication of SPF to TXT": for names that publish no TXT of their own
    const allTxt = txtNone ? [] : txt.length ? txt : spf;
    if (allTxt.length) spec.TXT = allTxt;
    if (timeout) {
      const present = new Set<RRType>(
        (Object.keys(spec) as Array<keyof NameSpec>).filter((k): k is RRType => (RR_TYPES as readonly string[]).includes(k)),
      );
      spec.fault = 'timeout';
      if (present.size) spec.faultTypes = RR_TYPES.filter((t) => !present.has(t));
    }
    names[owner] = spec;
  }
  return { names };
}

export function loadSuite(path: string): SuiteScenario[] {
  // the file is 7-bit ASCII; "\x80"-style escapes in double-quoted scalars become U+0080.. chars,
  // standing for the latin-1 bytes the suite means
  const text = readFileSync(path, 'latin1');
  const docs = parseAllDocuments(text);
  const scenarios: SuiteScenario[] = [];
  for (const doc of docs) {
    if (doc.errors.length) throw new Error(`YAML error in ${path}: ${doc.errors[0]!.message}`);
    const data = doc.toJS() as {
      description: string;
      tests: Record<string, Record<string, unknown>>;
      zonedata: Record<string, ZoneEntry[]>;
    } | null;
    if (!data) continue;
    const tests: SuiteTest[] = Object.entries(data.tests).map(([name, t]) => {
      const test: SuiteTest = {
        name,
        spec: String(t.spec ?? ''),
        helo: String(t.helo ?? ''),
        host: String(t.host),
        mailfrom: String(t.mailfrom ?? ''),
        results: asStrings(t.result),
      };
      if (typeof t.description === 'string') test.description = t.description;
      if (t.explanation !== undefined) test.explanation = String(t.explanation);
      return test;
    });
    scenarios.push({ description: data.description, tests, fixture: zoneToFixture(data.zonedata ?? {}) });
  }
  return scenarios;
}
