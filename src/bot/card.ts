/**
 * The posture card model (DESIGN `src/bot/`): what a chat card shows for one report,
 * platform-neutral. Adapters render it (Block Kit, Discord embeds); the model holds plain
 * text only, never mrkdwn or Discord markdown, and semantic tokens instead of emoji or colours.
 *
 * CONTRACTS §5: every card carries a plain-text line naming the domain and `grade X` —
 * `headline` ("example.com: grade B (82/100)"), also the start of `text` (Slack's fallback).
 */
import type { FindingCode } from '../checker/findings.ts';
import { grade as gradeChecks, gradeReasons, RUBRIC } from '../checker/grade.ts';
import type { CheckId, CheckStatus, Grade, Report, Severity } from '../checker/types.ts';
import { CHECK_IDS, SEVERITY_RANK } from '../checker/types.ts';

// ---------------------------------------------------------------------------------------------
// Text helpers (shared with the digest model)
// ---------------------------------------------------------------------------------------------

export const ELLIPSIS = '…';

/**
 * At most `max` characters (UTF-16 code units, as Slack and Discord count): unchanged when it
 * fits, otherwise cut on a word boundary (when one is reasonably close) and ended with "…".
 * Never splits a surrogate pair.
 */
export function truncate(text: string, max: number): string {
  if (!Number.isFinite(max) || max < 0) max = 0;
  max = Math.floor(max);
  if (text.length <= max) return text;
  if (max === 0) return '';
  if (max === 1) return ELLIPSIS;
  let cut = text.slice(0, max - 1);
  // a cut that would split a surrogate pair drops its high half
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  // was the cut already on a boundary?
  const next = text.charAt(cut.length);
  if (!/\s/.test(next)) {
    const space = cut.search(/\s\S*$/);
    // only back up to a word boundary when it keeps at least half of the room
    if (space >= Math.floor(max / 2)) cut = cut.slice(0, space);
  }
  cut = cut.replace(/[\s,;:.\u2013\u2014-]+$/u, '');
  return cut + ELLIPSIS;
}

export interface Folded<T> {
  shown: T[];
  /** how many were left out ("+N more"); 0 when all are shown */
  more: number;
}

/** The first `max` items and how many more there are. */
export function foldList<T>(items: readonly T[], max: number): Folded<T> {
  const n = Number.isFinite(max) ? Math.max(0, Math.floor(max)) : items.length;
  const shown = items.slice(0, n);
  return { shown, more: items.length - shown.length };
}

/** "+3 more", or null when nothing was left out. */
export function moreText(more: number): string | null {
  return more > 0 ? `+${more} more` : null;
}

// ---------------------------------------------------------------------------------------------
// Tokens: adapters map them to emoji / colours
// ---------------------------------------------------------------------------------------------

/** A check's status or a finding's severity as a semantic token. */
export type StatusToken = 'ok' | 'info' | 'warning' | 'problem' | 'unknown';

/** How good a grade is, for colouring. */
export type GradeTone = 'good' | 'fair' | 'poor' | 'bad';

const STATUS_TOKEN: Record<CheckStatus, StatusToken> = {
  pass: 'ok', info: 'info', warn: 'warning', fail: 'problem', untested: 'unknown',
};
const SEVERITY_TOKEN: Record<Severity, StatusToken> = { info: 'info', warn: 'warning', fail: 'problem' };
const GRADE_TONE: Record<Grade, GradeTone> = { A: 'good', B: 'good', C: 'fair', D: 'poor', F: 'bad' };

export function statusToken(status: CheckStatus): StatusToken {
  return STATUS_TOKEN[status];
}
export function severityToken(severity: Severity): StatusToken {
  return SEVERITY_TOKEN[severity];
}
export function gradeTone(g: Grade): GradeTone {
  return GRADE_TONE[g];
}

/** The name a domain owner knows a check by ("MTA-STS", "TLS-RPT"). */
export function checkName(id: CheckId | string): string {
  return RUBRIC.controls.find((c) => c.id === id)?.name ?? id;
}

// ---------------------------------------------------------------------------------------------
// The card
// ---------------------------------------------------------------------------------------------

export interface CardCheck {
  id: CheckId;
  /** display name: "MTA-STS" */
  name: string;
  status: CheckStatus;
  token: StatusToken;
  /** the check's one-line summary (truncated to the card's budget) */
  summary: string;
}

