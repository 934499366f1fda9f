/** Plain-text rendering of an `ExplainResult` for the CLI (chat adapters render the model themselves). */
import { CHECK_NAMES } from './names.ts';
import type { ExplainResult, ExplanationContext, TopicView } from './types.ts';
import type { Finding } from '../checker/types.ts';

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line, i) => (i === 0 ? line : `${prefix}${line}`))
    .join('\n');
}

function renderFinding(f: Finding): string[] {
  const lines = [`  [${f.severity}] ${f.code}: ${indent(f.message, '    ')}`];
  if (f.fix) lines.push(`    Fix: ${indent(f.fix, '         ')}`);
  if (f.ref) lines.push(`    Ref: ${f.ref}`);
  return lines;
}

function heading(t: TopicView): string {
  if (t.kind === 'finding') return `${t.id}: ${t.title} (default severity: ${t.severity ?? 'info'})`;
  return t.title;
}

function renderContext(t: TopicView, c: ExplanationContext): string[] {
  const out: string[] = [`${c.domain}: grade ${c.grade}, score ${c.score}`];
  const name = c.check ? CHECK_NAMES[c.check] : undefined;
  if (t.kind === 'control') {
    out.push(c.status ? `${name} check: ${c.status}. ${c.summary}` : c.summary);
    if (c.findings.length === 0 && c.status && c.status !== 'untested') out.push('  No findings.');
    for (const f of c.findings) out.push(...renderFinding(f));
  } else if (t.kind === 'finding') {
    if (c.present) {
      out.push(`${c.domain} has this finding (${name} check: ${c.status}).`);
      for (const f of c.findings) out.push(...renderFinding(f));
    } else if (c.status === 'untested') {
      out.push(`The ${name} check of ${c.domain} could not be completed, so Posture cannot say whether this applies. ${c.summary}`);
    } else if (name && c.status) {
      out.push(`${c.domain} does not have this finding (${name} check: ${c.status}. ${c.summary})`);
    } else {
      out.push(`${c.domain} does not have this finding.`);
    }
  } else {
    out.push(c.summary);
    for (const f of c.findings) out.push(...renderFinding(f));
  }
  return out;
}

/** The model as plain text (no trailing newline). */
export function renderExplanation(model: ExplainResult): string {
  if (model.kind === 'not_found') {
    const lines = [`No topic matches "${model.query.trim()}".`];
    if (model.suggestions.length > 0) lines.push(`Did you mean: ${model.suggestions.join(', ')}?`);
    lines.push('List every topic with: posture explain topics');
    return lines.join('\n');
  }
  const t = model.topic;
  const out: string[] = [heading(t), '', t.body, ''];
  if (t.refs.length > 0) out.push(`References: ${t.refs.join('; ')}`);
  if (t.seeAlso.length > 0) out.push(`See also: ${t.seeAlso.map((id) => `posture explain ${id}`).join(', ')}`);
  if (model.context) out.push('', ...renderContext(t, model.context));
  return out.join('\n');
}
