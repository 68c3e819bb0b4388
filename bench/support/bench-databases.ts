import { randomBytes } from 'crypto';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { createMercureTestContext, type MercureTestContext, type MercureTestContextOptions } from '../../lib/orm/__fixtures__/mercure-test-context';

/** A database the benches run on: each context gets a fresh one (a new SQLite file, a new PostgreSQL schema). */
export interface BenchDatabase {
  name: string;
  context(options?: MercureTestContextOptions): Promise<MercureTestContext>;
}

const sqliteFile: BenchDatabase = {
  name: 'SQLite file',
  async context(options = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'mercure-bench-'));
    const ctx = await createMercureTestContext({ ...options, ormOptions: { ...options.ormOptions, dbName: join(dir, 'bench.db') } });
    const close = ctx.close;
    return { ...ctx, close: async () => (await close(), rmSync(dir, { recursive: true, force: true })) };
  },
};

// Not test/support/databases.ts: it needs jest's globals.
const POSTGRES_URL = process.env.TEST_POSTGRES_URL || undefined;

/** SQLite files always; PostgreSQL when TEST_POSTGRES_URL is set (`skipped` says so when not). */
export function benchDatabases(): { databases: BenchDatabase[]; skipped?: string } {
  if (!POSTGRES_URL) {
    return { databases: [sqliteFile], skipped: 'PostgreSQL: skipped, TEST_POSTGRES_URL is not set' };
  }
  const postgres: BenchDatabase = {
    name: 'PostgreSQL',
    context: (options = {}) => createMercureTestContext({ ...options, postgresUrl: POSTGRES_URL, schema: `mercure_bench_${randomBytes(4).toString('hex')}` }),
  };
  return { databases: [sqliteFile, postgres] };
}
