import { InvalidUpdateError, MAX_TOPICS_PER_UPDATE, validateUpdate } from './hub-update';

describe('validateUpdate', () => {
  it('keeps every field and generates a urn:uuid id when none is given', () => {
    const update = validateUpdate({ topics: ['/a', '/b'], data: 'x', private: true, type: 't', retry: '10' });
    expect(update).toEqual({
      id: expect.stringMatching(/^urn:uuid:[0-9a-f-]{36}$/),
      topics: ['/a', '/b'],
      data: 'x',
      private: true,
      type: 't',
      retry: 10,
    });
    expect(validateUpdate({ topics: ['/a'] }).id).not.toBe(update.id);
  });

  it('keeps a given id, and treats empty optional fields as absent', () => {
    const update = validateUpdate({ topics: ['/a'], id: 'urn:x', type: '', retry: '' });
    expect(update).toEqual({ id: 'urn:x', topics: ['/a'], data: '', private: false });
  });

  it.each([
    ['no topic', { topics: [] }, /Missing "topic"/],
    ['an empty topic', { topics: [''] }, /topic/],
    ['too many topics', { topics: Array.from({ length: MAX_TOPICS_PER_UPDATE + 1 }, (_, i) => `/t/${i}`) }, /Too many topics/],
    ['a negative retry', { topics: ['/a'], retry: '-1' }, /retry/],
    ['a non-numeric retry', { topics: ['/a'], retry: 'soon' }, /retry/],
    ['a decimal retry', { topics: ['/a'], retry: '1.5' }, /retry/],
    ['a fractional number retry', { topics: ['/a'], retry: 1.5 }, /retry/],
    ['an id with LF', { topics: ['/a'], id: 'a\nb' }, /CR, LF/],
    ['an id with CR', { topics: ['/a'], id: 'a\rb' }, /CR, LF/],
    ['an id with NUL', { topics: ['/a'], id: 'a\0b' }, /NUL/],
    ['an id starting with #', { topics: ['/a'], id: '#1' }, /must not start with "#"/],
    ['a type with LF', { topics: ['/a'], type: 'a\nb' }, /type/],
    ['a type with CR', { topics: ['/a'], type: 'a\rb' }, /type/],
  ])('refuses %s', (_name, input, message) => {
    expect(() => validateUpdate(input)).toThrow(InvalidUpdateError);
    expect(() => validateUpdate(input)).toThrow(message);
  });

  it('accepts exactly the maximum number of topics', () => {
    const topics = Array.from({ length: MAX_TOPICS_PER_UPDATE }, (_, i) => `/t/${i}`);
    expect(validateUpdate({ topics }).topics).toHaveLength(MAX_TOPICS_PER_UPDATE);
  });
});
