import { Injectable } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import type { EntityMetadata } from '@mikro-orm/core';
import { listEntityMetadata } from '../orm/mikro-orm-compat';
import { getDecoratedResourceClasses, getOwnApiResourceOptions } from './api-resource.decorator';
import { defaultResourcePath } from './resource-naming';
import { resolveParents, type ParentRelation } from './resource-parents';
import { validateApiResourceOptions } from './resource-options.validator';
import type { ResourceMetadata } from './resource-metadata';

/**
 * The `@ApiResource` entities of the application, read from MikroORM's metadata and the decorator,
 * validated at start-up so a misconfiguration fails the boot rather than a request.
 */
@Injectable()
export class ResourceMetadataRegistry {
  private resources?: readonly ResourceMetadata[];
  private readonly byPath = new Map<string, ResourceMetadata>();
  // Also caches undecorated subclasses and non-resources (null), so lookups on the flush path are O(1).
  private readonly byClass = new Map<Function, ResourceMetadata | null>();
  private readonly metaByClass = new Map<Function, EntityMetadata>();
  private readonly parents = new Map<ResourceMetadata, readonly ParentRelation[]>();

  constructor(private readonly orm: MikroORM) {}

  /**
   * Builds and validates the registry; throws an Error naming the class and the option at fault.
   * `knownHubs` (the configured hub names) enables the check of each `mercure.hub`.
   * Safe to call again, e.g. once the hubs are known.
   */
  initialize(knownHubs?: readonly string[]): void {
    this.resources = undefined;
    this.build(knownHubs);
  }

  all(): readonly ResourceMetadata[] {
    return this.ensureBuilt();
  }

  /** The resource of an entity class, or of its nearest decorated ancestor (STI children, subclasses). */
  getByClass(entityClass: Function): ResourceMetadata | undefined {
    this.ensureBuilt();
    let cached = this.byClass.get(entityClass);
    if (cached === undefined) {
      cached = this.findInAncestors(entityClass);
      this.byClass.set(entityClass, cached);
    }
    return cached ?? undefined;
  }

  getByEntity(entity: object): ResourceMetadata | undefined {
    return this.getByClass(entity.constructor);
  }

  /** MikroORM's metadata of an entity or embeddable class (e.g. an STI child's own properties). */
  getEntityMeta(cls: Function): EntityMetadata | undefined {
    this.ensureBuilt();
    return this.metaByClass.get(cls);
  }

  /** The validated `parents` of a resource (empty when it declares none). */
  getParents(resource: ResourceMetadata): readonly ParentRelation[] {
    this.ensureBuilt();
    return this.parents.get(resource) ?? NO_PARENTS;
  }

  /** The resource whose collection path is exactly `path`, e.g. `/books`. */
  getByPath(path: string): ResourceMetadata | undefined {
    this.ensureBuilt();
    return this.byPath.get(path);
  }

  private ensureBuilt(): readonly ResourceMetadata[] {
    return this.resources ?? this.build(undefined);
  }

  private findInAncestors(entityClass: Function): ResourceMetadata | null {
    for (let cls: any = entityClass; typeof cls === 'function' && cls !== Function.prototype; cls = Object.getPrototypeOf(cls)) {
      const found = this.byClass.get(cls);
      if (found) {
        return found;
      }
    }
    return null;
  }

  private build(knownHubs: readonly string[] | undefined): readonly ResourceMetadata[] {
    this.byClass.clear();
    this.byPath.clear();
    this.metaByClass.clear();
    this.parents.clear();
    const metas = listEntityMetadata(this.orm).filter((meta) => typeof meta.class === 'function');
    for (const meta of metas) {
      this.metaByClass.set(meta.class, meta);
    }
    const entityMetaByClass = new Map<Function, EntityMetadata>();
    for (const meta of metas) {
      if (!meta.embeddable) {
        entityMetaByClass.set(meta.class, meta);
      }
    }

    for (const cls of getDecoratedResourceClasses()) {
      if (!entityMetaByClass.has(cls)) {
        const embeddable = metas.some((meta) => meta.class === cls && meta.embeddable);
        throw new Error(
          embeddable
            ? `@ApiResource() on ${cls.name}: it is an embeddable; only entities can be resources`
            : `@ApiResource() on ${cls.name}: MikroORM does not know this class; add it to MikroORM's entities or remove the decorator`,
        );
      }
    }

    const resources: ResourceMetadata[] = [];
    const byShortName = new Map<string, ResourceMetadata>();
    for (const [cls, meta] of entityMetaByClass) {
      const options = getOwnApiResourceOptions(cls);
      if (!options) {
        continue;
      }
      validateApiResourceOptions(meta.className, options, knownHubs);
      const path = options.path ?? defaultResourcePath(meta.className);
      const resource: ResourceMetadata = Object.freeze({
        entityClass: cls,
        className: meta.className,
        shortName: options.shortName ?? meta.className,
        path,
        itemPrefix: `${path}/`,
        entityMeta: meta,
        options,
      });
      const samePath = this.byPath.get(resource.path);
      if (samePath) {
        throw new Error(
          `@ApiResource() on ${resource.className}: path "${resource.path}" is already used by ${samePath.className}; set "path" on one of them`,
        );
      }
      const sameName = byShortName.get(resource.shortName);
      if (sameName) {
        throw new Error(
          `@ApiResource() on ${resource.className}: shortName "${resource.shortName}" is already used by ${sameName.className}; set "shortName" on one of them`,
        );
      }
      this.byPath.set(resource.path, resource);
      byShortName.set(resource.shortName, resource);
      this.byClass.set(cls, resource);
      resources.push(resource);
    }
    const metaByName = new Map(metas.map((meta) => [meta.className, meta]));
    for (const resource of resources) {
      const parents = resolveParents(resource, (cls) => this.byClass.get(cls) ?? this.findInAncestors(cls) ?? undefined, (name) => metaByName.get(name));
      if (parents.length > 0) {
        this.parents.set(resource, parents);
      }
    }
    this.resources = Object.freeze(resources);
    return this.resources;
  }
}

/** Shared by every resource without `parents` (the flush asks once per change set). */
const NO_PARENTS: readonly ParentRelation[] = Object.freeze([]);
