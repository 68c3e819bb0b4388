import { FormWriter } from './form-urlencoded';

const writer = new FormWriter();

/** One value through the writer, as text. */
function formEncode(value: string): string {
  return writer.start().field('v', value).finish().toString('latin1').slice('v='.length);
}

/** What the serializer must match: the standard one, through `URLSearchParams`. */
function reference(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('FormWriter', () => {
  it.each([
    ['empty', ''],
    ['plain', 'abcXYZ019'],
    ['kept punctuation', '*-._'],
    ['form delimiters', 'a&b=c+d'],
    ['spaces', ' a  b '],
    ['newlines and tabs', 'line 1\nline 2\r\n\tend'],
    ['URL characters', 'https://example.com/books/{id}?a=1&b=2#frag'],
    ['what encodeURIComponent keeps', "~!'()"],
    ['percent signs', '100% %41'],
    ['all ASCII', Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join('')],
    ['two-byte UTF-8', 'é à ß ÿ ǅ'],
    ['three-byte UTF-8', '€ 中文 日本語 \u0800 \uffff \ud7ff \ue000'],
    ['four-byte UTF-8 (surrogate pairs)', '😀 𝄞 \u{10000} \u{10ffff}'],
    ['lone surrogates', 'a\ud800b \udc00 \ud83d \ude00\ud83d'],
    ['a trailing high surrogate', 'end\ud800'],
    ['JSON', JSON.stringify({ '@id': '/books/1', title: 'Le Petit Prince', price: 9.5, tags: ['a&b', 'c=d'] })],
  ])('writes what URLSearchParams writes: %s', (_, value) => {
    expect(formEncode(value)).toBe(reference(value));
  });

  it('writes what URLSearchParams writes for random strings over all UTF-16 code units', () => {
    const next = random(13);
    const alphabet = ['a', 'Z', '5', '*', '-', '.', '_', ' ', '&', '=', '+', '%', '\n', 'é', '€', '\ud83d', '\ude00', '😀'];
    for (let n = 0; n < 2000; n++) {
      let value = '';
      const length = Math.floor(next() * 24);
      for (let i = 0; i < length; i++) {
        // Half the time a tricky character, otherwise any code unit (lone surrogates included).
        value += next() < 0.5 ? alphabet[Math.floor(next() * alphabet.length)] : String.fromCharCode(Math.floor(next() * 0x10000));
      }
      expect([value, formEncode(value)]).toEqual([value, reference(value)]);
    }
  });

  it('joins fields with & and starts afresh after finish()', () => {
    const first = writer.start().field('topic', 'a b').field('topic', 'é').field('data', '').finish();
    expect(first.toString('latin1')).toBe(new URLSearchParams([['topic', 'a b'], ['topic', 'é'], ['data', '']]).toString());
    const second = writer.start().field('data', 'x').finish();
    expect(second.toString('latin1')).toBe('data=x');
    // Each body is its own copy: the next one does not overwrite it.
    expect(first.toString('latin1')).toBe('topic=a+b&topic=%C3%A9&data=');
  });

  it('grows for a large value, and gives the room back afterwards', () => {
    const large = 'é€😀 &'.repeat(40_000);
    expect(writer.start().field('data', large).finish().toString('latin1')).toBe(`data=${reference(large)}`);
    expect(writer.start().field('data', 'small').finish().toString('latin1')).toBe('data=small');
    expect((writer as unknown as { bytes: Buffer }).bytes.length).toBeLessThanOrEqual(64 * 1024);
  });

  it('keeps its room for updates of tens of KB, instead of growing it again for each', () => {
    const room = () => (writer as unknown as { bytes: Buffer }).bytes;
    const document = JSON.stringify({ items: Array.from({ length: 1_000 }, (_, i) => `/books/${i}`) }); // ~15 KB
    writer.start().field('data', document).finish();
    const grown = room();
    expect(writer.start().field('data', document).finish().toString('latin1')).toBe(`data=${reference(document)}`);
    expect(room()).toBe(grown);
  });

  it('turns what is not a string into one, as URLSearchParams does', () => {
    expect(formEncode(1500 as unknown as string)).toBe('1500');
    expect(formEncode(null as unknown as string)).toBe('null');
  });
});
