import { MAX_URL_PATTERN_TOPIC_LENGTH, UrlPatternMatcher, urlKeyOf, urlPatternPrefix } from './url-pattern';

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

describe('urlPatternPrefix (the index skips patterns a topic cannot match)', () => {
  it.each([
    ['https://example.com/books/:id', 'https://example.com/books'],
    ['HTTPS://Example.COM:443/books/*', 'https://example.com/books'],
    ['http://example.com:8080/a/b', 'http://example.com:8080/a/b'],
    ['https://example.com/a/./b/:id', 'https://example.com'],
    ['https://:sub.example.com/x', 'https://'],
    ['https://user@example.com/x', 'https://'],
    ['urn\\:book\\:*', ''],
    ['https://example.com', 'https://example.com'],
    ['https://example.com/books{/:id}?', 'https://example.com/books'],
  ])('%s starts every match with %s', (pattern, prefix) => {
    expect(urlPatternPrefix(pattern)).toBe(prefix);
  });

  // Every topic a pattern matches has a key starting with the pattern's prefix.
  const patterns = [
    'https://example.com/books/:id',
    'https://example.com/books/:id?',
    'https://example.com/books/*',
    'https://example.com/books{/:id}?',
    'https://example.com/books/:id/reviews/:r',
    'HTTPS://EXAMPLE.com:443/books/:id',
    'http://example.com:8080/*',
    'https://example.com/caf%C3%A9/:id',
    'https://example.com/a/../books/:id',
    'https://user@example.com/*',
  ];
  const topics = [
    'https://example.com/books/1',
    'https://example.com/books',
    'https://example.com/books/',
    'https://EXAMPLE.com:443/books/1',
    'https://example.com/books/1/reviews/2',
    'http://example.com:8080/x',
    'https://example.com/café/1',
    'https://example.com/caf%C3%A9/1',
    'https://example.com/a/../books/1',
    'https://example.com/./books/1',
    'https://user:pw@example.com/books/1',
    'https://example.com/books/1?x=1#y',
    'urn:books:1',
  ];
  it('never rules out a topic the pattern matches', () => {
    for (const pattern of patterns) {
      const matcher = UrlPatternMatcher.compile(pattern);
      if (typeof matcher === 'string') throw new Error(matcher);
      const prefix = urlPatternPrefix(pattern);
      for (const topic of topics) {
        if (matcher.matches(topic)) expect([pattern, topic, urlKeyOf(topic).startsWith(prefix)]).toEqual([pattern, topic, true]);
      }
    }
  });
});
