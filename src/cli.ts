#!/usr/bin/env node
/** The `posture` command line (CONTRACTS §1). */
import { runCheck, CHECK_USAGE } from './cli/check.ts';
import { runSpf } from './cli/spf.ts';
import { processIo, UsageError, type CliIo } from './cli/io.ts';

export const USAGE = `posture — email-security posture checker

usage:
  posture check DOMAIN... [options]     check one or more domains ("-" reads stdin)
  posture spf [DOMAIN] --ip IP [--sender ADDR] [--helo HOST] [--json]
                                        RFC 7208 check_host() for one client IP
  posture explain TOPIC [for DOMAIN]    explain a control, a finding code, or "grade"
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
      case 'explain':
      case 'serve':
      case 'discord':
        io.stderr.write(`posture: "${command}" is not available in this version yet\n`);
        return 2;
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
