import { LruMap } from './lru-map';

/** The part of the WHATWG `URLPattern` the hub uses. */
interface UrlPatternLike {
  test(input: string): boolean;
}
type UrlPatternClass = new (pattern: string) => UrlPatternLike;

// The WHATWG URL Pattern algorithm from a maintained implementation: Node's own where it has one
// (Node 24), else the polyfill the spec's authors maintain (pinned; its `urlpattern` entry point
// leaves globals alone). Its types are not imported: they declare a global that clashes with
// Node 24's.
const URLPattern: UrlPatternClass =
  (globalThis as { URLPattern?: UrlPatternClass }).URLPattern ??
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('urlpattern-polyfill/urlpattern') as { URLPattern: UrlPatternClass }).URLPattern;

/** Topics longer than this never match a URL pattern (keeps a match's cost bounded). */
export const MAX_URL_PATTERN_TOPIC_LENGTH = 2048;
/** Most named groups (`:id`) in one pattern. */
const MAX_URL_PATTERN_GROUPS = 16;

/** Compiled patterns and refusals, by source (see `UrlPatternMatcher.compile`). */
const compiled = new LruMap<string, UrlPatternMatcher | string>(1000);

/**
 * A compiled URL pattern selector (`match_urlpattern`, protocol 1.0). URL patterns compile to
 * backtracking regular expressions, so a subscriber could send one that takes minutes on one topic
 * (`/*a*a*a*b`). Only shapes whose match is at worst quadratic in the topic's length are accepted:
 * no custom regular expressions (`(...)`), at most one unbounded part (`*`, or a `+`/`*` modifier)
 * in the whole pattern, at most one named group or wildcard per path segment.
 */
export class UrlPatternMatcher {
  private constructor(
    private readonly pattern: UrlPatternLike,
    /** Cost weight, comparable to a URI template's NFA size. */
    readonly size: number,
  ) {}

  /**
   * The compiled pattern, or a reason why it is refused. Results are kept (bounded, recently used
   * first): a 1.0 token's patterns are checked on every request that carries it, and a subscribed
   * pattern is checked and then compiled for the index, and compiling builds regular expressions.
   */
  static compile(source: string): UrlPatternMatcher | string {
    let result = compiled.get(source);
    if (result === undefined) {
      result = UrlPatternMatcher.compileUncached(source);
      compiled.set(source, result);
    }
    return result;
  }

  private static compileUncached(source: string): UrlPatternMatcher | string {
    const refused = unboundedShape(source);
    if (refused) return refused;
    try {
      return new UrlPatternMatcher(new URLPattern(source), Math.max(16, source.length));
    } catch {
      return 'not a valid URL pattern';
    }
  }

  matches(topic: string): boolean {
    if (topic.length > MAX_URL_PATTERN_TOPIC_LENGTH) return false;
    try {
      return this.pattern.test(topic);
    } catch {
      return false;
    }
  }
}

/** Why a pattern could cost too much to match, or undefined. A lexical scan, conservative. */
function unboundedShape(source: string): string | undefined {
  let unbounded = 0;
  let groups = 0;
  let inSegment = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '(') return 'custom regular expressions are not allowed in URL patterns';
    if (c === '/') {
      inSegment = 0;
    } else if (c === '*' || c === '+') {
      unbounded++;
      if (c === '*' && source[i - 1] !== '}' && !/[\w$]/.test(source[i - 1] ?? '')) inSegment++;
    } else if (c === ':' && /[A-Za-z_$]/.test(source[i + 1] ?? '')) {
      groups++;
      inSegment++;
    }
    if (unbounded > 1) return 'at most one wildcard ("*", or a "+"/"*" modifier) per URL pattern';
    if (inSegment > 1) return 'at most one named group or wildcard per path segment';
    if (groups > MAX_URL_PATTERN_GROUPS) return `at most ${MAX_URL_PATTERN_GROUPS} named groups per URL pattern`;
  }
  return undefined;
}

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };
/** `scheme://host[:port]` then literal path characters (none that URL parsing would re-encode). */
const LITERAL_START = /^(https?):\/\/([a-z0-9-]+(?:\.[a-z0-9-]+)*)(?::(\d{1,5}))?([/?#]|$)/i;
const LITERAL_PATH = /^[A-Za-z0-9\-_~!$&',;=@/.]*/;

/**
 * Text every URL a pattern matches starts with, in the form of `urlKeyOf` (lower-case scheme and
 * host, no default port, the path as URL parsing leaves it): lets the hub's index skip the
 * patterns a topic cannot match. Conservative: '' whenever unsure (such patterns are tried on
 * every topic).
 */
export function urlPatternPrefix(pattern: string): string {
  const start = LITERAL_START.exec(pattern);
  if (!start) return /^https?:\/\//i.test(pattern) ? pattern.slice(0, pattern.indexOf(':')).toLowerCase() + '://' : '';
  const scheme = start[1].toLowerCase();
  const port = start[3] !== undefined && start[3] !== DEFAULT_PORTS[scheme] ? `:${start[3]}` : '';
  const origin = `${scheme}://${start[2].toLowerCase()}${port}`;
  if (start[4] !== '/') return origin;
  const rest = pattern.slice(start[0].length - 1);
  let path = LITERAL_PATH.exec(rest)![0];
  // Dot segments are resolved when the pattern is parsed (`/a/../b` is `/b`): no path prefix then.
  if (path.includes('/.')) path = '';
  // A "/" right before a group is that group's prefix, optional with it (`/books/:id?` matches `/books`).
  else if (path.length < rest.length && path.endsWith('/')) path = path.slice(0, -1);
  return origin + path;
}

/** The form of a topic `urlPatternPrefix` prefixes are compared with ('' for non-http(s) topics). */
export function urlKeyOf(topic: string): string {
  if (topic.length > MAX_URL_PATTERN_TOPIC_LENGTH || !/^https?:/i.test(topic)) return '';
  try {
    const url = new URL(topic);
    return `${url.protocol}//${url.hostname}${url.port ? ':' + url.port : ''}${url.pathname}`;
  } catch {
    return '';
  }
}
