import uriTemplates from 'uri-templates';
import { UriTemplateMatcher } from './uri-template';

function matches(template: string, input: string): boolean {
  const matcher = UriTemplateMatcher.compile(template);
  if (!matcher) throw new Error(`not a template: ${template}`);
  return matcher.matches(input);
}

describe('UriTemplateMatcher', () => {
  it.each([
    ['https://example.com/books/{id}', 'https://example.com/books/1'],
    ['https://example.com/books/{id}', 'https://example.com/books/a%20b'],
    ['https://example.com/books/{id}', 'https://example.com/books/'],
    ['https://example.com/books/{id}', 'https://example.com/books/%C3%A9t%C3%A9'],
    ['https://example.com/books/{id}', 'https://example.com/books/été'],
    ['https://example.com/books/{id}.jsonld', 'https://example.com/books/1.jsonld'],
    ['{scheme}://{+host}/demo/books/{id}.jsonld', 'https://example.com/demo/books/1.jsonld'],
    ['https://example.com/users/foo/{?topic}', 'https://example.com/users/foo/?topic=https%3A%2F%2Fexample.com%2Fbooks%2F1'],
    ['https://example.com/users/foo/{?topic}', 'https://example.com/users/foo/'],
    ['/.well-known/mercure/subscriptions/{topic}/{subscriber}', '/.well-known/mercure/subscriptions/https%3A%2F%2Fex.com%2F%7Bid%7D/urn%3Auuid%3Aabc'],
    ['/.well-known/mercure/subscriptions{/topic}{/subscriber}', '/.well-known/mercure/subscriptions/https%3A%2F%2Fex.com%2Fbooks%2F1/urn%3Auuid%3Aabc'],
    ['/.well-known/mercure/subscriptions{/topic}{/subscriber}', '/.well-known/mercure/subscriptions/https%3A%2F%2Fex.com%2Fbooks%2F1'],
    ['/.well-known/mercure/subscriptions{/topic}{/subscriber}', '/.well-known/mercure/subscriptions'],
    ['https://example.com/{+path}', 'https://example.com/a/b/c?d=e#f'],
    ['/books/{id}{?page,size}', '/books/1?page=2&size=10'],
    ['/books/{id}{?page,size}', '/books/1?size=10'],
    ['/books{?filter*}', '/books?author=x&year=2020'],
    ['/books/{id}{&x}', '/books/1&x=3'],
    ['/books{.format}', '/books.json'],
    ['/books{#section}', '/books#a/b'],
    ['/map{;x,y}', '/map;x=1024;y=768'],
    ['/map{;x,y}', '/map;x;y=1'],
    ['/books/{list}', '/books/a,b,c'],
    ['/b{/list*}', '/b/a/b/c'],
    ['/x/{a}-{b}', '/x/1-2-3'],
    ['{a}{b}{c}', 'abc'],
    ['/books/{id:3}', '/books/123'],
    ['/books/{id:3}', '/books/12'],
    ['/books/{id:3}', '/books/'],
    ['/books/{id:1}', '/books/%41'],
    ['/users{/a:1,b:1}', '/users/1/2'],
    ['/users{?id:2}', '/users?id=12'],
    ['/users{?a:1,b:1}', '/users?b=2&a=1'],
    ['/users/{+id:3}', '/users/a/b'],
    ['/b{/x,y}', '/b/1/2'],
    ['/b{/x,y}', '/b/1'],
    ['/b/{x}', "/b/it's(1)*!"],
  ])('%s matches %s', (template, input) => {
    expect(matches(template, input)).toBe(true);
  });

  it.each([
    ['/users/{id:1}', '/users/42'],
    ['/users/{id:1}', '/users/%41%42'],
    ['/users/{id:3}', '/users/1234'],
    ['/users{/id:2}', '/users/123'],
    ['/users{/a:1,b:1}', '/users/1/2/3'],
    ['/users{?id:2}', '/users?id=123'],
    ['/users{?id:2}', '/users?id=1&id=2'],
    ['/users{?a:1,b:1}', '/users?a=1&b=2&a=3'],
    ['/users/{+id:2}', '/users/a/b'],
    ['https://example.com/books/{id}', 'https://example.com/books/1/reviews'],
    ['https://example.com/books/{id}', 'https://example.com/books/1?x=1'],
    ['https://example.com/books/{id}', 'https://example.com/books/1#x'],
    ['https://example.com/books/{id}', 'https://example.com/books/a b'],
    ['https://example.com/books/{id}', 'https://example.com/books/%zz'],
    ['https://example.com/books/{id}', 'http://example.com/books/1'],
    ['https://example.com/books/{id}', 'https://example.com/reviews/1'],
    ['https://example.com/books/{id}.jsonld', 'https://example.com/books/1.json'],
    ['https://example.com/users/foo/{?topic}', 'https://example.com/users/foo/?topic=https://example.com/books/1'],
    ['https://example.com/users/foo/{?topic}', 'https://example.com/users/foo/?other=1'],
    ['/.well-known/mercure/subscriptions{/topic}{/subscriber}', '/.well-known/mercure/subscriptions/a/b/c'],
    ['/.well-known/mercure/subscriptions{/topic}{/subscriber}', '/.well-known/mercure/subscriptionsX'],
    ['/.well-known/mercure/subscriptions/{topic}/{subscriber}', '/.well-known/mercure/subscriptions/a/b/c'],
    ['/books{.format}', '/books.'.concat('js/on')],
    ['/map{;x,y}', '/map;z=1'],
    ['/b{/x,y}', '/b/1/2/3'],
  ])('%s does not match %s', (template, input) => {
    expect(matches(template, input)).toBe(false);
  });

  it.each(['{', '}', 'a{b', 'a}b', '{}', '{a{b}}', '{=x}', '{a b}', '{a:0}', '{a:x}', '{.a.}'])(
    'rejects the invalid template %s',
    (template) => {
      expect(UriTemplateMatcher.compile(template)).toBeUndefined();
    },
  );

  it('rejects templates longer than the limit', () => {
    expect(UriTemplateMatcher.compile(`/${'a'.repeat(5000)}/{id}`)).toBeUndefined();
  });

  it('matches every expansion of RFC 6570 level 4 templates', () => {
    const values: Record<string, unknown>[] = [
      { var: 'value', hello: 'Hello World!', path: '/foo/bar', list: ['red', 'green', 'blue'], x: '1024', y: '768' },
      { var: '', hello: 'été', path: 'a,b', list: ['a b', 'c/d'], x: '', y: '0' },
      { var: 'a:b?c#d', hello: "it's", path: '', list: [], x: '%', y: '~' },
    ];
    const templates = [
      '{var}',
      '{hello}',
      '{+hello}',
      '{+path}/here',
      'X{#var}',
      'map?{x,y}',
      '{x,hello,y}',
      '{+x,hello,y}',
      '{#x,hello,y}',
      'X{.var}',
      'X{.x,y}',
      '{/var}',
      '{/var,x}/here',
      '{;x,y}',
      '{;x,y,empty}',
      '{?x,y}',
      '{?x,y,empty}',
      '?fixed=yes{&x}',
      '{&x,y,empty}',
      '{var:3}',
      '{list}',
      '{list*}',
      '{/list}',
      '{/list*}',
      '{/list*,path:4}',
      '{;list}',
      '{;list*}',
      '{?list}',
      '{?list*}',
      '{&list*}',
      '{.list*}',
      'https://example.com/books/{var}/reviews{?x,y}',
    ];
    for (const template of templates) {
      const matcher = UriTemplateMatcher.compile(template)!;
      expect(matcher).toBeDefined();
      for (const vars of values) {
        const expanded = uriTemplates(template).fill(vars as never);
        if (!matcher.matches(expanded)) throw new Error(`${template} does not match its expansion ${expanded}`);
      }
    }
  });

  it('runs in linear time on adversarial input', () => {
    const matcher = UriTemplateMatcher.compile('{a}{b}{c}{d}{e}{f}{g}{h}{i}{j}!')!;
    const input = 'a'.repeat(20_000);
    expect(matcher.matches(input)).toBe(false); // a backtracking engine would not return
    expect(matcher.matches(input + '!')).toBe(true);
  });
});
