import type { MikroORM } from '@mikro-orm/core';

/** A row as the relay needs it to publish. */
export interface OutboxRow {
  id: number;
  hub: string;
  topics: string[];
  data: string;
  private: boolean;
  updateId: string;
  type?: string;
  retry?: number;
  orderingKey: string;
  createdAt: number;
  attempts: number;
}

/** What the listener writes: an update snapshotted at the flush. */
export type NewOutboxRow = Omit<OutboxRow, 'id' | 'attempts'>;

/** A row the hub refused for good, as `MercureOutbox.failed()` lists it. */
export interface FailedOutboxRow extends OutboxRow {
  failedAt: number;
  lastError: string;
}

type Dialect = 'postgresql' | 'sqlite';

/** The part of MikroORM's SQL connection the store uses (the same in 6 and 7). */
interface SqlConnection {
  execute<T = any>(sql: string, params?: readonly unknown[], method?: 'all' | 'get' | 'run', ctx?: unknown): Promise<T>;
  transactional<T>(cb: (trx: unknown) => Promise<T>): Promise<T>;
}

export const OUTBOX_TABLE = 'mercure_outbox';
const COLUMNS = 'id, hub, topics, data, is_private, update_id, event_type, retry, ordering_key, created_at, attempts';
const INSERT_COLUMNS = ['hub', 'topics', 'data', 'is_private', 'update_id', 'event_type', 'retry', 'ordering_key', 'created_at', 'attempts'];
/** Rows per INSERT: 10 parameters each stays far below SQLite's and PostgreSQL's limits. */
const INSERT_CHUNK = 500;
/** Serialises the claims of relays sharing a PostgreSQL database (an arbitrary constant). */
const CLAIM_LOCK_KEY = 7_135_501_923;

/**
 * The outbox table in SQL, for PostgreSQL and SQLite (MikroORM's `libsql`, `sqlite` and
 * `better-sqlite` drivers). Plain SQL through MikroORM's connection: one statement per batch,
 * no entity hydration, and the same code on MikroORM 6 and 7.
 */
export class OutboxStore {
  readonly dialect: Dialect;
  private readonly connection: SqlConnection;
  /** The table, qualified with the ORM's schema on PostgreSQL when one is configured. */
  private readonly table: string;

  constructor(orm: MikroORM) {
    this.dialect = dialectOf(orm);
    this.connection = orm.em.getConnection('write') as unknown as SqlConnection;
    const schema = this.dialect === 'postgresql' ? (orm.config.get('schema') as string | undefined) : undefined;
    this.table = schema && schema !== '*' ? `"${schema.replace(/"/g, '""')}".${OUTBOX_TABLE}` : OUTBOX_TABLE;
  }

  /** Fails with a message saying how to create the table when it is missing. */
  async checkTable(): Promise<void> {
    try {
      await this.connection.execute(`select ${COLUMNS}, lease_owner, lease_until, failed_at, last_error from ${this.table} where 1 = 0`, [], 'all');
    } catch {
      throw new Error(
        `MercureModule: \`delivery.mode: 'outbox'\` needs the table "${OUTBOX_TABLE}", which is missing or incomplete. ` +
          'Add MercureOutboxSchema to MikroORM\'s `entities` and create the table with a migration ' +
          '(`npx mikro-orm migration:create`, then `migration:up`) or the schema generator (`npx mikro-orm schema:update --run`).',
      );
    }
  }

