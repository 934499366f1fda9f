/**
 * Answers: `explain(query, report?)` turns a topic query (and optionally a domain's report) into
 * the neutral `ExplainResult`; `parseExplainRequest` splits "mta-sts for example.com" as typed
 * in chat or on the command line.
 */
import { grade as gradeChecks } from '../checker/grade.ts';
import { isFindingCode } from '../checker/findings.ts';
import type { Finding, Report } from '../checker/types.ts';
import { resolveTopic } from './lookup.ts';
import type { ExplainRequest, ExplainResult, ExplanationContext, Topic, TopicView } from './types.ts';

function view(t: Topic): TopicView {
  return {
    id: t.id,
    kind: t.kind,
    title: t.title,
    body: t.body,
    refs: [...t.refs],
    ...(t.severity ? { severity: t.severity } : {}),
    seeAlso: [...t.seeAlso],
  };
}

const copy = (f: Finding): Finding => ({ ...f });

function controlContext(t: Topic, report: Report, base: Pick<ExplanationContext, 'domain' | 'grade' | 'score'>): ExplanationContext {
  const check = report.checks.find((c) => c.id === t.check);
  if (!check) {
    return { ...base, ...(t.check ? { check: t.check } : {}), summary: `The report for ${report.domain} has no ${t.check} check.`, findings: [] };
  }
  return { ...base, check: check.id, status: check.status, summary: check.summary, findings: check.findings.map(copy) };
}

function findingContext(t: Topic, report: Report, base: Pick<ExplanationContext, 'domain' | 'grade' | 'score'>): ExplanationContext {
  const hits = report.checks.flatMap((c) => c.findings.filter((f) => f.code === t.code).map((f) => ({ check: c, finding: f })));
  const first = hits[0];
  if (first) {
    return {
      ...base,
      check: first.check.id,
      status: first.check.status,
      summary: first.check.summary,
      findings: hits.map((h) => copy(h.finding)),
      present: true,
    };
  }
  const owner = t.check ? report.checks.find((c) => c.id === t.check) : undefined;
  if (owner) {
    return { ...base, check: owner.id, status: owner.status, summary: owner.summary, findings: [], present: false };
  }
  return { ...base, summary: `No check of ${report.domain} reported ${t.id}.`, findings: [], present: false };
}

function gradeContext(report: Report, base: Pick<ExplanationContext, 'domain' | 'grade' | 'score'>): ExplanationContext {
  const caps = gradeChecks(report.checks).breakdown.caps;
  const capCodes = new Set<string>(caps.map((c) => c.code));
  const titles = [...new Set(caps.map((c) => `at most ${c.grade}: ${c.title}`))];
  const findings = report.checks.flatMap((c) => c.findings.filter((f) => capCodes.has(f.code)).map(copy));
  let summary = `${report.domain} scores ${report.score} (grade ${report.grade}).`;
  if (titles.length > 0) summary += ` Capped ${titles.join('; ')}.`;
  return { ...base, summary, findings };
}

/** Explain a topic; with a report, add what that domain's report says about it. */
export function explain(query: string, report?: Report): ExplainResult {
  const r = resolveTopic(query);
  if (!r.topic) return { kind: 'not_found', query, suggestions: r.suggestions };
  const topic = r.topic;
  if (!report) return { kind: 'explanation', topic: view(topic) };
  const base = { domain: report.domain, grade: report.grade, score: report.score };
  const context =
    topic.kind === 'control'
      ? controlContext(topic, report, base)
      : topic.kind === 'finding'
        ? findingContext(topic, report, base)
        : gradeContext(report, base);
  return { kind: 'explanation', topic: view(topic), context };
}

/**
 * Split "mta-sts for example.com" into topic and domain. The domain is the single word after the
 * last " for "; it must contain a dot (so "explain policies for subdomains" stays a topic) and must
 * not be a finding code. The domain is returned as typed (validate it with `normalizeDomain`).
 */
export function parseExplainRequest(text: string): ExplainRequest {
  const s = text.trim();
  const m = /^(?:(.*?)\s+)?for\s+(\S+)\s*$/is.exec(s);
  if (m) {
    const topic = (m[1] ?? '').trim();
    // chat markup (Slack's <http://x|x> links) is undone by the chat layer before this is called
    const domain = m[2]!.replace(/^["'`]+|["'`]+$/g, '').replace(/[?!,;:]+$/, '');
    if (/[^.]\.[^.]/.test(domain) && !isFindingCode(domain)) return { topic, domain };
  }
  return { topic: s };
}
