/** The plan in the report (`report.plan`) as a zod schema, for the report schema to include. */
import { z } from 'zod';
import { FINDING_CODES } from '../findings.ts';
import { CHECK_IDS } from '../types.ts';

export const planStepSchema = z.strictObject({
  step: z.number().int().min(1),
  title: z.string().min(1),
  why: z.string(),
  action: z.string().min(1),
  codes: z.array(z.enum(FINDING_CODES as [string, ...string[]])).min(1),
  check: z.enum(CHECK_IDS),
  gradeAfter: z.enum(['A', 'B', 'C', 'D', 'F']),
  scoreAfter: z.number().int().min(0).max(100),
  waitFor: z.string().min(1).optional(),
});

/** Steps numbered 1..n in order. */
export const planSchema = z.array(planStepSchema).superRefine((steps, ctx) => {
  steps.forEach((s, i) => {
    if (s.step !== i + 1) ctx.addIssue({ code: 'custom', message: `plan step ${i + 1} is numbered ${s.step}` });
  });
});
