// MikroORM 7: the legacy (experimentalDecorators) decorators and their metadata provider have a package of their own.
import type { MikroORM } from '@mikro-orm/core';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
export { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

export const ormOptions = { metadataProvider: ReflectMetadataProvider };

export async function createSchema(orm: MikroORM): Promise<void> {
  await orm.schema.create();
}
