/**
 * The explain knowledge base's data model (DESIGN `src/explain/`).
 *
 * A topic is one control, one finding code (CONTRACTS §3) or the grade rubric. The answer to
 * "explain X [for DOMAIN]" is a platform-neutral `ExplainResult`: the CLI renders it as plain
 * text (`renderExplanation`), chat adapters render the same model their own way.
 */
import type { FindingCode } from '../checker/findings.ts';
import type { CheckId, CheckStatus, Finding, Grade, Severity } from '../checker/types.ts';

export type TopicKind = 'control' | 'finding' | 'grade';

/** A topic as the knowledge base holds it (with its lookup aliases). */
export interface Topic {
  /** stable id: a control (`mta-sts`), a finding code (`spf.too_many_lookups`) or `grade` */
  id: string;
  kind: TopicKind;
  title: string;
  /** plain English; control and finding bodies are at most 150 words */
  body: string;
  /** the specification sections it rests on */
  refs: string[];
  /** other words people use for it (matched after normalisation) */
  aliases: string[];
  /** the report check that gives a contextual answer (control topics; finding topics other than dns.*) */
  check?: CheckId;
  /** finding topics: the code */
  code?: FindingCode;
  /** finding topics: the catalog's default severity */
  severity?: Severity;
  /** ids of related topics (a finding's control first) */
  seeAlso: string[];
}

/** A topic as an answer carries it. */
export interface TopicView {
  id: string;
  kind: TopicKind;
  title: string;
  body: string;
  refs: string[];
  severity?: Severity;
  seeAlso: string[];
}

/** What the domain's report says about the topic. */
export interface ExplanationContext {
  domain: string;
  grade: Grade;
  score: number;
  /** the check the answer draws on (absent for `grade` and for dns.* findings the domain does not have) */
  check?: CheckId;
  /** that check's status */
  status?: CheckStatus;
  /** control topics: the check's summary; finding topics: the summary of the check involved; grade: a one-line verdict */
  summary: string;
  /**
   * control topics: the check's findings; finding topics: the domain's findings with this code
   * (empty when it does not have it); grade: the findings that cap the grade. Each with its
   * domain-specific message and fix.
   */
  findings: Finding[];
  /** finding topics: whether the domain has this finding */
  present?: boolean;
}

export type ExplainResult =
  | { kind: 'explanation'; topic: TopicView; context?: ExplanationContext }
  | { kind: 'not_found'; query: string; suggestions: string[] };

export interface ExplainRequest {
  topic: string;
  domain?: string;
}

export interface TopicListEntry {
  id: string;
  title: string;
  kind: TopicKind;
}