export interface CardFinding {
  check: CheckId;
  checkName: string;
  code: FindingCode;
  severity: Severity;
  token: StatusToken;
  message: string;
  fix: string;
  ref: string;
  /** message or fix was shortened; the full text is one `explain CODE for DOMAIN` away */
  truncated: boolean;
}

export type CardActionKind = 'recheck' | 'explain' | 'watch' | 'plan';

/** A neutral action descriptor: adapters turn it into a button (see `actionId`). */
export interface CardAction {
  kind: CardActionKind;
  /** button text, plain, at most 75 characters */
  label: string;
  domain: string;
  /** explain: the worst finding's code (absent when the domain has no fail/warn finding) */
  code?: FindingCode;
  /** explain: the explain topic — the code, or `grade` */
  topic?: string;
  /** the equivalent chat command words, without the platform prefix ("explain dmarc.policy_none for example.com") */
  command: string;
  /** the action to emphasise */
  primary: boolean;
}

export interface PostureCard {
  kind: 'posture_card';
  domain: string;
  /** "<domain>: grade <X> (<score>/100)" — the line notifications and screen readers get */
  headline: string;
  /** the headline within `maxTitleChars` (a very long domain is elided in the middle; `grade X` is kept) */
  title: string;
  grade: Grade;
  score: number;
  tone: GradeTone;
  checkedAt: string;
  /** counts in words: "2 problems, 1 warning; 1 check could not be run" / "No problems found" */
  summary: string;
  /** one per check, in the report's canonical check order */
  checks: CardCheck[];
  /** fail findings, then warn findings (info left out), at most `maxFindings` */
  findings: CardFinding[];
  /** fail/warn findings left out */
  moreFindings: number;
  /** "+N more" or null */
  moreFindingsText: string | null;
  /** why the report got its grade, one plain line each (empty when the report predates the rubric) */
  reasons: string[];
  actions: CardAction[];
  /** plain-text fallback: headline, summary and the worst finding */
  text: string;
}

export interface CardOptions {
  /** findings shown (default 5) */
  maxFindings?: number;
  /** per check summary (default 150) */
  maxSummaryChars?: number;
  /** per finding message (default 300) */
  maxMessageChars?: number;
  /** per finding fix (default 500) */
  maxFixChars?: number;
  /** `title` (default 150, Slack's header block limit) */
  maxTitleChars?: number;
}

const DEFAULTS: Required<CardOptions> = {
  maxFindings: 5,
  maxSummaryChars: 150,
  maxMessageChars: 300,
  maxFixChars: 500,
  maxTitleChars: 150,
};

/** The CONTRACTS §5 line: "example.com: grade B (82/100)". */
export function cardHeadline(domain: string, g: Grade, score: number): string {
  return `${domain}: grade ${g} (${score}/100)`;
}

function elideMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return max === 1 ? ELLIPSIS : '';
  const keep = max - 1;
  const head = Math.ceil(keep / 2);
  return text.slice(0, head) + ELLIPSIS + text.slice(text.length - (keep - head));
}

