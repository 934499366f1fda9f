/**
 * The knowledge base: every topic, built once from the data in `topics/`. Finding topics take
 * their title, severity and reference from the checker's catalog (`FINDINGS`); only their prose
 * lives here.
 */
import { FINDINGS, FINDING_CODES, type FindingCode } from '../checker/findings.ts';
import { RUBRIC } from '../checker/grade.ts';
import type { CheckId } from '../checker/types.ts';
import { CONTROLS, type ControlText } from './topics/controls.ts';
import { FINDING_TEXTS, type FindingText } from './topics/findings/index.ts';
import { GRADE_TOPIC } from './topics/grade.ts';
import type { Topic, TopicListEntry } from './types.ts';

/** The report check that reports a finding area (`dns.*` findings can appear on any check). */
const AREA_CHECK: Record<string, CheckId | undefined> = {
  mx: 'mx', spf: 'spf', dkim: 'dkim', dmarc: 'dmarc', mta_sts: 'mta_sts', tls_rpt: 'tls_rpt',
  dnssec: 'dnssec', dane: 'dane', bimi: 'bimi', starttls: 'starttls',
};

/** Null-MX findings belong to the null-mx control topic rather than the general mx one. */
const NULL_MX_CODES = new Set<FindingCode>(['mx.null_mx', 'mx.null_mx_with_other_mx', 'mx.null_mx_but_sending']);

function controlBody(c: ControlText): string {
  return `${c.what}\n\nHow it works: ${c.how}\n\nDeploying it safely: ${c.deploy}`;
}

/**
 * What the published rubric does with a finding, read from the rubric itself so the two cannot
 * drift apart (src/checker/grade.ts).
 */
export function gradeEffect(code: FindingCode): string | undefined {
  const caps = RUBRIC.caps.filter((c) => c.codes.includes(code));
  const tightest = caps.sort((x, y) => x.maxScore - y.maxScore)[0];
  if (tightest) return `the grade is at most ${tightest.grade}, however well the rest scores.`;
  const name = (id: CheckId): string => RUBRIC.controls.find((c) => c.id === id)?.name ?? id;
  if (code === RUBRIC.nullMx.trigger) {
    return `${RUBRIC.nullMx.notApplicable.map(name).join(', ')} do not apply to a domain that accepts no mail; they neither earn nor lose points.`;
  }
  const neutral = RUBRIC.controls.find((c) => c.neutralCodes.includes(code));
  if (neutral) {
    return `on its own it neither earns nor loses points${neutral.role === 'bonus' ? `; ${neutral.name} is a bonus control` : ''}.`;
  }
  const points = RUBRIC.findingPoints[code];
  const check = AREA_CHECK[code.slice(0, code.indexOf('.'))];
  if (points !== undefined && check) return `${name(check)} earns at most ${Math.round(points * 100)}% of its points.`;
  return undefined;
}

function findingBody(code: FindingCode, t: FindingText): string {
  const effect = gradeEffect(code);
  const grade = effect ? `\n\nGrade: ${effect}` : '';
  return `${t.means}\n\nWhy it matters: ${t.matters}${grade}\n\nHow to fix it: ${t.fix}`;
}

/** The control topic id for a check id (mta_sts → mta-sts). */
export function controlTopicId(check: CheckId): string {
  return check.replaceAll('_', '-');
}

function controlTopicFor(code: FindingCode): string | undefined {
  if (NULL_MX_CODES.has(code)) return 'null-mx';
  const check = AREA_CHECK[code.slice(0, code.indexOf('.'))];
  return check === undefined ? undefined : controlTopicId(check);
}

function buildTopics(): Topic[] {
  const topics: Topic[] = [];
  for (const c of CONTROLS) {
    topics.push({
      id: c.id,
      kind: 'control',
      title: c.title,
      body: controlBody(c),
      refs: [...c.refs],
      aliases: [...c.aliases],
      check: c.check,
      seeAlso: [...c.seeAlso],
    });
  }
  topics.push({
    id: GRADE_TOPIC.id,
    kind: 'grade',
    title: GRADE_TOPIC.title,
    body: GRADE_TOPIC.body(),
    refs: GRADE_TOPIC.refs(),
    aliases: [...GRADE_TOPIC.aliases],
    seeAlso: [],
  });
  for (const code of FINDING_CODES) {
    const info = FINDINGS[code];
    const text = FINDING_TEXTS[code];
    const control = controlTopicFor(code);
    const seeAlso = [...new Set([...(control ? [control] : []), ...(text.seeAlso ?? [])])];
    const check = AREA_CHECK[code.slice(0, code.indexOf('.'))];
    topics.push({
      id: code,
      kind: 'finding',
      title: info.title,
      body: findingBody(code, text),
      refs: [info.ref],
      aliases: [...(text.aliases ?? [])],
      ...(check ? { check } : {}),
      code,
      severity: info.severity,
      seeAlso,
    });
  }
  return topics;
}

export const TOPICS: readonly Topic[] = buildTopics();

const BY_ID = new Map(TOPICS.map((t) => [t.id, t]));

export function getTopic(id: string): Topic | undefined {
  return BY_ID.get(id);
}

/** Every topic's id, title and kind: controls first, then grade, then findings in catalog order. */
export function listTopics(): TopicListEntry[] {
  return TOPICS.map((t) => ({ id: t.id, title: t.title, kind: t.kind }));
}
