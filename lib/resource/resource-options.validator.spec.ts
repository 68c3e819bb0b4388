import { ApiResourceConfigError, validateApiResourceOptions } from './resource-options.validator';

describe('validateApiResourceOptions', () => {
  const check = (options: unknown, hubs?: string[]) => () => validateApiResourceOptions('Book', options, hubs);

  it('accepts valid options', () => {
    expect(check({})).not.toThrow();
    expect(check({ shortName: 'Livre', path: '/livres', mercure: true })).not.toThrow();
    expect(check({ mercure: () => false })).not.toThrow();
    expect(
      check(
        {
          path: '/admin/books',
          mercure: { topics: ['a', '/b'], private: true, id: (b: unknown) => String(b), type: 't', retry: 0, data: () => 1, groups: ['g'], hub: 'x' },
        },
        ['default', 'x'],
      ),
    ).not.toThrow();
  });

  it.each<[unknown, string]>([
    [{ shortname: 'X' }, '@ApiResource() on Book: option "shortname" is unknown (did you mean "shortName"?)'],
    [{ foo: 1 }, 'option "foo" is unknown (known: shortName, path, mercure, parents)'],
    [{ mercure: { topic: 'x' } }, 'option "mercure.topic" is unknown (did you mean "mercure.topics"?)'],
    [{ mercure: { private: 'yes' } }, 'option "mercure.private" must be a boolean'],
    [{ mercure: { retry: -1 } }, 'option "mercure.retry" must be a non-negative integer'],
    [{ mercure: { retry: 1.5 } }, 'option "mercure.retry"'],
    [{ mercure: { topics: [] } }, 'option "mercure.topics" must be a non-empty string'],
    [{ mercure: { topics: [1] } }, 'option "mercure.topics"'],
    [{ mercure: { data: 'x' } }, 'option "mercure.data" must be a function'],
    [{ mercure: { groups: 'admin' } }, 'option "mercure.groups" must be an array of strings'],
    [{ mercure: { id: '#1' } }, 'option "mercure.id" must not start with "#"'],
    [{ mercure: 'yes' }, 'option "mercure" must be a boolean, an options object or a function'],
    [{ path: 'books' }, 'option "path" must look like "/books"'],
    [{ path: '/books/' }, 'option "path" must look like "/books"'],
    [{ path: '/books?x' }, 'option "path"'],
    [{ shortName: '' }, 'option "shortName" must be a non-empty string'],
    [[], 'must be an object'],
  ])('rejects %j', (options, message) => {
    expect(check(options)).toThrow(ApiResourceConfigError);
    expect(check(options)).toThrow(message);
  });

  it('rejects a hub that is not configured, naming the configured ones', () => {
    expect(check({ mercure: { hub: 'audit' } }, ['default'])).toThrow(
      '@ApiResource() on Book: option "mercure.hub" names hub "audit", which is not configured (configured: default)',
    );
    expect(check({ mercure: { hub: 'audit' } })).not.toThrow(); // hubs unknown yet
  });
});
