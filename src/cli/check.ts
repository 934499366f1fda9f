/** `posture check DOMAIN... [options]` (CONTRACTS §1). */
import { checkDomain } from '../checker/index.ts';
import { createRunResources } from '../checker/check.ts';
import { normalizeDomain } from '../checker/domain.ts';
import { createResolver } from '../checker/dns/index.ts';
import type { Grade, Report } from '../checker/types.ts';
import { gradeBelow, isGrade } from '../checker/grade.ts';
import { parseConnectTo } from '../checker/net/connect-to.ts';
import { colorWanted, makeStyle, renderReport } from './render-text.ts';
import { UsageError, type CliIo } from './io.ts';
import { parseCommandArgs, positiveInt } from './args.ts';
import { dkimSelectorList, resolverSettings } from './settings.ts';

export const CHECK_USAGE = `usage: posture check DOMAIN... [options]     ("-" reads domains from stdin, one a line)
  --json                       one JSON report (several domains: a JSON array)
  --resolver HOST[:PORT]       DNS server to query (repeatable, tried in order; default /etc/resolv.conf)
  --doh URL                    use DNS-over-HTTPS (RFC 8484) at URL
  --dkim-selectors a,b         DKIM selectors to try first
  --no-smtp                    skip STARTTLS probing of MX hosts
  --allow-private-networks     allow HTTPS/SMTP to loopback, private and link-local addresses
  --connect-to H:P:H2:P2       connect to H2:P2 whenever H:P is wanted (repeatable)
  --timeout-ms N               wall-clock budget for one domain (default 10000)
  --concurrency N              domains checked at once (default 16)
  --fail-under GRADE           exit 3 when any domain grades below GRADE`;


async function readDomains(positionals: string[], io: CliIo): Promise<string[]> {
  const out: string[] = [];
  for (const p of positionals) {
    if (p !== '-') {
      out.push(p);
      continue;
    }
    const text = await io.readStdin();
    for (const line of text.split(/\r?\n/)) {
      const t = line.trim();
      if (t && !t.startsWith('#')) out.push(t);
    }
  }
  return out;
}

async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return results;
}

/** For embedding (the demo): trust anchors that no flag can carry. */
export interface CheckEmbedding {
  extraCa?: string[];
}

export async function runCheck(argv: string[], io: CliIo, embedding: CheckEmbedding = {}): Promise<number> {
  const { values, positionals } = parseCommandArgs('check', argv, {
    json: { type: 'boolean' },
    resolver: { type: 'string', multiple: true },
    doh: { type: 'string' },
    'dkim-selectors': { type: 'string' },
    'no-smtp': { type: 'boolean' },
    'allow-private-networks': { type: 'boolean' },
    'connect-to': { type: 'string', multiple: true },
    'timeout-ms': { type: 'string' },
    concurrency: { type: 'string' },
    'fail-under': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(`${CHECK_USAGE}\n`);
    return 0;
  }
  const env = io.env;
  const timeoutMs = positiveInt('--timeout-ms', values['timeout-ms'], 10_000, 600_000);
  const concurrency = positiveInt('--concurrency', values.concurrency, 16, 1000);
  let failUnder: Grade | undefined;
  if (values['fail-under'] !== undefined) {
    const g = values['fail-under'].toUpperCase();
    if (!isGrade(g)) throw new UsageError(`--fail-under needs a grade A, B, C, D or F, not "${values['fail-under']}"`);
    failUnder = g;
  }
  for (const rule of values['connect-to'] ?? []) {
    try {
      parseConnectTo(rule);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const resolverConfig = resolverSettings({ resolver: values.resolver, doh: values.doh }, env);
  const dkimSelectors = dkimSelectorList(values['dkim-selectors'] ?? env.POSTURE_DKIM_SELECTORS ?? '');

  const raw = await readDomains(positionals, io);
  if (raw.length === 0) throw new UsageError('give at least one domain: posture check example.com');
  const domains: { domain: string; input: string }[] = [];
  for (const r of raw) {
    const n = normalizeDomain(r);
    if (!n.ok) throw new UsageError(n.error);
    domains.push({ domain: n.domain, input: n.input });
  }

  const run = createResolver(resolverConfig);
  const progress = io.stderr.isTTY && domains.length > 1;
  // one probe cache for the whole run: fifty domains on one provider cost one STARTTLS probe
  const resources = createRunResources();
  let done = 0;
  try {
    const reports = await mapBounded(domains, concurrency, async ({ domain, input }) => {
      const report = await checkDomain(domain, input, {
        resolver: run.resolver,
        options: {
          timeoutMs,
          smtp: !(values['no-smtp'] || env.POSTURE_NO_SMTP === '1'),
          allowPrivateNetworks: Boolean(values['allow-private-networks'] || env.POSTURE_ALLOW_PRIVATE_NETWORKS === '1'),
          dkimSelectors,
          connectTo: values['connect-to'] ?? [],
          ...(embedding.extraCa ? { extraCa: embedding.extraCa } : {}),
        },
        resources,
      });
      done++;
      if (progress) io.stderr.write(`\r\x1b[K[${done}/${domains.length}] ${domain} grade ${report.grade}`);
      return report;
    });
    if (progress) io.stderr.write('\r\x1b[K');
    output(reports, Boolean(values.json), io);
    if (failUnder && reports.some((r) => gradeBelow(r.grade, failUnder))) return 3;
    return 0;
  } finally {
    await run.close();
  }
}

function output(reports: Report[], json: boolean, io: CliIo): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`);
    return;
  }
  const style = makeStyle(colorWanted(io.stdout, io.env));
  io.stdout.write(`${reports.map((r) => renderReport(r, style)).join('\n\n────────\n\n')}\n`);
}
