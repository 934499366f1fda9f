/** The plan as plain text, for the CLI's "Plan" section. */
import type { PlanStep } from './index.ts';

const indent = (text: string, by: string): string =>
  text.split('\n').map((line) => (line.length > 0 ? `${by}${line}` : '')).join('\n');

/**
 * Numbered steps, each with the grade it reaches, why, what to wait for first, and the action
 * indented so that it can be copied as it stands.
 */
export function renderPlanText(steps: readonly PlanStep[]): string {
  if (steps.length === 0) return 'Nothing to do: no change would raise the grade of what could be tested.';
  return steps
    .map((s) => {
      const lines = [`${s.step}. ${s.title} → grade ${s.gradeAfter} (score ${s.scoreAfter})`];
      if (s.why) lines.push(indent(s.why, '   '));
      lines.push(s.waitFor ? `   First wait for ${s.waitFor}; then:` : '   Do:');
      lines.push(indent(s.action, '       '));
      return lines.join('\n');
    })
    .join('\n\n');
}
