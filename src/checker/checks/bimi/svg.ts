/**
 * SVG Tiny Portable/Secure (the BIMI logo profile), checked with a strict
 * streaming XML parser (saxes). The rules are those the research notes list
 * for checkdmarc's `check_svg_requirements` and mailauth's `validate-svg.js`:
 *
 * - well-formed XML; root `<svg>` in the SVG namespace;
 * - `version="1.2"` and `baseProfile="tiny-ps"` on the root;
 * - a `<title>` child of the root;
 * - no `x`/`y` attributes on the root;
 * - no `<script>`, no event-handler attributes, no animation (`animate`,
 *   `animateMotion`, `animateColor`, `animateTransform`, `set`, `discard`),
 *   no `foreignObject`, no multimedia, no `<image>`;
 * - no external references (`href`/`xlink:href` other than `#fragment`,
 *   `url(...)` other than `url(#...)`);
 * - no DOCTYPE that declares entities: entity expansion is how XML bombs
 *   work. saxes never expands DTD-declared entities (a reference to one is a
 *   well-formedness error), so nothing here can blow up; we refuse the
 *   declaration all the same because receivers' parsers may not be so careful;
 * - at most 32 KiB.
 *
 * Squareness comes from `viewBox` (or `width`/`height` when there is none).
 */
import { SaxesParser, type SaxesAttributeNS, type SaxesTagNS } from 'saxes';

export const SVG_NS = 'http://www.w3.org/2000/svg';
export const XLINK_NS = 'http://www.w3.org/1999/xlink';
/** The BIMI size limit for the logo file. */
export const SVG_MAX_BYTES = 32 * 1024;
/**
 * Deeper nesting is refused and parsing stops: saxes resolves namespaces up the element stack, so
 * very deep documents cost quadratic time (a 32 KiB file of "<g>" took a second).
 */
export const SVG_MAX_DEPTH = 256;
const CHUNK = 4096;

const ANIMATION = new Set(['animate', 'animateMotion', 'animateColor', 'animateTransform', 'set', 'discard']);
const MULTIMEDIA = new Set(['video', 'audio', 'iframe', 'canvas']);

export interface SvgFacts {
  bytes: number;
  wellFormed: boolean;
  /** root element as `{namespace}local` or its name */
  root: string | null;
  version: string | null;
  baseProfile: string | null;
  title: string | null;
  viewBox: string | null;
  width: string | null;
  height: string | null;
  /** true / false when known, null when the size cannot be told (no viewBox, relative units) */
  square: boolean | null;
  /** `w×h` the squareness was judged on */
  dimensions: { width: number; height: number; from: 'viewBox' | 'width/height' } | null;
  /** every reason the file is not SVG Tiny PS (empty: it is) */
  problems: string[];
  /** the attribute changes on the root that would fix the root-level problems */
  rootFixes: string[];
}

function attr(tag: SaxesTagNS, local: string): SaxesAttributeNS | undefined {
  return Object.values(tag.attributes).find((a) => a.local === local && a.uri === '');
}

function parseLength(value: string | null): number | null {
  if (value === null) return null;
  // trimmed first and written without ambiguous repeats: the old /\d+\.?\d*/ and /\s*(px)?\s*$/ were quadratic
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)(?:\s*px)?$/i.exec(value.trim());
  return m ? Number(m[1]) : null;
}

function parseViewBox(value: string): { width: number; height: number } | null {
  const nums = value.trim().split(/[\s,]+/).map(Number);
  if (nums.length !== 4 || nums.some((n) => !Number.isFinite(n))) return null;
  const [, , width, height] = nums as [number, number, number, number];
  if (width <= 0 || height <= 0) return null;
  return { width, height };
}

