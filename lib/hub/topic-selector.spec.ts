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
    const small = new TopicSelectorStore(2, 2); // small caches: results stay right
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

  it('keeps compiled templates while retained, and drops them with the last release', () => {
    const own = new TopicSelectorStore(2, 10);
    expect(own.retain('/a/{id}')).toBeGreaterThan(0);
    own.retain('/a/{id}');
    expect(own.retain('/a/{')).toBeUndefined(); // not a template: matches itself only
    own.release('/a/{');
    expect(own.stats.retainedTemplates).toBe(1);
    own.release('/a/{id}');
    expect(own.stats.retainedTemplates).toBe(1);
    own.release('/a/{id}');
    expect(own.stats).toMatchObject({ retainedTemplates: 0, retainedStates: 0 });
  });

  it('bounds the templates of tokens and the cached results, keeping the hot ones', () => {
    const own = new TopicSelectorStore(2, 4);
    const long = '/x'.repeat(300); // long enough for its results to be cached
    for (let i = 0; i < 50; i++) {
      expect(own.matches(`${long}/hot/{id}`, `${long}/hot/1`)).toBe(true);
      expect(own.matches(`${long}/cold${i}/{id}`, `${long}/cold${i}/1`)).toBe(true);
      expect(own.stats.transientTemplates).toBeLessThanOrEqual(2);
      expect(own.stats.cachedResults).toBeLessThanOrEqual(4);
    }
    expect(own.stats.cachedResults).toBeGreaterThan(0);
  });

  it('enforces prefix modifiers', () => {
    expect(store.matches('/users/{id:1}', '/users/4')).toBe(true);
    expect(store.matches('/users/{id:1}', '/users/42')).toBe(false);
    expect(store.matches('/users/{id:1}', '/users/alice-private-profile')).toBe(false);
  });
});
