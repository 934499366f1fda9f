/**
 * `posture demo`: start the fixture world on loopback and check its sample
 * domains, so someone without network access sees real reports in one command.
 */
import { parseArgs } from 'node:util';
import { UsageError, type CliIo } from './io.ts';
import { runCheck } from './check.ts';

export async function runDemo(argv: string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]!);
  }
  if (values.help) {
    io.stdout.write('usage: posture demo [--json]\n  starts the fixture world (DNS on loopback) and checks its sample domains\n');
    return 0;
  }
  let world;
  try {
    // the fixture world ships with the repository's test tree (a development checkout)
    const { startWorld } = await import('../../test/world/index.ts');
    const { installLoopbackGuard } = await import('../../test/world/loopback-guard.ts');
    // the demo talks only to its own world: nothing may leave loopback
    installLoopbackGuard();
    const { demoWorldOptions, DEMO_DOMAINS } = await import('../../test/world/demo.ts');
    world = { startWorld, demoWorldOptions, DEMO_DOMAINS };
  } catch {
    io.stderr.write('posture: the demo needs the fixture world from a source checkout (test/world/)\n');
    return 1;
  }
  const running = await world.startWorld(world.demoWorldOptions());
  try {
    io.stderr.write(
      `Fixture world on loopback: DNS ${running.resolver}, HTTPS and SMTP servers with a test CA.\n` +
        `Checking ${world.DEMO_DOMAINS.length} sample domains…\n\n`,
    );
    // the world publishes documentation addresses; --connect-to routes them to its loopback servers
    return await runCheck(
      [...world.DEMO_DOMAINS, '--resolver', running.resolver, ...running.connectTo.flatMap((r) => ['--connect-to', r]), ...(values.json ? ['--json'] : [])],
      io,
      { extraCa: [running.ca.certPem] },
    );
  } finally {
    await running.stop();
  }
}
