import { MAX_URL_PATTERN_TOPIC_LENGTH, UrlPatternMatcher } from './url-pattern';

const compile = (pattern: string) => {
  const compiled = UrlPatternMatcher.compile(pattern);
  if (typeof compiled === 'string') throw new Error(compiled);
  return compiled;
};

describe('UrlPatternMatcher', () => {
  it('matches what the WHATWG algorithm matches: a named group is one segment', () => {
    const books = compile('https://example.com/books/:id');
    expect(books.matches('https://example.com/books/1')).toBe(true);
    expect(books.matches('https://example.com/books/1/reviews')).toBe(false);
    expect(books.matches('https://example.com/books/')).toBe(false);
    expect(books.matches('https://example.org/books/1')).toBe(false);
    expect(books.matches('not a URL')).toBe(false);
    expect(compile('https://example.com/books/*').matches('https://example.com/books/1/reviews/2')).toBe(true);
  });

  it.each([
    ['https://example.com/*a*a*a*b', /one wildcard/],
    ['https://example.com/:a+/*', /one wildcard/],
    ['https://example.com/:a((a+)+)b', /regular expressions/],
    ['https://example.com/:a-:b', /per path segment/],
    ['https://example.com/:a.:b', /per path segment/],
    [`https://example.com/${Array.from({ length: 17 }, (_, i) => `:p${i}`).join('/')}`, /16 named groups/],
    ['https://example.com/:id(', /regular expressions/],
  ])('refuses %s, whose match could backtrack without bound', (pattern, reason) => {
    expect(UrlPatternMatcher.compile(pattern)).toMatch(reason);
  });

  it('never matches a topic longer than the limit', () => {
    const any = compile('https://example.com/*');
    const topic = 'https://example.com/' + 'a'.repeat(MAX_URL_PATTERN_TOPIC_LENGTH);
    expect(any.matches(topic.slice(0, MAX_URL_PATTERN_TOPIC_LENGTH))).toBe(true);
    expect(any.matches(topic)).toBe(false);
  });
});
