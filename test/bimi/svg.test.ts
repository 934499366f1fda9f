import { describe, expect, it } from 'vitest';
import { validateSvg } from '../../src/checker/checks/bimi/svg.ts';
import { GOOD_SVG } from './fixtures.ts';

function svg(attrs: string, body = '<title>Brand</title>'): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ${attrs}>${body}</svg>`;
}
const ROOT = 'version="1.2" baseProfile="tiny-ps" viewBox="0 0 64 64"';

describe('validateSvg: SVG Tiny PS', () => {
  it('accepts a square, titled Tiny PS logo with internal references only', () => {
    const f = validateSvg(GOOD_SVG);
    expect(f.problems).toEqual([]);
    expect(f).toMatchObject({ wellFormed: true, version: '1.2', baseProfile: 'tiny-ps', title: 'Example Brand', viewBox: '0 0 100 100', square: true });
    expect(f.bytes).toBe(Buffer.byteLength(GOOD_SVG));
  });

  it('reports version, baseProfile, title and x/y problems with the root fixes', () => {
    const f = validateSvg(svg('version="1.1" x="0" y="10" viewBox="0 0 64 64"', '<g/>'));
    expect(f.problems).toEqual(expect.arrayContaining([
      'the root <svg> has version="1.1", not "1.2"',
      'the root <svg> has no baseProfile="tiny-ps"',
      'the root <svg> has an x= attribute, which SVG Tiny PS forbids',
      'the root <svg> has an y= attribute, which SVG Tiny PS forbids',
      'the root <svg> has no <title> child (SVG Tiny PS requires one, naming the brand)',
    ]));
    expect(f.rootFixes).toEqual(['set version="1.2"', 'set baseProfile="tiny-ps"', 'remove x="0"', 'remove y="10"']);
  });

  it('a <title> nested deeper than the root does not count', () => {
    const f = validateSvg(svg(ROOT, '<g><title>Brand</title></g>'));
    expect(f.problems.some((p) => p.includes('no <title> child'))).toBe(true);
  });

  it('an empty title is a problem', () => {
    expect(validateSvg(svg(ROOT, '<title>  </title>')).problems).toContain('the <title> is empty; it should name the brand');
  });

  it('requires the SVG namespace on the root', () => {
    const f = validateSvg(`<svg ${ROOT}><title>B</title></svg>`);
    expect(f.problems.some((p) => p.includes('not in the SVG namespace'))).toBe(true);
    expect(validateSvg(`<html xmlns="http://www.w3.org/1999/xhtml"/>`).problems).toContain('the root element is <html>, not <svg>');
  });

  it.each([
    ['<script>alert(1)</script>', 'it contains a <script> element'],
    ['<animate attributeName="x"/>', 'it contains animation (<animate>)'],
    ['<animateMotion/>', 'it contains animation (<animateMotion>)'],
    ['<animateColor/>', 'it contains animation (<animateColor>)'],
    ['<animateTransform/>', 'it contains animation (<animateTransform>)'],
    ['<set attributeName="x" to="1"/>', 'it contains animation (<set>)'],
    ['<foreignObject><div xmlns="http://www.w3.org/1999/xhtml"/></foreignObject>', 'it contains a <foreignObject> element'],
    ['<image width="1" height="1" xlink:href="data:image/png;base64,AAAA"/>', 'it contains an <image> element (embedded or external raster images are not allowed)'],
  ])('refuses %s', (body, problem) => {
    expect(validateSvg(svg(ROOT, `<title>B</title>${body}`)).problems).toContain(problem);
  });

  it('refuses external references in href, xlink:href, url() and <style>', () => {
    const f = validateSvg(svg(ROOT, '<title>B</title><use href="https://evil.test/x.svg#a"/><use xlink:href="other.svg#b"/>'
      + '<rect fill="url(https://evil.test/p.svg#p)"/><style>@import url(https://evil.test/a.css);</style><rect onclick="x()"/>'));
    expect(f.problems).toEqual(expect.arrayContaining([
      'the <use> element references an external resource (href="https://evil.test/x.svg#a")',
      'the <use> element references an external resource (xlink:href="other.svg#b")',
      'the <rect> element references an external resource (fill uses url(https://evil.test/p.svg#p))',
      'a <style> sheet uses @import (an external reference)',
      'the <rect> element has an event handler (onclick=), i.e. script',
    ]));
  });

  it('refuses entity declarations (billion laughs) quickly, without expanding anything', () => {
    const bomb = '<?xml version="1.0"?>\n<!DOCTYPE svg [\n<!ENTITY a "aaaaaaaaaa">\n'
      + Array.from({ length: 9 }, (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`).join('\n')
      + `\n]>\n${svg(ROOT, '<title>&j;</title>')}`;
    const t0 = performance.now();
    const f = validateSvg(bomb);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(f.problems.some((p) => p.includes('declares entities'))).toBe(true);
    expect(f.wellFormed).toBe(false); // &j; is undefined for a parser that does not expand DTD entities
  });

  it('reports malformed XML', () => {
    const f = validateSvg('<svg xmlns="http://www.w3.org/2000/svg"><title>B</title>');
    expect(f.wellFormed).toBe(false);
    expect(f.problems.some((p) => p.startsWith('the file is not well-formed XML'))).toBe(true);
    expect(validateSvg('').problems.some((p) => p.startsWith('the file is not well-formed XML'))).toBe(true);
  });

  it('flags files over 32 KiB', () => {
    const big = svg(ROOT, `<title>B</title><!--${'x'.repeat(33_000)}-->`);
    expect(validateSvg(big).problems.some((p) => p.includes('BIMI allows at most 32768 bytes'))).toBe(true);
  });

  it('tells squareness from viewBox, else width/height, else not at all', () => {
    expect(validateSvg(svg('version="1.2" baseProfile="tiny-ps" viewBox="0,0,200,100"'))).toMatchObject({ square: false, dimensions: { width: 200, height: 100, from: 'viewBox' } });
    expect(validateSvg(svg('version="1.2" baseProfile="tiny-ps" width="64px" height="64"'))).toMatchObject({ square: true, dimensions: { from: 'width/height' } });
    expect(validateSvg(svg('version="1.2" baseProfile="tiny-ps" width="100%" height="100%"'))).toMatchObject({ square: null, dimensions: null });
    expect(validateSvg(svg('version="1.2" baseProfile="tiny-ps" viewBox="0 0 0 10"')).problems.some((p) => p.includes('viewBox'))).toBe(true);
  });
});
