import type { ApiResourceOptions, MercureResourceOptions } from './api-resource.options';

const RESOURCE_KEYS: readonly string[] = ['shortName', 'path', 'mercure', 'parents'];
const MERCURE_KEYS: readonly string[] = ['topics', 'private', 'id', 'type', 'retry', 'data', 'groups', 'hub', 'operations'];
const OPERATIONS: readonly string[] = ['create', 'update', 'delete'];

/** A misconfigured `@ApiResource`; the message names the class and the option. */
export class ApiResourceConfigError extends Error {
  constructor(
    readonly className: string,
    readonly option: string,
    problem: string,
  ) {
    super(`@ApiResource() on ${className}: option "${option}" ${problem}`);
    this.name = 'ApiResourceConfigError';
  }
}

/** Checks the options given to `@ApiResource`; `knownHubs` undefined skips the hub name check. */
export function validateApiResourceOptions(
  className: string,
  options: unknown,
  knownHubs?: readonly string[],
): asserts options is ApiResourceOptions {
  if (!isPlainObject(options)) {
    throw new ApiResourceConfigError(className, '(options)', 'must be an object');
  }
  rejectUnknownKeys(className, options, RESOURCE_KEYS, '');
  if (options.shortName !== undefined && !isNonEmptyString(options.shortName)) {
    throw new ApiResourceConfigError(className, 'shortName', 'must be a non-empty string');
  }
  if (options.path !== undefined) {
    const problem = checkPath(options.path);
    if (problem) {
      throw new ApiResourceConfigError(className, 'path', problem);
    }
  }
  const parents = options.parents;
  if (parents !== undefined && !(Array.isArray(parents) && parents.every(isNonEmptyString))) {
    throw new ApiResourceConfigError(className, 'parents', 'must be an array of relation names');
  }
  const mercure = options.mercure;
  if (mercure === undefined || typeof mercure === 'boolean' || typeof mercure === 'function') {
    return;
  }
  validateMercureOptions(className, mercure, knownHubs);
}

/** Checks a `mercure` options object (static, or returned by a `mercure` function). */
export function validateMercureOptions(
  className: string,
  options: unknown,
  knownHubs?: readonly string[],
): asserts options is MercureResourceOptions {
  if (!isPlainObject(options)) {
    throw new ApiResourceConfigError(className, 'mercure', 'must be a boolean, an options object or a function');
  }
  rejectUnknownKeys(className, options, MERCURE_KEYS, 'mercure.');
  const fail = (key: string, problem: string): never => {
    throw new ApiResourceConfigError(className, `mercure.${key}`, problem);
  };
  const { topics, id, type, retry, data, groups, hub } = options;
  if (topics !== undefined && typeof topics !== 'function' && !isNonEmptyString(topics)) {
    if (!Array.isArray(topics) || topics.length === 0 || !topics.every(isNonEmptyString)) {
      fail('topics', 'must be a non-empty string, a non-empty array of strings, or a function');
    }
  }
  if (options.private !== undefined && typeof options.private !== 'boolean') {
    fail('private', 'must be a boolean');
  }
  if (id !== undefined && typeof id !== 'function' && !isNonEmptyString(id)) {
    fail('id', 'must be a non-empty string or a function');
  }
  if (typeof id === 'string' && id.startsWith('#')) {
    fail('id', 'must not start with "#" (hubs refuse such ids)');
  }
  if (type !== undefined && !isNonEmptyString(type)) {
    fail('type', 'must be a non-empty string');
  }
  if (retry !== undefined && !(Number.isSafeInteger(retry) && (retry as number) >= 0)) {
    fail('retry', 'must be a non-negative integer (milliseconds)');
  }
  if (data !== undefined && typeof data !== 'function') {
    fail('data', 'must be a function (entity, context) => payload');
  }
  if (groups !== undefined && !(Array.isArray(groups) && groups.every(isNonEmptyString))) {
    fail('groups', 'must be an array of strings');
  }
  const operations = options.operations;
  if (operations !== undefined && !(Array.isArray(operations) && operations.every((op) => OPERATIONS.includes(op)))) {
    fail('operations', `must be an array of ${OPERATIONS.map((op) => `"${op}"`).join(', ')}`);
  }
  if (hub !== undefined) {
    if (!isNonEmptyString(hub)) {
      fail('hub', 'must be a non-empty string');
    }
    if (knownHubs && !knownHubs.includes(hub as string)) {
      fail('hub', `names hub "${hub}", which is not configured (configured: ${knownHubs.join(', ') || 'none'})`);
    }
  }
}

function checkPath(path: unknown): string | undefined {
  if (typeof path !== 'string') {
    return 'must be a string';
  }
  if (!/^(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$/.test(path)) {
    return `must look like "/books" (a leading "/", no trailing "/", no query, no spaces); got "${path}"`;
  }
  return undefined;
}

function rejectUnknownKeys(
  className: string,
  options: Record<string, unknown>,
  allowed: readonly string[],
  prefix: string,
): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      const guess = allowed.find((candidate) => editDistance(candidate.toLowerCase(), key.toLowerCase()) <= 2);
      const hint = guess ? ` (did you mean "${prefix}${guess}"?)` : ` (known: ${allowed.join(', ')})`;
      throw new ApiResourceConfigError(className, prefix + key, `is unknown${hint}`);
    }
  }
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

function isPlainObject(value: unknown): value is Record<string, any> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return false;
  }
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
