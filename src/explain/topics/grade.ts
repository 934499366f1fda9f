/** The "grade" topic: the published rubric, rendered from the rubric data itself (src/checker/grade.ts). */
import { RUBRIC, rubricText } from '../../checker/grade.ts';

export const GRADE_TOPIC = {
  id: 'grade',
  title: 'How Posture grades a domain',
  aliases: [
    'grades', 'grading', 'score', 'scoring', 'rubric', 'grade rubric', 'my grade', 'how grading works',
    'how is the grade computed', 'how is the grade calculated', 'letter grade',
  ],
  /** the rubric text, without its own heading line (the title stands in for it) */
  body: (): string => rubricText().replace(/^How Posture grades a domain[^\n]*\n+/, ''),
  refs: (): string[] => ['docs/grading.md', ...new Set(RUBRIC.caps.map((c) => c.ref))],
};
