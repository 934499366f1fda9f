/** `posture explain TOPIC [for DOMAIN]` (CONTRACTS §1). */
import { normalizeDomain } from '../checker/domain.ts';
import type { Report } from '../checker/types.ts';
import { explain, listTopics, parseExplainRequest, renderExplanation, type ExplainResult } from '../explain/index.ts';
import { UsageError, type CliIo } from './io.ts';

export const EXPLAIN_USAGE = `usage: posture explain TOPIC [for DOMAIN] [--json]
  TOPIC      a control (mx, null-mx, spf, dkim, dmarc, mta-sts, tls-rpt, dnssec, dane, bimi,
             starttls), a finding code (e.g. spf.too_many_lookups) or "grade"
  for DOMAIN check DOMAIN and add what its report says about the topic
  --json     print the answer as JSON
  posture explain topics   lists every topic`;

export interface ExplainDeps {
  /** runs a full check of one domain (wired to the real checker by src/cli.ts) */
  checkDomain?: (domain: string) => Promise<Report>;
}

function topicList(): string {
  const entries = listTopics();
  const w = Math.max(...entries.map((e) => e.id.length));
  return entries.map((e) => `${e.id.padEnd(w)}  ${e.title}`).join('\n');
}

export async function runExplain(argv: string[], io: CliIo, deps: ExplainDeps = {}): Promise<number> {
  let json = false;
  const words: string[] = [];
  for (const a of argv) {
    if (a === '--json') json = true;
    else if (a === '--help' || a === '-h') {
      io.stdout.write(`${EXPLAIN_USAGE}\n`);
      return 0;
    } else if (a === '--') continue;
    else if (/^--?[a-z]/i.test(a)) throw new UsageError(`explain: unknown option "${a}" (see posture explain --help)`);
    else words.push(a);
  }

  const request = parseExplainRequest(words.join(' '));
  const topicQuery = request.topic.trim();
  if (!topicQuery) throw new UsageError('explain needs a topic, e.g. posture explain mta-sts (posture explain topics lists them)');

  if (request.domain === undefined && /^(topics|list|all)$/i.test(topicQuery)) {
    io.stdout.write(json ? `${JSON.stringify(listTopics(), null, 2)}\n` : `${topicList()}\n`);
    return 0;
  }

  // Resolve the topic before any network work: an unknown topic costs nothing.
  const bare = explain(topicQuery);
  if (bare.kind === 'not_found') {
    const hint = bare.suggestions.length > 0 ? `; did you mean ${bare.suggestions.join(', ')}?` : ' (posture explain topics lists them)';
    io.stderr.write(`posture: no explanation for "${topicQuery}"${hint}\n`);
    return 2;
  }

  let model: ExplainResult = bare;
  if (request.domain !== undefined) {
    const d = normalizeDomain(request.domain);
    if (!d.ok) throw new UsageError(d.error);
    if (!deps.checkDomain) throw new Error('explain … for DOMAIN: no checker is wired in');
    const report = await deps.checkDomain(d.domain);
    model = explain(topicQuery, report);
  }

  io.stdout.write(json ? `${JSON.stringify(model, null, 2)}\n` : `${renderExplanation(model)}\n`);
  return 0;
}
