import 'reflect-metadata';
import type { ApiResourceOptions } from './api-resource.options';

export const API_RESOURCE_METADATA = 'nestjs-mercure:api-resource';

type AnyClass = abstract new (...args: any[]) => any;

// Every decorated class, so start-up can report the ones MikroORM does not know.
const decoratedClasses = new Set<AnyClass>();

/** Exposes a MikroORM entity as a resource: IRIs, JSON-LD, and (with `mercure`) real-time updates. */
export function ApiResource<T = any>(options: ApiResourceOptions<T> = {}): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(API_RESOURCE_METADATA, options, target);
    decoratedClasses.add(target as unknown as AnyClass);
  };
}

/** The options of `@ApiResource` on this very class (not inherited), if any. */
export function getOwnApiResourceOptions(target: Function): ApiResourceOptions | undefined {
  return Reflect.getOwnMetadata(API_RESOURCE_METADATA, target);
}

export function getDecoratedResourceClasses(): readonly Function[] {
  return [...decoratedClasses];
}

/**
 * @internal Tests that decorate throw-away classes call this so other registries in the same
 * process do not report them as unknown to MikroORM.
 */
export function forgetDecoratedResourceClasses(...classes: Function[]): void {
  for (const cls of classes) {
    decoratedClasses.delete(cls as unknown as AnyClass);
  }
}
