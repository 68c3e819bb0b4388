import { CanActivate, createParamDecorator, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { SessionCookie } from './session-cookie';

type SignedInRequest = Request & { user?: string };

/** Lets signed-in users through (401 otherwise) and remembers who they are for `@CurrentUser()`. */
@Injectable()
export class SignedInGuard implements CanActivate {
  constructor(private readonly sessions: SessionCookie) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<SignedInRequest>();
    const user = this.sessions.read(req.headers.cookie);
    if (!user) throw new UnauthorizedException('Sign in first: POST /login with {"user": "<name>"}');
    req.user = user;
    return true;
  }
}

/** The user `SignedInGuard` let through. */
export const CurrentUser = createParamDecorator((_: unknown, context: ExecutionContext) => {
  return context.switchToHttp().getRequest<SignedInRequest>().user!;
});
