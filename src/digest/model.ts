/**
 * The weekly digest model (DESIGN `src/digest/`): per channel, each watched domain with its
 * grade and the change since last week, an eight-week score trend, new and resolved findings,
 * regressions first, a one-line headline, a stable order and a size budget. Platform-neutral,
 * plain text: the Slack and Discord adapters render it.
 *
 * CONTRACTS §5: every entry's `line` names the domain with `grade X` (a domain that could not
 * be checked names its last known grade, when there is one).
 */
import { foldList, moreText, severityToken, truncate } from '../bot/card.ts';
import type { Folded, StatusToken } from '../bot/card.ts';
import { FINDINGS, isFindingCode } from '../checker/findings.ts';
import { compareGrades } from '../checker/grade.ts';
import type { Grade, Report, Severity } from '../checker/types.ts';
import { diffReports } from './diff.ts';
import type { CompactRun, NotableKind, ReportDiff } from './diff.ts';
import { DEFAULT_SPARK_WIDTH, sparkline, sparklineText } from './sparkline.ts';

export interface DigestDomainInput {
  domain: string;
  /** this run's report; null when the check failed */
  current: Report | null;
  /** last week's run; null for a domain checked for the first time */
  previous: CompactRun | null;
  /** up to eight weeks of runs, oldest first (this week's may be included or not) */
  history: CompactRun[];
}

export interface DigestBudget {
  /** entries shown (default 20); the rest count in `more` */
  maxDomains?: number;
  /** new (and, separately, resolved) findings shown per domain (default 3) */
  maxFindingsPerDomain?: number;
  /**
   * total plain-text size of title, headline and shown entries (default 5500, under Discord's
   * 6000 per message's embeds; Slack fits more). At least one entry is always shown.
   */
  maxChars?: number;
  /** per finding message and notable phrase (default 160) */
  maxTextChars?: number;
}

export interface DigestInput {
  channel: string;
  /** the delivery period, e.g. "2026-W48" */
  periodKey: string;
  /** ISO time the digest was made; the trend's weeks count back from it */
  generatedAt: string;
  domains: DigestDomainInput[];
  budget?: DigestBudget;
  /** same-grade score change that counts as a regression / improvement (default 5) */
  scoreThreshold?: number;
}

export type DigestStatus = 'regressed' | 'failed' | 'new' | 'improved' | 'unchanged';

/** how the grade moved, for the adapter's arrow / colour */
export type ArrowToken = 'up' | 'down' | 'same' | 'new' | 'unknown';

export interface DigestFinding {
  code: string;
  severity: Severity;
  token: StatusToken;
  /** the catalog's title for the code */
  title: string;
  /** this run's message (new findings; "" for resolved ones) */
  message: string;
}

export interface DigestEntry {
  domain: string;
  status: DigestStatus;
  /** plain text naming the domain with `grade X` ("example.com: grade A (B → A), score 91 (+6)") */
  line: string;
  /** null when the check failed */
  grade: Grade | null;
  previousGrade: Grade | null;
  score: number | null;
  previousScore: number | null;
  arrow: ArrowToken;
  /** eight weeks, oldest first, fixed 0–100 scale, `·` for a week without a score */
  sparkline: string;
  /** the same for screen readers: "scores 72, 75, no data, 91" */
  sparklineText: string;
  newFindings: Folded<DigestFinding>;
  resolvedFindings: Folded<DigestFinding>;
  /** one phrase ("lost MTA-STS enforce"), "" when none */
  notable: string;
  notableKind: NotableKind | null;
}

export interface DigestTotals {
  domains: number;
  regressed: number;
  improved: number;
  unchanged: number;
  failed: number;
  new: number;
}

export interface Digest {
  kind: 'digest';
  channel: string;
  title: string;
  headline: string;
  periodKey: string;
  generatedAt: string;
  /** regressions, then domains that could not be checked, new, improved, unchanged; within a group worst grade first, then domain */
  entries: DigestEntry[];
  /** entries left out by the budget */
  more: number;
  /** "+N more" or null */
  moreText: string | null;
  totals: DigestTotals;
  /** the regressions (in entry order, within the same budget), for the alert-on-regression option */
  alerts: DigestEntry[];
  alertsMore: number;
}

const DEFAULT_BUDGET: Required<DigestBudget> = {
  maxDomains: 20,
  maxFindingsPerDomain: 3,
  maxChars: 5500,
  maxTextChars: 160,
};

const GROUP_ORDER: Record<DigestStatus, number> = { regressed: 0, failed: 1, new: 2, improved: 3, unchanged: 4 };
const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

const plural = (n: number, one: string, many = `${one}s`): string => (n === 1 ? one : many);
const signed = (n: number): string => (n > 0 ? `+${n}` : String(n));

function titleOf(code: string): string {
  return isFindingCode(code) ? FINDINGS[code].title : code;
}

/**
 * Scores per week, oldest first, `width` weeks ending with this week. A run lands in the week
 * nearest its age (so a digest a few minutes early or late still lines up); the latest run of
 * a week wins; this week is the current run's (a gap when its check failed).
 */
