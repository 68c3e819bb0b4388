import { EntitySchema } from '@mikro-orm/core';

/**
 * One update waiting in the transactional outbox (table `mercure_outbox`), written in the same
 * transaction as the entity changes it describes, and deleted once its hub accepted it.
 *
 * Add `MercureOutboxSchema` to MikroORM's `entities` so that the schema generator and migrations
 * create the table. The library reads and writes it with plain SQL (see `outbox-sql.ts`), so the
 * column names are fixed here whatever the application's naming strategy.
 */
export class MercureOutboxEntry {
  /** Insertion order: the commit order of the rows of one ordering key. */
  id!: number | string;
  /** Name of the hub (`default` for the top-level one). */
  hub!: string;
  /** The update's topics, JSON-encoded; the first is canonical. */
  topics!: string;
  data!: string;
  isPrivate!: boolean;
  /** The Mercure update id, the same on every attempt, so hubs can recognise a retry. */
  updateId!: string;
  eventType?: string | null;
  retry?: number | null;
  /** Rows of one key are delivered one after the other, in id order: the canonical topic. */
  orderingKey!: string;
  /** Epoch milliseconds. */
  createdAt!: number | string;
  /** The relay instance delivering the row, until `leaseUntil` (epoch ms) unless renewed. */
  leaseOwner?: string | null;
  leaseUntil?: number | string | null;
  /** Set when the hub refused the row for good (a 4xx other than 408/429): kept aside, not retried. */
  failedAt?: number | string | null;
  attempts!: number;
  lastError?: string | null;
}

/** Works with MikroORM 6 and 7 alike (no decorators). */
export const MercureOutboxSchema = new EntitySchema<MercureOutboxEntry>({
  class: MercureOutboxEntry,
  tableName: 'mercure_outbox',
  indexes: [{ name: 'mercure_outbox_ordering_key_idx', properties: ['orderingKey', 'id'] as any }],
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true, fieldName: 'id' },
    hub: { type: 'string', length: 255, fieldName: 'hub' },
    topics: { type: 'text', fieldName: 'topics' },
    data: { type: 'text', fieldName: 'data' },
    isPrivate: { type: 'boolean', fieldName: 'is_private' },
    updateId: { type: 'text', fieldName: 'update_id' },
    eventType: { type: 'text', nullable: true, fieldName: 'event_type' },
    retry: { type: 'integer', nullable: true, fieldName: 'retry' },
    orderingKey: { type: 'text', fieldName: 'ordering_key' },
    createdAt: { type: 'bigint', fieldName: 'created_at' },
    leaseOwner: { type: 'string', length: 64, nullable: true, fieldName: 'lease_owner' },
    leaseUntil: { type: 'bigint', nullable: true, fieldName: 'lease_until' },
    failedAt: { type: 'bigint', nullable: true, fieldName: 'failed_at' },
    attempts: { type: 'integer', default: 0, fieldName: 'attempts' },
    lastError: { type: 'text', nullable: true, fieldName: 'last_error' },
  },
});
