import { formEncode } from './form-urlencoded';

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

describe('formEncode', () => {
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

  it('turns what is not a string into one, as URLSearchParams does', () => {
    expect(formEncode(1500 as unknown as string)).toBe('1500');
    expect(formEncode(null as unknown as string)).toBe('null');
  });
});