function weeklyScores(now: number, runs: readonly CompactRun[], current: Report | null, width: number): (number | null)[] {
  const slots: ({ t: number; score: number } | undefined)[] = Array.from({ length: width }, () => undefined);
  for (const run of runs) {
    const t = Date.parse(run.checkedAt);
    if (!Number.isFinite(t) || !Number.isFinite(run.score)) continue;
    const age = Math.max(0, Math.round((now - t) / WEEK_MS));
    if (age >= width) continue;
    const i = width - 1 - age;
    const seen = slots[i];
    if (!seen || t >= seen.t) slots[i] = { t, score: run.score };
  }
  const scores = slots.map((s) => (s ? s.score : null));
  if (width > 0) scores[width - 1] = current ? current.score : null;
  return scores;
}

function digestFinding(code: string, severity: Severity, message: string, maxText: number): DigestFinding {
  return { code, severity, token: severityToken(severity), title: titleOf(code), message: truncate(message, maxText) };
}

function entryLine(domain: string, status: DigestStatus, diff: ReportDiff | null, previous: CompactRun | null, notable: string, kind: NotableKind | null): string {
  if (diff === null) {
    return previous ? `${domain}: could not be checked (last grade ${previous.grade}, score ${previous.score})` : `${domain}: could not be checked`;
  }
  const g = diff.gradeAfter;
  let line: string;
  if (status === 'new' || diff.gradeBefore === null || diff.scoreBefore === null) {
    line = `${domain}: grade ${g}, score ${diff.scoreAfter} (first check)`;
  } else {
    const delta = diff.scoreAfter - diff.scoreBefore;
    const score = `score ${diff.scoreAfter}${delta !== 0 ? ` (${signed(delta)})` : ''}`;
    line = diff.gradeBefore !== g
      ? `${domain}: grade ${g} (${diff.gradeBefore} → ${g}), ${score}`
      : `${domain}: grade ${g}, ${score}`;
  }
  // grade and score phrases would repeat what the line already says
  if (notable && kind !== 'grade' && kind !== 'score') line += ` — ${notable}`;
  return line;
}

