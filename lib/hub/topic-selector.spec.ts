import { TopicSelectorStore } from './topic-selector';

describe('TopicSelectorStore', () => {
  const store = new TopicSelectorStore();

  it('matches every topic with *', () => {
    expect(store.matches('*', 'https://example.com/books/1')).toBe(true);
    expect(store.matches('*', 'anything')).toBe(true);
  });

  it('matches exact topics, byte for byte', () => {
    expect(store.matches('https://example.com/books/1', 'https://example.com/books/1')).toBe(true);
    expect(store.matches('https://example.com/books/1', 'https://example.com/books/10')).toBe(false);
    expect(store.matches('https://example.com/books/1', 'https://EXAMPLE.com/books/1')).toBe(false);
    expect(store.matches('bar', 'bar')).toBe(true);
  });

  it('matches URI templates, and a template matches itself', () => {
    expect(store.matches('https://example.com/books/{id}', 'https://example.com/books/1')).toBe(true);
    expect(store.matches('https://example.com/books/{id}', 'https://example.com/books/1/reviews')).toBe(false);
    expect(store.matches('https://example.com/books/{id}', 'https://example.com/books/{id}')).toBe(true);
  });

  it('treats an invalid template as an exact selector', () => {
    expect(store.matches('https://example.com/{', 'https://example.com/{')).toBe(true);
    expect(store.matches('https://example.com/{', 'https://example.com/x')).toBe(false);
  });

  it('caches results and keeps them right when the cache is full', () => {
    const small = new TopicSelectorStore(2, 2);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 10; i++) {
        expect(small.matches(`/s${i % 3}/{id}`, `/s${i % 3}/${i}`)).toBe(true);
        expect(small.matches(`/s${i % 3}/{id}`, `/t/${i}`)).toBe(false);
      }
    }
  });

  it('matchesAny needs one pair, matchesAll needs every topic covered', () => {
    expect(store.matchesAny(['/a/{id}', '/b'], ['/c', '/b'])).toBe(true);
    expect(store.matchesAny(['/a/{id}', '/b'], ['/c', '/d'])).toBe(false);
    expect(store.matchesAll(['/a/{id}', '/b'], ['/a/1', '/b'])).toBe(true);
    expect(store.matchesAll(['/a/{id}', '/b'], ['/a/1', '/c'])).toBe(false);
    expect(store.matchesAll([], ['/a'])).toBe(false);
  });
});
