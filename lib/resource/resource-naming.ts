/** `BookReview` -> `book-review`, `HTTPLog` -> `http-log`. */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .replace(/[\s_]+/g, '-')
    .toLowerCase();
}

/** English plural of the last word, by the common rules; irregular ones need the `path` option. */
export function pluralize(word: string): string {
  if (/[^aeiou]y$/i.test(word)) {
    return word.slice(0, -1) + 'ies';
  }
  if (/(s|x|z|ch|sh)$/i.test(word)) {
    return word + 'es';
  }
  return word + 's';
}

/** Default collection path: `Book` -> `/books`, `BookReview` -> `/book-reviews`. */
export function defaultResourcePath(className: string): string {
  return '/' + pluralize(kebabCase(className));
}
