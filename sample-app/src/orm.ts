/**
 * The one place where the sample app meets MikroORM APIs that differ between majors
 * (entity decorators, schema generator).
 */
export { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/core';

/** Creates missing tables and columns at start-up; a demo has no migrations. */
export async function ensureSchema(orm: MikroORM): Promise<void> {
  await orm.getSchemaGenerator().updateSchema();
}