/** Validate an SVG document (bytes as fetched) against SVG Tiny PS. Never throws. */
export function validateSvg(input: string | Buffer): SvgFacts {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const text = buf.toString('utf8');
  const facts: SvgFacts = {
    bytes: buf.length, wellFormed: true, root: null, version: null, baseProfile: null, title: null,
    viewBox: null, width: null, height: null, square: null, dimensions: null, problems: [], rootFixes: [],
  };
  const problems = new Set<string>();
  const add = (p: string) => problems.add(p);
  if (buf.length > SVG_MAX_BYTES) add(`the file is ${buf.length} bytes; BIMI allows at most ${SVG_MAX_BYTES} bytes (32 KiB)`);
  if (buf.length >= 2 && ((buf[0] === 0x1f && buf[1] === 0x8b))) {
    add('the file is gzip-compressed; serve the plain SVG');
    facts.wellFormed = false;
    facts.problems = [...problems];
    return facts;
  }

  let firstError: string | null = null;
  let depth = 0;
  let tooDeep = false;
  let rootSeen = false;
  let inRootTitle = false;
  let titleText = '';
  let titleFound = false;
  let styleDepth = 0;
  let styleText = '';
  const parser = new SaxesParser({ xmlns: true, position: true });

  parser.on('error', (err) => {
    if (firstError === null) firstError = err.message;
  });
  parser.on('doctype', (doctype) => {
    if (/<!ENTITY/i.test(doctype)) {
      add('the DOCTYPE declares entities (<!ENTITY …>); entity declarations are refused (they enable "billion laughs" XML bombs) — remove the DOCTYPE');
    } else if (doctype.includes('[')) {
      add('the DOCTYPE has an internal subset; remove the DOCTYPE');
    }
  });
  parser.on('opentag', (tag) => {
    const t = tag as SaxesTagNS;
    depth++;
    if (depth > SVG_MAX_DEPTH) tooDeep = true;
    if (depth === 1) {
      rootSeen = true;
      facts.root = t.uri ? `{${t.uri}}${t.local}` : t.name;
      if (t.local !== 'svg' || t.uri !== SVG_NS) {
        add(t.local === 'svg'
          ? `the root <svg> is not in the SVG namespace (it needs xmlns="${SVG_NS}")`
          : `the root element is <${t.name}>, not <svg>`);
        if (t.local === 'svg') facts.rootFixes.push(`add xmlns="${SVG_NS}"`);
      }
      facts.version = attr(t, 'version')?.value ?? null;
      facts.baseProfile = attr(t, 'baseProfile')?.value ?? null;
      facts.viewBox = attr(t, 'viewBox')?.value ?? null;
      facts.width = attr(t, 'width')?.value ?? null;
      facts.height = attr(t, 'height')?.value ?? null;
      if (facts.version !== '1.2') {
        add(facts.version === null ? 'the root <svg> has no version="1.2"' : `the root <svg> has version="${facts.version}", not "1.2"`);
        facts.rootFixes.push('set version="1.2"');
      }
      if (facts.baseProfile !== 'tiny-ps') {
        add(facts.baseProfile === null ? 'the root <svg> has no baseProfile="tiny-ps"' : `the root <svg> has baseProfile="${facts.baseProfile}", not "tiny-ps"`);
        facts.rootFixes.push('set baseProfile="tiny-ps"');
      }
      for (const xy of ['x', 'y']) {
        if (attr(t, xy)) {
          add(`the root <svg> has an ${xy}= attribute, which SVG Tiny PS forbids`);
          facts.rootFixes.push(`remove ${xy}="${attr(t, xy)?.value ?? ''}"`);
        }
      }
    } else if (depth === 2 && t.local === 'title' && t.uri === SVG_NS && !titleFound) {
      titleFound = true;
      inRootTitle = true;
    }
    if (t.local === 'style' && t.uri === SVG_NS && styleDepth === 0) styleDepth = depth;
    checkElement(t, add);
  });
  const onText = (s: string) => {
    if (inRootTitle) titleText += s;
    if (styleDepth > 0) styleText += s;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', () => {
    if (depth === 2 && inRootTitle) inRootTitle = false;
    if (depth === styleDepth) {
      styleDepth = 0;
      checkStyleSheet(styleText, add);
      styleText = '';
    }
    depth--;
  });

  try {
    // in chunks, so that a document nested too deep stops being parsed early
    for (let i = 0; i < text.length && !tooDeep; i += CHUNK) parser.write(text.slice(i, i + CHUNK));
    if (!tooDeep) parser.close();
  } catch (err) {
    if (firstError === null) firstError = (err as Error).message;
  }
  if (tooDeep) {
    facts.wellFormed = false;
    add(`elements are nested more than ${SVG_MAX_DEPTH} levels deep; the file was not read further`);
  }
  if (firstError !== null) {
    facts.wellFormed = false;
    add(`the file is not well-formed XML: ${firstError}`);
  }
  if (!rootSeen) {
    if (firstError === null) add('the file has no root element');
  } else if (!titleFound) {
    add('the root <svg> has no <title> child (SVG Tiny PS requires one, naming the brand)');
  } else {
    facts.title = titleText.trim();
    if (facts.title === '') add('the <title> is empty; it should name the brand');
  }

  // squareness
  const vb = facts.viewBox !== null ? parseViewBox(facts.viewBox) : null;
  if (facts.viewBox !== null && vb === null) add(`the viewBox "${facts.viewBox}" is not four numbers with a positive width and height`);
  if (vb) {
    facts.dimensions = { ...vb, from: 'viewBox' };
  } else {
    const w = parseLength(facts.width);
    const h = parseLength(facts.height);
    if (w !== null && h !== null && w > 0 && h > 0) facts.dimensions = { width: w, height: h, from: 'width/height' };
  }
  facts.square = facts.dimensions ? Math.abs(facts.dimensions.width - facts.dimensions.height) < 1e-9 : null;
  facts.problems = [...problems];
  return facts;
}

function checkElement(t: SaxesTagNS, add: (p: string) => void): void {
  const local = t.local;
  const svg = t.uri === SVG_NS;
  if (svg && local === 'script') add('it contains a <script> element');
  if (svg && ANIMATION.has(local)) add(`it contains animation (<${local}>)`);
  if (svg && local === 'foreignObject') add('it contains a <foreignObject> element');
  if (svg && local === 'image') add('it contains an <image> element (embedded or external raster images are not allowed)');
  if (svg && MULTIMEDIA.has(local)) add(`it contains multimedia (<${local}>)`);
  for (const a of Object.values(t.attributes)) {
    if (a.prefix === 'xmlns' || a.name === 'xmlns') continue;
    if (a.uri === '' && /^on/i.test(a.local)) add(`the <${t.name}> element has an event handler (${a.name}=), i.e. script`);
    if (a.local === 'href' && (a.uri === '' || a.uri === XLINK_NS) && !a.value.trim().startsWith('#')) {
      add(`the <${t.name}> element references an external resource (${a.name}="${truncate(a.value)}")`);
    }
    const url = /url\(\s*['"]?([^'")\s]*)/i.exec(a.value);
    if (url && !(url[1] ?? '').startsWith('#')) {
      add(`the <${t.name}> element references an external resource (${a.name} uses url(${truncate(url[1] ?? '')}))`);
    }
  }
}

/** A <style> sheet may pull in external resources too. */
function checkStyleSheet(css: string, add: (p: string) => void): void {
  if (/@import/i.test(css)) add('a <style> sheet uses @import (an external reference)');
  for (const m of css.matchAll(/url\(\s*['"]?([^'")\s]*)/gi)) {
    if (!(m[1] ?? '').startsWith('#')) add(`a <style> sheet references an external resource (url(${truncate(m[1] ?? '')}))`);
  }
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}
