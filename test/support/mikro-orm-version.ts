/*
 * The one place where the tests meet what differs between MikroORM 6 and 7 (CI runs the suite on
 * both: 6 from the lockfile, 7 in the modern-stack leg, see .ci/modern-stack.sh):
 * - the entity decorators (TypeScript `experimentalDecorators`) and the metadata provider reading
 *   their `reflect-metadata` types come with `@mikro-orm/core` in 6, `@mikro-orm/decorators/legacy`
 *   in 7 (a package that has no 6.x);
 * - the schema generator's `createSchema()` of 6 is `create()` in 7;
 * - `MikroORM.init()` connects in 6 unless `connect: false`; 7 connects on first use (no option).
 * Entities in tests import their decorators from here, ORM options add `metadataProvider` and are
 * typed `MikroOrmModuleSyncOptions` (MikroORM 7's `Options` has every field required), and tables
 * are made with `createSchema(orm)`.
 * The decorators are typed with MikroORM 6's declarations when present, loosely under MikroORM 7.
 */
import * as core from '@mikro-orm/core';
import type * as Core from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/core';

type Loose = (...args: any[]) => any;
type Export<K extends string, Fallback = Loose> = K extends keyof typeof Core ? (typeof Core)[K] : Fallback;

/** `@mikro-orm/core` in MikroORM 6, `@mikro-orm/decorators/legacy` in 7. */
const decorators: Record<string, unknown> =
  typeof (core as Record<string, unknown>).Entity === 'function' ? core : require('@mikro-orm/decorators/legacy');

export const Embeddable = decorators.Embeddable as Export<'Embeddable'>;
export const Embedded = decorators.Embedded as Export<'Embedded'>;
export const Entity = decorators.Entity as Export<'Entity'>;
export const Enum = decorators.Enum as Export<'Enum'>;
export const ManyToMany = decorators.ManyToMany as Export<'ManyToMany'>;
export const ManyToOne = decorators.ManyToOne as Export<'ManyToOne'>;
export const OneToMany = decorators.OneToMany as Export<'OneToMany'>;
export const OneToOne = decorators.OneToOne as Export<'OneToOne'>;
export const PrimaryKey = decorators.PrimaryKey as Export<'PrimaryKey'>;
export const Property = decorators.Property as Export<'Property'>;

/** The `metadataProvider` option for entities defined with the decorators above. */
export const ReflectMetadataProvider = decorators.ReflectMetadataProvider as Export<'ReflectMetadataProvider', any>;

/**
 * ORM options for an ORM that must not connect at start-up (tests whose start-up fails, so that
 * nothing closes the ORM and an open connection would keep Jest running).
 */
export const NO_CONNECTION_AT_INIT: Record<string, unknown> =
  typeof (core as Record<string, unknown>).Entity === 'function' ? { connect: false } : {};

/** Creates the tables of every entity. */
export async function createSchema(orm: MikroORM): Promise<void> {
  const generator = orm.schema as unknown as { createSchema?(): Promise<void>; create?(): Promise<void> };
  await (generator.createSchema ? generator.createSchema() : generator.create!());
}

