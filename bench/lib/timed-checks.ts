/**
 * Per-check timing: wraps the orchestrator's check table (`CHECKS`) so each
 * check records how long it ran, from its start (all checks start at once) to
 * its result. A check that awaits another's result (STARTTLS reads MTA-STS,
 * BIMI reads DMARC) includes that wait: it is on that check's path.
 */
import { CHECKS, type CheckFn } from '../../src/checker/index.ts';
import type { CheckId } from '../../src/checker/types.ts';

export type CheckTimes = Partial<Record<CheckId, number>>;

export function timedChecks(into: CheckTimes): Partial<Record<CheckId, CheckFn>> {
  const out: Partial<Record<CheckId, CheckFn>> = {};
  for (const [id, fn] of Object.entries(CHECKS) as Array<[CheckId, CheckFn]>) {
    out[id] = async (ctx, results) => {
      const t0 = performance.now();
      try {
        return await fn(ctx, results);
      } finally {
        into[id] = performance.now() - t0;
      }
    };
  }
  return out;
}

/** The check ids in table order, for column headers. */
export const TIMED_CHECK_IDS = Object.keys(CHECKS) as CheckId[];
