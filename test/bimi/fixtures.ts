/** SVG fixtures shared by the BIMI tests. */
export const GOOD_SVG = '<?xml version="1.0" encoding="UTF-8"?>\n'
  + '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.2" baseProfile="tiny-ps" viewBox="0 0 100 100">'
  + '<title>Example Brand</title><defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs>'
  + '<rect width="100" height="100" fill="url(#g)"/><use xlink:href="#g"/></svg>\n';

export const WIDE_SVG = GOOD_SVG.replace('viewBox="0 0 100 100"', 'viewBox="0 0 200 100"');

export const UNTITLED_SVG = '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 10 10"><script>alert(1)</script></svg>';

export const BOMB_SVG = '<?xml version="1.0"?>\n<!DOCTYPE svg [\n<!ENTITY a "aaaaaaaaaa">\n'
  + Array.from({ length: 9 }, (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`).join('\n')
  + '\n]>\n<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" viewBox="0 0 10 10"><title>&j;</title></svg>';