function buildEntry(input: DigestDomainInput, now: number, o: Required<DigestBudget>, threshold: number): DigestEntry {
  const { domain, current } = input;
  const history = input.history;
  // without an explicit previous run, the latest run in the history before this one serves
  let previous = input.previous;
  if (previous === null && current !== null) {
    const t = Date.parse(current.checkedAt);
    for (const run of history) {
      const rt = Date.parse(run.checkedAt);
      if (Number.isFinite(rt) && rt < t && (previous === null || rt >= Date.parse(previous.checkedAt))) previous = run;
    }
  }

  const runs = previous ? [...history, previous] : history;
  const scores = weeklyScores(now, runs, current, DEFAULT_SPARK_WIDTH);
  const spark = sparkline(scores);
  const sparkText = sparklineText(scores);
  const fold = o.maxFindingsPerDomain;

  if (current === null) {
    return {
      domain,
      status: 'failed',
      line: entryLine(domain, 'failed', null, previous, '', null),
      grade: null,
      previousGrade: previous?.grade ?? null,
      score: null,
      previousScore: previous?.score ?? null,
      arrow: 'unknown',
      sparkline: spark,
      sparklineText: sparkText,
      newFindings: { shown: [], more: 0 },
      resolvedFindings: { shown: [], more: 0 },
      notable: '',
      notableKind: null,
    };
  }

  const diff = diffReports(previous, current, { scoreThreshold: threshold });
  const status: DigestStatus = diff.direction;
  const notable = truncate(diff.notable, o.maxTextChars);
  const arrow: ArrowToken =
    status === 'new' ? 'new' : status === 'regressed' ? 'down' : status === 'improved' ? 'up' : 'same';
  return {
    domain,
    status,
    line: entryLine(domain, status, diff, previous, notable, diff.notableKind),
    grade: diff.gradeAfter,
    previousGrade: diff.gradeBefore,
    score: diff.scoreAfter,
    previousScore: diff.scoreBefore,
    arrow,
    sparkline: spark,
    sparklineText: sparkText,
    newFindings: foldList(diff.newFindings.map((f) => digestFinding(f.code, f.severity, f.message, o.maxTextChars)), fold),
    resolvedFindings: foldList(diff.resolvedFindings.map((f) => digestFinding(f.code, f.severity, '', o.maxTextChars)), fold),
    notable,
    notableKind: diff.notableKind,
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareEntries(a: DigestEntry, b: DigestEntry): number {
  const group = GROUP_ORDER[a.status] - GROUP_ORDER[b.status];
  if (group !== 0) return group;
  const ga = a.grade ?? a.previousGrade;
  const gb = b.grade ?? b.previousGrade;
  if (ga !== null && gb !== null) {
    const g = compareGrades(gb, ga); // worst first
    if (g !== 0) return g;
  } else if (ga !== gb) {
    return ga === null ? 1 : -1;
  }
  return compareText(a.domain, b.domain);
}

/** The plain-text lines of one entry (as `digestText` prints it). */
export function entryLines(e: DigestEntry): string[] {
  const lines = [e.line, `  trend ${e.sparkline} (${e.sparklineText})`];
  for (const f of e.newFindings.shown) lines.push(`  new ${f.severity}: ${f.code}${f.message ? ` (${f.message})` : ''}`);
  if (e.newFindings.more > 0) lines.push(`  +${e.newFindings.more} more new`);
  for (const f of e.resolvedFindings.shown) lines.push(`  resolved: ${f.code}`);
  if (e.resolvedFindings.more > 0) lines.push(`  +${e.resolvedFindings.more} more resolved`);
  return lines;
}

const textSize = (lines: string[]): number => lines.reduce((n, l) => n + l.length + 1, 0);

/** Shown entries within the domain count and the character budget (at least one when there is any). */
function fitBudget(entries: DigestEntry[], o: Required<DigestBudget>, reserved: number): Folded<DigestEntry> {
  const byCount = foldList(entries, o.maxDomains);
  const shown: DigestEntry[] = [];
  let used = reserved;
  for (const e of byCount.shown) {
    const size = textSize(entryLines(e));
    if (shown.length > 0 && used + size > o.maxChars) break;
    shown.push(e);
    used += size;
  }
  return { shown, more: entries.length - shown.length };
}

function headlineOf(sorted: DigestEntry[], totals: DigestTotals): string {
  const n = totals.domains;
  const domains = `${n} ${plural(n, 'domain')}`;
  const failedSuffix = totals.failed > 0 ? `; ${totals.failed} could not be checked` : '';
  if (n === 0) return 'No domains to report';
  if (totals.regressed > 0) {
    const top = sorted.find((e) => e.status === 'regressed' && e.notable);
    return `${totals.regressed} of ${domains} regressed${top ? `; ${top.domain} ${top.notable}` : ''}${failedSuffix}`;
  }
  if (totals.improved > 0) {
    const top = sorted.find((e) => e.status === 'improved' && e.notable);
    return `${totals.improved} of ${domains} improved${top ? `: ${top.domain} ${top.notable}` : ''}${failedSuffix}`;
  }
  const only = sorted.length === 1 ? sorted[0] : undefined;
  if (totals.unchanged === n) return only ? `${only.domain} unchanged` : `All ${domains} unchanged`;
  if (totals.new === n) return only ? `${only.domain} checked for the first time` : `${domains} checked for the first time`;
  if (totals.failed === n) return only ? `${only.domain} could not be checked` : `${domains} could not be checked`;
  const parts: string[] = [];
  if (totals.unchanged) parts.push(`${totals.unchanged} unchanged`);
  if (totals.new) parts.push(`${totals.new} new`);
  if (totals.failed) parts.push(`${totals.failed} could not be checked`);
  return `${domains}: ${parts.join(', ')}`;
}

/** A channel's digest for one period. */
export function buildDigest(input: DigestInput): Digest {
  const o: Required<DigestBudget> = { ...DEFAULT_BUDGET, ...stripUndefined(input.budget ?? {}) };
  const threshold = input.scoreThreshold ?? 5;
  let now = Date.parse(input.generatedAt);
  if (!Number.isFinite(now)) {
    const times = input.domains.flatMap((d) => (d.current ? [Date.parse(d.current.checkedAt)] : [])).filter(Number.isFinite);
    now = times.length ? Math.max(...times) : 0;
  }

  const all = input.domains
    .map((d, i) => ({ e: buildEntry(d, now, o, threshold), i }))
    .sort((a, b) => compareEntries(a.e, b.e) || a.i - b.i)
    .map(({ e }) => e);

  const count = (s: DigestStatus): number => all.filter((e) => e.status === s).length;
  const totals: DigestTotals = {
    domains: all.length,
    regressed: count('regressed'),
    improved: count('improved'),
    unchanged: count('unchanged'),
    failed: count('failed'),
    new: count('new'),
  };

  const title = `Posture digest ${input.periodKey}`;
  const headline = headlineOf(all, totals);
  const reserved = textSize([title, headline, '', '+9999 more']);
  const entries = fitBudget(all, o, reserved);
  const alerts = fitBudget(all.filter((e) => e.status === 'regressed'), o, reserved);

  return {
    kind: 'digest',
    channel: input.channel,
    title,
    headline,
    periodKey: input.periodKey,
    generatedAt: input.generatedAt,
    entries: entries.shown,
    more: entries.more,
    moreText: moreText(entries.more),
    totals,
    alerts: alerts.shown,
    alertsMore: alerts.more,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The digest as plain text (Slack's `text` fallback, logs, the CLI). */
export function digestText(d: Digest): string {
  const lines = [d.title, d.headline, ''];
  for (const e of d.entries) lines.push(...entryLines(e));
  if (d.moreText) lines.push(d.moreText);
  return lines.join('\n');
}
