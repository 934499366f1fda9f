/**
 * Every benchmark process installs the fixture world's loopback guard once:
 * no TCP connection or UDP datagram may leave loopback.
 */
import { installLoopbackGuard, type LoopbackGuard } from '../../test/world/loopback-guard.ts';

let guard: LoopbackGuard | undefined;

export function guardLoopback(): LoopbackGuard {
  guard ??= installLoopbackGuard();
  return guard;
}

/** Destinations the guard refused in this process (should stay empty). */
export function refusedDestinations(): readonly string[] {
  return guard?.refused ?? [];
}
