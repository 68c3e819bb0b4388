import { DynamicModule, Global, Module } from '@nestjs/common';
import { MercureAuthorizationModule } from 'nestjs-mercure';
import type { SampleAppConfig } from '../config';
import { AuthController, LogoutController } from './auth.controller';
import { SessionCookie } from './session-cookie';
import { SignedInGuard } from './signed-in.guard';

/** Demo sign-in, the session cookie and the Mercure subscriber cookie. */
@Global()
@Module({})
export class AuthModule {
  static forRoot(config: SampleAppConfig, allowInsecureKeySizes: boolean): DynamicModule {
    return {
      module: AuthModule,
      imports: [
        MercureAuthorizationModule.forRoot({
          lifetime: config.subscriberTokenLifetime,
          // 0.x: `mercureAuthorization`; 1.0: `__Secure-mercure_access_token`; both: the two cookies.
          protocol: config.mercureHubProtocol,
          issuer: config.mercureHubIssuer,
          audience: config.mercureHubAudience,
          // With a ready publisher token there is no secret to borrow: sign with the one the hub verifies.
          ...(config.mercureJwtToken ? { key: config.mercureJwtSecret, allowInsecureKeySizes } : {}),
        }),
      ],
      controllers: [AuthController, LogoutController],
      providers: [
        { provide: SessionCookie, useValue: new SessionCookie(config.mercureJwtSecret, config.publicUrl.startsWith('https:')) },
        SignedInGuard,
      ],
      exports: [SessionCookie, SignedInGuard],
    };
  }
}
