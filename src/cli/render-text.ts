/** Human-readable report for the terminal: grade, a line per check, findings worst first with fixes. */
import type { CheckResult, CheckStatus, Finding, Report } from '../checker/types.ts';
import { SEVERITY_RANK } from '../checker/types.ts';
import { renderPlanText } from '../checker/plan/render.ts';

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  status(status: CheckStatus | Finding['severity'], s: string): string;
}

const ansi = (code: number) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;

export function makeStyle(color: boolean): Style {
  if (!color) return { bold: (s) => s, dim: (s) => s, status: (_st, s) => s };
  const red = ansi(31), green = ansi(32), yellow = ansi(33), cyan = ansi(36), grey = ansi(90);
  return {
    bold: ansi(1),
    dim: grey,
    status: (st, s) => {
      switch (st) {
        case 'pass': return green(s);
        case 'fail': return red(s);
        case 'warn': return yellow(s);
        case 'info': return cyan(s);
        default: return grey(s);
      }
    },
  };
}

/** Colour only on a TTY and never with NO_COLOR (https://no-color.org). */
export function colorWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in env && env.NO_COLOR !== '') && env.TERM !== 'dumb';
}

const MARK: Record<CheckStatus, string> = { pass: '✔', info: 'ℹ', warn: '!', fail: '✘', untested: '?' };

function checkLine(c: CheckResult, style: Style): string {
  const id = c.id.padEnd(9);
  const status = style.status(c.status, `${MARK[c.status]} ${c.status.padEnd(8)}`);
  return `  ${status} ${style.bold(id)} ${c.summary}`;
}

function indent(text: string, prefix: string): string {
  return text.split('\n').map((l, i) => (i === 0 ? l : prefix + l)).join('\n');
}

export function renderReport(report: Report, style: Style): string {
  const lines: string[] = [];
  lines.push(
    `${style.bold(report.domain)}  ${style.bold(`grade ${report.grade}`)} (${report.score}/100)` +
      style.dim(`  checked ${report.checkedAt} in ${report.durationMs} ms`),
  );
  if (report.input.trim().toLowerCase().replace(/\.$/, '') !== report.domain) lines.push(style.dim(`  (from input "${report.input}")`));
  lines.push('');
  for (const c of report.checks) lines.push(checkLine(c, style));
  const findings = report.checks
    .flatMap((c) => c.findings.map((f) => ({ check: c.id, f })))
    .sort((a, b) => SEVERITY_RANK[b.f.severity] - SEVERITY_RANK[a.f.severity]);
  if (findings.length) {
    lines.push('', style.bold('Findings, worst first:'));
    for (const { f } of findings) {
      lines.push('');
      lines.push(`  ${style.status(f.severity, f.severity.toUpperCase().padEnd(4))} ${style.bold(f.code)}`);
      lines.push(`       ${indent(f.message, '       ')}`);
      if (f.fix) lines.push(`       ${style.dim('fix:')} ${indent(f.fix, '            ')}`);
      lines.push(`       ${style.dim(`ref: ${f.ref}`)}`);
    }
  }
  if (report.plan.length) {
    lines.push('', style.bold('Plan, fastest way up:'), '');
    lines.push(...renderPlanText(report.plan).split('\n').map((l) => (l ? `  ${l}` : l)));
  }
  return lines.join('\n');
}