  /**
   * Writes rows in the transaction `ctx`, in one statement per 500 rows, already leased to
   * `lease.owner`: the relay of the process that wrote them delivers them right after the commit
   * without claiming them (`OutboxRelay.adopt`). Returns them with their ids.
   */
  async insert(rows: readonly NewOutboxRow[], ctx: unknown, lease?: { owner: string; until: number }): Promise<OutboxRow[]> {
    const written: OutboxRow[] = [];
    const columns = [...INSERT_COLUMNS, 'lease_owner', 'lease_until'];
    const values = `(${columns.map(() => '?').join(', ')})`;
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
      const chunk = rows.slice(start, start + INSERT_CHUNK);
      const params: unknown[] = [];
      for (const row of chunk) {
        params.push(row.hub, JSON.stringify(row.topics), row.data, this.bool(row.private), row.updateId, row.type ?? null, row.retry ?? null, row.orderingKey, row.createdAt, 0);
        params.push(lease?.owner ?? null, lease?.until ?? null);
      }
      const sql = `insert into ${this.table} (${columns.join(', ')}) values ${chunk.map(() => values).join(', ')} returning id`;
      const result = await this.connection.execute<Record<string, unknown>[]>(sql, params, 'all', ctx);
      // Ids follow the order of the VALUES (one statement, one sequence): sorted, they pair up.
      const ids = result.map((r) => Number(r.id)).sort((a, b) => a - b);
      chunk.forEach((row, i) => written.push({ ...row, id: ids[i], attempts: 0 }));
    }
    return written;
  }

  /**
   * Of `keys`, those with a row that someone else may still deliver (unleased, leased by another
   * relay, or an expired lease) older than `before[key]`: a row adopted on such a key must wait
   * its turn through `claim`.
   */
  async keysWithEarlierRows(owner: string, now: number, before: ReadonlyMap<string, number>): Promise<Set<string>> {
    const keys = [...before.keys()];
    const rows = await this.connection.execute<Record<string, unknown>[]>(
      `select ordering_key, min(id) as first from ${this.table} where failed_at is null and ordering_key in (${keys.map(() => '?').join(', ')}) ` +
        `and (lease_owner is null or lease_owner <> ? or lease_until < ?) group by ordering_key`,
      [...keys, owner, now],
      'all',
    );
    return new Set(rows.filter((r) => Number(r.first) < before.get(String(r.ordering_key))!).map((r) => String(r.ordering_key)));
  }

  /**
   * Leases up to `limit` deliverable rows to `owner` until `leaseUntil`, oldest first. A row is
   * deliverable when it has not failed, nobody holds a live lease on it, and no earlier row of its
   * ordering key is leased by another relay (that relay must deliver it first). Claims are
   * serialised (an advisory lock on PostgreSQL, the database lock on SQLite), so two relays never
   * lease rows of one key at once.
   */
  async claim(owner: string, now: number, leaseUntil: number, limit: number): Promise<OutboxRow[]> {
    const free = '(lease_until is null or lease_until < ?)';
    const sql =
      `update ${this.table} set lease_owner = ?, lease_until = ? where ${free} and id in (` +
      `select o.id from ${this.table} o where o.failed_at is null and (o.lease_until is null or o.lease_until < ?) ` +
      `and not exists (select 1 from ${this.table} p where p.ordering_key = o.ordering_key and p.id < o.id ` +
      `and p.failed_at is null and p.lease_owner is not null and p.lease_owner <> ? and p.lease_until >= ?) ` +
      `order by o.id limit ?${this.dialect === 'postgresql' ? ' for update' : ''}) returning ${COLUMNS}`;
    const params = [owner, leaseUntil, now, now, owner, now, limit];
    const rows =
      this.dialect === 'postgresql'
        ? await this.connection.transactional(async (trx) => {
            await this.connection.execute('select pg_advisory_xact_lock(?)', [CLAIM_LOCK_KEY], 'all', trx);
            return this.connection.execute<Record<string, unknown>[]>(sql, params, 'all', trx);
          })
        : await this.connection.execute<Record<string, unknown>[]>(sql, params, 'all');
    return rows.map(toRow).sort((a, b) => a.id - b.id);
  }

  /** Extends the leases of the rows `owner` is delivering (while the hub is slow or down). */
  async renew(owner: string, ids: readonly number[], leaseUntil: number): Promise<void> {
    for (let start = 0; start < ids.length; start += INSERT_CHUNK) {
      const chunk = ids.slice(start, start + INSERT_CHUNK);
      await this.connection.execute(
        `update ${this.table} set lease_until = ? where lease_owner = ? and id in (${chunk.map(() => '?').join(', ')})`,
        [leaseUntil, owner, ...chunk],
        'run',
      );
    }
  }

  /** Gives back the leases of rows `owner` did not deliver (all, or those ids), for another relay or the next start. */
  async release(owner: string, ids?: readonly number[]): Promise<void> {
    await this.connection.execute(
      `update ${this.table} set lease_owner = null, lease_until = null where lease_owner = ?${this.idFilter(ids)}`,
      [owner, ...(ids ?? [])],
      'run',
    );
  }

  async delete(ids: readonly number[]): Promise<void> {
    if (ids.length > 0) {
      await this.connection.execute(`delete from ${this.table} where id in (${ids.map(() => '?').join(', ')})`, [...ids], 'run');
    }
  }

  async markFailed(id: number, failedAt: number, attempts: number, error: string): Promise<void> {
    await this.connection.execute(
      `update ${this.table} set failed_at = ?, attempts = ?, last_error = ?, lease_owner = null, lease_until = null where id = ?`,
      [failedAt, attempts, error.slice(0, 2000), id],
      'run',
    );
  }

  async stats(): Promise<{ pending: number; failed: number; oldestCreatedAt?: number }> {
    const [row] = await this.connection.execute<Record<string, unknown>[]>(
      `select count(case when failed_at is null then 1 end) as pending, count(failed_at) as failed, ` +
        `min(case when failed_at is null then created_at end) as oldest from ${this.table}`,
      [],
      'all',
    );
    return {
      pending: Number(row?.pending ?? 0),
      failed: Number(row?.failed ?? 0),
      oldestCreatedAt: row?.oldest == null ? undefined : Number(row.oldest),
    };
  }

  async failed(limit: number): Promise<FailedOutboxRow[]> {
    const rows = await this.connection.execute<Record<string, unknown>[]>(
      `select ${COLUMNS}, failed_at, last_error from ${this.table} where failed_at is not null order by id limit ?`,
      [limit],
      'all',
    );
    return rows.map((raw) => ({ ...toRow(raw), failedAt: Number(raw.failed_at), lastError: String(raw.last_error ?? '') }));
  }

  /** Puts failed rows back in line (all of them, or those ids); returns how many. */
  async retryFailed(ids?: readonly number[]): Promise<number> {
    return this.changed(
      await this.connection.execute(`update ${this.table} set failed_at = null, last_error = null where failed_at is not null${this.idFilter(ids)}`, ids ? [...ids] : [], 'run'),
    );
  }

  /** Deletes failed rows (all of them, or those ids); returns how many. */
  async discardFailed(ids?: readonly number[]): Promise<number> {
    return this.changed(await this.connection.execute(`delete from ${this.table} where failed_at is not null${this.idFilter(ids)}`, ids ? [...ids] : [], 'run'));
  }

  private idFilter(ids: readonly number[] | undefined): string {
    if (!ids) return '';
    return ids.length === 0 ? ' and 1 = 0' : ` and id in (${ids.map(() => '?').join(', ')})`;
  }

  private changed(result: unknown): number {
    const r = result as { affectedRows?: number; rowCount?: number; changes?: number };
    return Number(r?.affectedRows ?? r?.rowCount ?? r?.changes ?? 0);
  }

  private bool(value: boolean): boolean | number {
    return this.dialect === 'sqlite' ? (value ? 1 : 0) : value;
  }
}

function dialectOf(orm: MikroORM): Dialect {
  const driver = orm.em.getDriver().constructor.name;
  if (/postgre/i.test(driver)) return 'postgresql';
  if (/sqlite|libsql/i.test(driver)) return 'sqlite';
  throw new Error(
    `MercureModule: \`delivery.mode: 'outbox'\` supports PostgreSQL and SQLite (libsql, sqlite, better-sqlite); this app uses ${driver}. Use \`delivery.mode: 'memory'\`.`,
  );
}

function toRow(raw: Record<string, unknown>): OutboxRow {
  return {
    id: Number(raw.id),
    hub: String(raw.hub),
    topics: JSON.parse(String(raw.topics)),
    data: String(raw.data ?? ''),
    private: raw.is_private === true || raw.is_private === 1 || raw.is_private === '1' || raw.is_private === 't',
    updateId: String(raw.update_id),
    type: raw.event_type == null ? undefined : String(raw.event_type),
    retry: raw.retry == null ? undefined : Number(raw.retry),
    orderingKey: String(raw.ordering_key),
    createdAt: Number(raw.created_at),
    attempts: Number(raw.attempts ?? 0),
  };
}
