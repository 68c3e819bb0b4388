import { randomBytes } from 'crypto';

/**
 * PostgreSQL and Redis tests run when their URL is set (`.ci/run` sets both); without it they are
 * reported as skipped, never as passed.
 */
export const POSTGRES_URL = process.env.TEST_POSTGRES_URL || undefined;
export const REDIS_URL = process.env.TEST_REDIS_URL || undefined;

export const describeWithPostgres = POSTGRES_URL ? describe : describe.skip;
export const describeWithRedis = REDIS_URL ? describe : describe.skip;

/** A schema name of its own for each test file, so files can run in parallel on one database. */
export function uniqueSchemaName(prefix = 'mercure_test'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}
