import { Injectable } from '@nestjs/common';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { Observable, tap } from 'rxjs';

/** The media type of JSON-LD answers. */
export const JSON_LD_CONTENT_TYPE = 'application/ld+json; charset=utf-8';

/** A JSON-LD collection document, in the shape API Platform uses (Hydra's `member` and `totalItems`). */
export interface JsonLdCollection<T = object> {
  '@id': string;
  '@type': 'Collection';
  totalItems: number;
  member: T[];
}

/** The collection document of `members` (e.g. serialized items) at the collection IRI `iri`. */
export function jsonLdCollection<T extends object>(iri: string, members: T[], totalItems = members.length): JsonLdCollection<T> {
  return { '@id': iri, '@type': 'Collection', totalItems, member: members };
}

/**
 * Answers successful requests as `application/ld+json`; errors keep Nest's plain JSON. Works with
 * Express and Fastify: `@UseInterceptors(JsonLdResponseInterceptor)` on a controller or a route.
 */
@Injectable()
export class JsonLdResponseInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const response = context.switchToHttp().getResponse<{ header?(name: string, value: string): unknown; setHeader?(name: string, value: string): unknown }>();
    return next.handle().pipe(
      tap(() => {
        if (typeof response.header === 'function') {
          response.header('Content-Type', JSON_LD_CONTENT_TYPE);
        } else {
          response.setHeader?.('Content-Type', JSON_LD_CONTENT_TYPE);
        }
      }),
    );
  }
}
