import { randomUUID } from 'crypto';
import type { Update } from '../publisher/update';
import type { NewOutboxRow } from './outbox-store';

/**
 * The row of an update, snapshotted now: everything needed to publish it later, from any process.
 * An update without an id gets one here, so every attempt carries the same id.
 */
export function outboxRowOf(hub: string, update: Update, createdAt: number): NewOutboxRow {
  return {
    hub,
    topics: [...update.topics],
    data: update.data,
    private: update.private,
    updateId: update.id ?? `urn:uuid:${randomUUID()}`,
    type: update.type,
    retry: update.retry,
    orderingKey: update.topics[0],
    createdAt,
  };
}
