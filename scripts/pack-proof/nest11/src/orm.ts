// MikroORM 6: the decorators come with the core, which reads types through reflect-metadata by default.
import type { MikroORM } from '@mikro-orm/core';
export { Entity, PrimaryKey, Property } from '@mikro-orm/core';

export const ormOptions = {};

export async function createSchema(orm: MikroORM): Promise<void> {
  await orm.schema.createSchema();
}
