/**
 * The one place where the sample app meets MikroORM APIs that differ between majors (CI runs it on
 * both: MikroORM 6 from the lockfile, 7 in the modern-stack leg):
 * - the entity decorators and the metadata provider reading their `reflect-metadata` types come
 *   with `@mikro-orm/core` in 6, and with `@mikro-orm/decorators/legacy` (a package of its own,
 *   to install next to MikroORM 7) in 7;
 * - the schema generator's `updateSchema()` of 6 is `update()` in 7.
 * The decorators are typed with MikroORM 6's declarations when present, loosely under MikroORM 7.
 */
import * as core from '@mikro-orm/core';
import type * as Core from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/core';

type Loose = (...args: any[]) => any;
type Export<K extends string, Fallback = Loose> = K extends keyof typeof Core ? (typeof Core)[K] : Fallback;

const decorators: Record<string, unknown> =
  typeof (core as Record<string, unknown>).Entity === 'function' ? core : require('@mikro-orm/decorators/legacy');

export const Entity = decorators.Entity as Export<'Entity'>;
export const ManyToOne = decorators.ManyToOne as Export<'ManyToOne'>;
export const OneToMany = decorators.OneToMany as Export<'OneToMany'>;
export const PrimaryKey = decorators.PrimaryKey as Export<'PrimaryKey'>;
export const Property = decorators.Property as Export<'Property'>;

/** The `metadataProvider` option for entities defined with the decorators above. */
export const ReflectMetadataProvider = decorators.ReflectMetadataProvider as Export<'ReflectMetadataProvider', any>;

/**
 * Creates missing tables and columns at start-up; a demo has no migrations. `safe`: never drops
 * anything, since MikroORM would otherwise drop every table of the database it does not know,
 * in every PostgreSQL schema.
 */
export async function ensureSchema(orm: MikroORM): Promise<void> {
  type Update = (options: { safe: boolean }) => Promise<void>;
  const generator = orm.schema as unknown as { updateSchema?: Update; update?: Update };
  await (generator.updateSchema ? generator.updateSchema({ safe: true }) : generator.update!({ safe: true }));
}
