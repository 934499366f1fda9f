/** `posture spf [DOMAIN] --ip IP [--sender ADDR] [--helo HOST] [--json] [--resolver …]` (CONTRACTS §1). */
import net from 'node:net';
import { createResolver } from '../checker/dns/index.ts';
import { checkHost } from '../checker/checks/spf/evaluate.ts';
import { UsageError, type CliIo } from './io.ts';
import { resolverSettings } from './settings.ts';
import { parseCommandArgs, positiveInt } from './args.ts';

export const SPF_USAGE = `usage: posture spf [DOMAIN] --ip IP [--sender ADDR] [--helo HOST] [--json] [--resolver HOST[:PORT]] [--doh URL] [--timeout-ms N]
  RFC 7208 check_host() for one client IP. DOMAIN defaults to the domain of --sender,
  or to --helo when the sender is empty (the null reverse-path means postmaster@HELO).`;

export async function runSpf(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('spf', argv, {
    ip: { type: 'string' },
    sender: { type: 'string' },
    helo: { type: 'string' },
    json: { type: 'boolean' },
    resolver: { type: 'string', multiple: true },
    doh: { type: 'string' },
    'timeout-ms': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(`${SPF_USAGE}\n`);
    return 0;
  }
  if (!values.ip) throw new UsageError('--ip is required: posture spf example.com --ip 192.0.2.1');
  const timeoutMs = positiveInt('--timeout-ms', values['timeout-ms'], 10_000, 600_000);
  const ip = values.ip.replace(/^\[|\]$/g, '');
  if (!net.isIP(ip)) throw new UsageError(`--ip needs an IPv4 or IPv6 address, not "${values.ip}"`);
  if (positionals.length > 1) throw new UsageError('give at most one DOMAIN');
  const helo = values.helo ?? '';
  let sender = values.sender ?? '';
  // RFC 7208 §2.4: an empty reverse-path means postmaster@<HELO identity>
  if (!sender && helo) sender = `postmaster@${helo}`;
  let domain = positionals[0];
  if (domain === undefined) {
    if (sender.includes('@')) domain = sender.slice(sender.lastIndexOf('@') + 1);
    else if (helo) domain = helo;
    else throw new UsageError('give a DOMAIN, --sender or --helo');
  }
  domain = domain.replace(/\.$/, '');
  // RFC 7208 §4.3: a sender without a local-part uses "postmaster"
  if (!sender) sender = `postmaster@${domain}`;
  else if (!sender.includes('@')) sender = `postmaster@${sender}`;
  else if (sender.startsWith('@')) sender = `postmaster${sender}`;

  const run = createResolver(resolverSettings({ resolver: values.resolver, doh: values.doh }, io.env));
  try {
    // past the budget, check_host() ends with temperror (RFC 7208 §4.4): the answer was not seen
    const r = await checkHost({ ip, domain, sender, helo: helo || domain, resolver: run.resolver, signal: AbortSignal.timeout(timeoutMs) });
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ result: r.result, mechanism: r.mechanism ?? null, explanation: r.explanation ?? null })}\n`);
    } else {
      io.stdout.write(`${r.result}\n`);
      io.stdout.write(`  decided by: ${r.mechanism ?? '(no term: default result)'}\n`);
      if (r.explanation) io.stdout.write(`  explanation: ${r.explanation}\n`);
    }
    return 0;
  } finally {
    await run.close();
  }
}
