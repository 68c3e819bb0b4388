import { Body, Controller, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { MercureAuthorization } from 'nestjs-mercure';
import { notesTopicOf } from '../notes/notes-topic';
import { LoginDto } from './login.dto';
import { SessionCookie } from './session-cookie';
import { CurrentUser, SignedInGuard } from './signed-in.guard';

/**
 * Demo sign-in: a name is enough. It opens the app's session and gives the browser its Mercure
 * subscriber cookie, which grants exactly the user's notes topic.
 */
@Controller('login')
export class AuthController {
  constructor(
    private readonly sessions: SessionCookie,
    private readonly authorization: MercureAuthorization,
  ) {}

  @Post()
  @HttpCode(204)
  async login(@Body() { user }: LoginDto, @Res({ passthrough: true }) res: Response): Promise<void> {
    res.append('Set-Cookie', this.sessions.open(user));
    await this.authorization.setCookie(res, { subscribe: [notesTopicOf(user)] });
  }

  /**
   * A fresh subscriber cookie for the signed-in user: pages call it before the token expires (and
   * on load, to learn who is signed in). Answers when the new token expires and its topic.
   */
  @Post('refresh')
  @HttpCode(200)
  @UseGuards(SignedInGuard)
  async refresh(@CurrentUser() user: string, @Res({ passthrough: true }) res: Response) {
    const cookie = await this.authorization.setCookie(res, { subscribe: [notesTopicOf(user)] });
    res.setHeader('Cache-Control', 'no-store');
    return { user, expiresAt: cookie.expires.toISOString(), lifetime: cookie.maxAge };
  }
}

@Controller('logout')
export class LogoutController {
  constructor(
    private readonly sessions: SessionCookie,
    private readonly authorization: MercureAuthorization,
  ) {}

  @Post()
  @HttpCode(204)
  logout(@Res({ passthrough: true }) res: Response): void {
    res.append('Set-Cookie', this.sessions.close());
    this.authorization.clearCookie(res);
  }
}
