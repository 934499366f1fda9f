/**
 * Runs before every test file: tests never leave loopback. Any TCP connection
 * or UDP datagram to another address is refused, and the file fails.
 */
import { afterAll } from 'vitest';
import { installLoopbackGuard } from './world/loopback-guard.ts';

const guard = installLoopbackGuard();

afterAll(() => {
  if (guard.refused.length) {
    throw new Error(`tests tried to leave loopback: ${guard.refused.join(', ')}`);
  }
});
