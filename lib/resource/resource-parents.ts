import { ReferenceKind } from '@mikro-orm/core';
import type { EntityMetadata, EntityProperty } from '@mikro-orm/core';
import { ApiResourceConfigError } from './resource-options.validator';
import type { ResourceMetadata } from './resource-metadata';

/** One entry of `@ApiResource({ parents })`, checked against MikroORM's metadata. */
export interface ParentRelation {
  /** The to-one property on the child, e.g. `book` on Review. */
  readonly property: string;
  /** The parent's resource. */
  readonly parent: ResourceMetadata;
}

/**
 * Resolves the `parents` of a resource; throws an `ApiResourceConfigError` naming the resource and
 * the property when one is not an owning to-one relation to another `@ApiResource` entity.
 */
export function resolveParents(
  resource: ResourceMetadata,
  resourceOf: (cls: Function) => ResourceMetadata | undefined,
  metaOf: (className: string) => EntityMetadata | undefined,
): ParentRelation[] {
  const names = resource.options.parents ?? [];
  return names.map((property) => {
    const fail = (problem: string): never => {
      throw new ApiResourceConfigError(resource.className, 'parents', `names "${property}", ${problem}`);
    };
    const prop = (resource.entityMeta.properties as Record<string, EntityProperty | undefined>)[property];
    if (!prop) {
      return fail(`which is not a property of ${resource.className} known to MikroORM`);
    }
    const owningToOne = prop.kind === ReferenceKind.MANY_TO_ONE || (prop.kind === ReferenceKind.ONE_TO_ONE && prop.owner);
    if (!owningToOne) {
      return fail(`which is not a ManyToOne (or owning OneToOne) relation: follow the side that holds the foreign key`);
    }
    const targetClass = prop.targetMeta?.class ?? metaOf(prop.type)?.class;
    const parent = targetClass && resourceOf(targetClass);
    if (!parent) {
      return fail(`whose target ${prop.type} is not an @ApiResource() entity`);
    }
    return Object.freeze({ property, parent });
  });
}
