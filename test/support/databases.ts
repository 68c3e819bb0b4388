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

/**
 * A PostgreSQL database of its own (the sample app works in the `public` schema of DATABASE_URL),
 * so test files running in parallel never share tables; `drop()` removes it.
 */
export async function createPostgresDatabase(prefix = 'mercure_sample'): Promise<{ url: string; drop(): Promise<void> }> {
  const { Client } = await import('pg');
  const name = uniqueSchemaName(prefix);
  const admin = new Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(POSTGRES_URL!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
