import type { FindingCode } from '../../../checker/findings.ts';

/**
 * A finding topic's prose. Its title, severity and reference come from the catalog
 * (`FINDINGS` in src/checker/findings.ts), never from here.
 */
export interface FindingText {
  /** what the finding means */
  means: string;
  /** why it matters */
  matters: string;
  /** how to fix it, in general (the report's own fix is domain-specific) */
  fix: string;
  /** extra lookup words (the code, its title and its spaced-out form match anyway) */
  aliases?: string[];
  /** related topics besides the finding's own control */
  seeAlso?: string[];
}

/** The texts for every finding code of one area, e.g. `AreaTexts<'spf'>`. */
export type AreaTexts<A extends string> = Record<Extract<FindingCode, `${A}.${string}`>, FindingText>;
