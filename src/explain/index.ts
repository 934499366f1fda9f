/** The explain knowledge base (DESIGN `src/explain/`): topics, lookup, contextual answers, text rendering. */
export { explain, parseExplainRequest } from './explain.ts';
export { findTopic, resolveTopic, normalizeQuery, editDistance } from './lookup.ts';
export { listTopics, getTopic, TOPICS } from './catalog.ts';
export { renderExplanation } from './render.ts';
export type {
  ExplainRequest, ExplainResult, ExplanationContext, Topic, TopicKind, TopicListEntry, TopicView,
} from './types.ts';
