import { describeSelector, exactSelector, literalOf, needsMatching, urlPatternSelector } from './selector-kind';
import { TopicSelectorStore } from './topic-selector';

describe('typed selectors (protocol 1.0 next to 0.x)', () => {
  const store = new TopicSelectorStore();

  it('an exact 1.0 selector containing "{" is not a URI template', () => {
    const selector = exactSelector('https://example.com/books/{id}');
    expect(needsMatching(selector)).toBe(false);
    expect(literalOf(selector)).toBe('https://example.com/books/{id}');
    expect(store.matches(selector, 'https://example.com/books/1')).toBe(false);
    expect(store.matches(selector, 'https://example.com/books/{id}')).toBe(true);
    // The 0.x selector with the same text is a template.
    expect(store.matches('https://example.com/books/{id}', 'https://example.com/books/1')).toBe(true);
  });

  it('plain exact topics stay as they are (both versions share index entries); an exact "*" is literal', () => {
    expect(exactSelector('https://example.com/books/1')).toBe('https://example.com/books/1');
    expect(exactSelector('*')).not.toBe('*');
    expect(store.matches(exactSelector('*'), 'urn:x')).toBe(false);
    expect(store.matches(exactSelector('*'), '*')).toBe(true);
  });

  it('a URL pattern selector matches by the WHATWG algorithm and describes itself', () => {
    const selector = urlPatternSelector('https://example.com/books/:id');
    expect(needsMatching(selector)).toBe(true);
    expect(store.matches(selector, 'https://example.com/books/1')).toBe(true);
    expect(store.matches(selector, 'https://example.com/books/1/x')).toBe(false);
    expect(describeSelector(selector)).toEqual({ type: 'urlpattern', match: 'https://example.com/books/:id' });
    expect(describeSelector('https://example.com/{x}')).toEqual({ type: 'uritemplate', match: 'https://example.com/{x}' });
  });

  it('a refused URL pattern matches nothing', () => {
    expect(store.matches(urlPatternSelector('https://example.com/*a*a*b'), 'https://example.com/aab')).toBe(false);
  });
});
