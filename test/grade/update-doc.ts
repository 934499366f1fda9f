/** Regenerate the rubric block of docs/grading.md: `node test/grade/update-doc.ts`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rubricMarkdown } from '../../src/checker/grade.ts';

export const DOC_PATH = fileURLToPath(new URL('../../docs/grading.md', import.meta.url));
const BEGIN = /<!-- rubric:begin[^>]*-->\n/;
const END = '<!-- rubric:end -->';

/** The generated block as it stands in the document, or undefined when the markers are missing. */
export function generatedBlock(doc: string): string | undefined {
  const b = BEGIN.exec(doc);
  const e = doc.indexOf(END);
  if (b === null || e < 0 || e < b.index) return undefined;
  return doc.slice(b.index + b[0].length, e);
}

export function withGeneratedBlock(doc: string): string {
  const b = BEGIN.exec(doc);
  const e = doc.indexOf(END);
  if (b === null || e < 0) throw new Error('docs/grading.md: rubric markers not found');
  return doc.slice(0, b.index + b[0].length) + rubricMarkdown() + '\n' + doc.slice(e);
}

if (import.meta.main) {
  writeFileSync(DOC_PATH, withGeneratedBlock(readFileSync(DOC_PATH, 'utf8')));
  console.log(`updated ${DOC_PATH}`);
}