function checkOrder(id: string): number {
  const i = (CHECK_IDS as readonly string[]).indexOf(id);
  return i === -1 ? CHECK_IDS.length : i;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** A report as a card model. */
export function buildCard(report: Report, options: CardOptions = {}): PostureCard {
  const o = { ...DEFAULTS, ...options };
  const domain = report.domain;

  const ordered = report.checks
    .map((c, i) => ({ c, i }))
    .sort((a, b) => checkOrder(a.c.id) - checkOrder(b.c.id) || a.i - b.i)
    .map(({ c }) => c);

  const checks: CardCheck[] = ordered.map((c) => ({
    id: c.id,
    name: checkName(c.id),
    status: c.status,
    token: statusToken(c.status),
    summary: truncate(c.summary, o.maxSummaryChars),
  }));

  // Untested checks assert nothing about the domain (CONTRACTS §2): their findings are not
  // problems of the domain, so they stay off the worst-findings list (the grade ignores them too).
  const candidates = ordered
    .filter((c) => c.status !== 'untested')
    .flatMap((c, ci) => c.findings.map((f, fi) => ({ c, f, ci, fi })))
    .filter(({ f }) => f.severity === 'fail' || f.severity === 'warn')
    .sort((a, b) => SEVERITY_RANK[b.f.severity] - SEVERITY_RANK[a.f.severity] || a.ci - b.ci || a.fi - b.fi);

  const folded = foldList(candidates, o.maxFindings);
  const findings: CardFinding[] = folded.shown.map(({ c, f }) => {
    const message = truncate(f.message, o.maxMessageChars);
    const fix = truncate(f.fix, o.maxFixChars);
    return {
      check: c.id,
      checkName: checkName(c.id),
      code: f.code,
      severity: f.severity,
      token: severityToken(f.severity),
      message,
      fix,
      ref: f.ref,
      truncated: message !== f.message || fix !== f.fix,
    };
  });

  const fails = candidates.filter((x) => x.f.severity === 'fail').length;
  const warns = candidates.length - fails;
  const untested = ordered.filter((c) => c.status === 'untested').length;
  const counts: string[] = [];
  if (fails) counts.push(plural(fails, 'problem'));
  if (warns) counts.push(plural(warns, 'warning'));
  let summary = counts.length ? counts.join(', ') : 'No problems found';
  if (untested) summary += `; ${plural(untested, 'check')} could not be run`;

  const worst = candidates[0]?.f;
  const actions: CardAction[] = [
    { kind: 'recheck', label: 'Re-check', domain, command: `check ${domain}`, primary: false },
    worst
      ? {
          kind: 'explain', label: truncate(`Explain ${worst.code}`, 75), domain, code: worst.code, topic: worst.code,
          command: `explain ${worst.code} for ${domain}`, primary: true,
        }
      : { kind: 'explain', label: 'Explain grade', domain, topic: 'grade', command: `explain grade for ${domain}`, primary: false },
    { kind: 'watch', label: 'Watch weekly', domain, command: `watch ${domain}`, primary: false },
    { kind: 'plan', label: 'Fix plan', domain, command: `plan ${domain}`, primary: false },
  ];

  // the reasons are recomputed by the current rubric: show them only when they agree with the report
  const regraded = gradeChecks(report.checks);
  const reasons = regraded.grade === report.grade && regraded.score === report.score ? gradeReasons(regraded) : [];

  const headline = cardHeadline(domain, report.grade, report.score);
  const suffix = `: grade ${report.grade} (${report.score}/100)`;
  const title =
    headline.length <= o.maxTitleChars
      ? headline
      : elideMiddle(domain, Math.max(1, o.maxTitleChars - suffix.length)) + suffix;

  const textLines = [headline, summary];
  if (worst) textLines.push(`Worst: ${truncate(worst.message, o.maxMessageChars)}`);

  return {
    kind: 'posture_card',
    domain,
    headline,
    title,
    grade: report.grade,
    score: report.score,
    tone: gradeTone(report.grade),
    checkedAt: report.checkedAt,
    summary,
    checks,
    findings,
    moreFindings: folded.more,
    moreFindingsText: moreText(folded.more),
    reasons,
    actions,
    text: textLines.join('\n'),
  };
}

// ---------------------------------------------------------------------------------------------
// Action ids (button custom ids / action ids)
// ---------------------------------------------------------------------------------------------

const ACTION_KINDS: readonly CardActionKind[] = ['recheck', 'explain', 'watch', 'plan'];
const ACTION_PREFIX = 'posture';

/**
 * A stable id for a button: `posture:<kind>:<domain>[:<topic>]`. Domains and finding codes
 * contain no `:`. Discord custom ids hold at most 100 characters and Slack action ids 255: pass
 * `maxLength` and get null when the id would not fit (a very long domain), so the adapter can
 * leave that button out.
 */
export function actionId(action: CardAction, maxLength = Infinity): string | null {
  const topic = action.kind === 'explain' ? (action.topic ?? action.code) : undefined;
  const id = [ACTION_PREFIX, action.kind, action.domain, ...(topic ? [topic] : [])].join(':');
  return id.length <= maxLength ? id : null;
}

/** The inverse of `actionId`; null for anything else. */
export function parseActionId(id: string): { kind: CardActionKind; domain: string; topic?: string } | null {
  const parts = id.split(':');
  const [prefix, kind, domain, topic, ...rest] = parts;
  if (prefix !== ACTION_PREFIX || rest.length > 0 || !domain) return null;
  if (!ACTION_KINDS.includes(kind as CardActionKind)) return null;
  const k = kind as CardActionKind;
  if (topic !== undefined && (k !== 'explain' || topic === '')) return null;
  return topic === undefined ? { kind: k, domain } : { kind: k, domain, topic };
}
