/**
 * The report contract (CONTRACTS §2) as a zod schema: validates reports read
 * back from storage or other processes, and pins the JSON output in tests.
 */
import { z } from 'zod';
import { FINDING_CODES } from './findings.ts';
import { CHECK_IDS } from './types.ts';
import { planSchema } from './plan/schema.ts';

export const findingSchema = z.strictObject({
  code: z.enum(FINDING_CODES as [string, ...string[]]),
  severity: z.enum(['fail', 'warn', 'info']),
  message: z.string().min(1),
  fix: z.string(),
  ref: z.string().min(1),
});

export const checkResultSchema = z.strictObject({
  id: z.enum(CHECK_IDS),
  status: z.enum(['pass', 'info', 'warn', 'fail', 'untested']),
  summary: z.string().min(1),
  evidence: z.record(z.string(), z.unknown()),
  findings: z.array(findingSchema),
});

export const reportSchema = z
  .strictObject({
    schema: z.literal('posture.report/v1'),
    domain: z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'A-label form, lower case, no trailing dot'),
    input: z.string(),
    checkedAt: z.iso.datetime(),
    durationMs: z.number().int().nonnegative(),
    grade: z.enum(['A', 'B', 'C', 'D', 'F']),
    score: z.number().int().min(0).max(100),
    checks: z.array(checkResultSchema),
    // reports stored before plans existed read back with an empty plan
    plan: planSchema.default([]),
  })
  .superRefine((report, ctx) => {
    // every check id appears exactly once (CONTRACTS §2)
    const ids = report.checks.map((c) => c.id);
    for (const id of CHECK_IDS) {
      if (ids.filter((x) => x === id).length !== 1) ctx.addIssue({ code: 'custom', message: `check ${id} must appear exactly once` });
    }
    for (const c of report.checks) {
      if (c.status === 'untested') continue;
      const rank = { info: 1, warn: 2, fail: 3 } as const;
      const worst = c.findings.reduce<'pass' | 'info' | 'warn' | 'fail'>(
        (w, f) => (w === 'pass' || rank[f.severity] > rank[w] ? f.severity : w),
        'pass',
      );
      if (worst !== c.status) ctx.addIssue({ code: 'custom', message: `check ${c.id}: status ${c.status} but worst finding is ${worst}` });
    }
  });
