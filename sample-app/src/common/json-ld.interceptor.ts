import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { Observable, tap } from 'rxjs';
import { JSON_LD } from './json-ld';

/** Successful answers are JSON-LD; errors keep Nest's plain JSON body and type. */
@Injectable()
export class JsonLdInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const res = context.switchToHttp().getResponse<Response>();
    return next.handle().pipe(tap(() => res.type(JSON_LD)));
  }
}
