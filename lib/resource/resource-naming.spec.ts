import { defaultResourcePath, kebabCase, pluralize } from './resource-naming';

describe('resource naming', () => {
  it.each([
    ['Book', '/books'],
    ['BookReview', '/book-reviews'],
    ['Category', '/categories'],
    ['Address', '/addresses'],
    ['Box', '/boxes'],
    ['Match', '/matches'],
    ['Day', '/days'],
    ['HTTPLog', '/http-logs'],
    ['OrderLine', '/order-lines'],
    ['Status', '/statuses'],
  ])('%s -> %s', (className, path) => {
    expect(defaultResourcePath(className)).toBe(path);
  });

  it('kebab-cases and pluralizes', () => {
    expect(kebabCase('Book2Review')).toBe('book2-review');
    expect(kebabCase('user_profile')).toBe('user-profile');
    expect(pluralize('key')).toBe('keys');
    expect(pluralize('wish')).toBe('wishes');
  });
});
