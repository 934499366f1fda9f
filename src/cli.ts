#!/usr/bin/env node
/** The `posture` command line (CONTRACTS §1). */
import { runCheck, CHECK_USAGE } from './cli/check.ts';
import { runSpf } from './cli/spf.ts';
import { processIo, UsageError, type CliIo } from './cli/io.ts';
import { checkOptionsFromEnv, resolverSettings } from './cli/settings.ts';
import { checkDomain } from './checker/index.ts';
import { createResolver } from './checker/dns/index.ts';
import type { Report } from './checker/types.ts';

/** A one-off check configured by the environment alone (POSTURE_RESOLVER, POSTURE_NO_SMTP, …). */
async function checkWithEnv(domain: string, io: CliIo): Promise<Report> {
  const run = createResolver(resolverSettings({}, io.env));
  try {
    return await checkDomain(domain, domain, { resolver: run.resolver, options: checkOptionsFromEnv(io.env) });
  } finally {
    await run.close();
  }
}

export const USAGE = `posture — email-security posture checker

usage:
  posture check DOMAIN... [options]     check one or more domains ("-" reads stdin)
  posture spf [DOMAIN] --ip IP [--sender ADDR] [--helo HOST] [--json]
                                        RFC 7208 check_host() for one client IP
  posture explain TOPIC [for DOMAIN]    explain a control, a finding code, or "grade" (posture explain topics lists them)
  posture serve                         run the chat bot (Slack, Discord)
  posture discord register [--guild ID] register Discord application commands
  posture demo                          start the fixture world and check its sample domains

${CHECK_USAGE}`;

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'check':
        return await runCheck(rest, io);
      case 'spf':
        return await runSpf(rest, io);
      case 'demo': {
        const { runDemo } = await import('./cli/demo.ts');
        return await runDemo(rest, io);
      }
      case 'explain': {
        const { runExplain } = await import('./cli/explain.ts');
        return await runExplain(rest, io, { checkDomain: (domain) => checkWithEnv(domain, io) });
      }
      case 'serve': {
        const { runServe } = await import('./serve.ts');
        return await runServe(rest, io);
      }
      case 'discord': {
        const { runDiscordCli } = await import('../adapters/discord/cli.ts');
        return await runDiscordCli(rest, io);
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      case '--version':
      case '-v':
        io.stdout.write('posture 0.1.0\n');
        return 0;
      default:
        throw new UsageError(`unknown command "${command}" (try: posture check example.com)`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`posture: ${err.message}\n`);
      return 2;
    }
    io.stderr.write(`posture: unexpected failure: ${(err as Error).stack ?? err}\n`);
    return 1;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
