import { mkdirSync } from 'fs';
import { dirname } from 'path';
import { MikroOrmModule, MikroOrmModuleSyncOptions } from '@mikro-orm/nestjs';
import { DynamicModule, Logger, Module } from '@nestjs/common';
import { MercureHubModule, MercureModule, MercureOutboxSchema } from 'nestjs-mercure';
import { AuthModule } from './auth/auth.module';
import { Book } from './books/book.entity';
import { ReflectMetadataProvider } from './orm';
import { BooksController } from './books/books.controller';
import { PageController } from './page/page.controller';
import type { SampleAppConfig } from './config';
import { Review } from './reviews/review.entity';
import { ReviewsController } from './reviews/reviews.controller';
import { Note } from './notes/note.entity';
import { NotesController } from './notes/notes.controller';
import { SchemaInitializer } from './schema.initializer';

function ormOptions(config: SampleAppConfig): MikroOrmModuleSyncOptions {
  // The outbox table is created with the others (ensureSchema); a real app would use a migration.
  const common = { entities: [Book, Review, Note, MercureOutboxSchema], metadataProvider: ReflectMetadataProvider, allowGlobalContext: false, debug: false };
  if (config.databaseUrl) {
    // Loaded lazily so that a SQLite-only install never needs the PostgreSQL driver.
    const { PostgreSqlDriver } = require('@mikro-orm/postgresql');
    return { ...common, driver: PostgreSqlDriver, clientUrl: config.databaseUrl };
  }
  const { LibSqlDriver } = require('@mikro-orm/libsql');
  if (config.sqlitePath !== ':memory:') mkdirSync(dirname(config.sqlitePath), { recursive: true });
  return { ...common, driver: LibSqlDriver, dbName: config.sqlitePath };
}

@Module({})
export class AppModule {
  static forRoot(config: SampleAppConfig): DynamicModule {
    const embeddedHub = !config.mercurePublishUrl;
    // Any secret a tool or a hub hands us works, as the contract says; a short one only warns.
    const allowInsecureKeySizes = Buffer.byteLength(config.mercureJwtSecret, 'utf8') < 32;
    if (allowInsecureKeySizes) {
      new Logger('SampleApp').warn(
        'MERCURE_JWT_SECRET is shorter than 32 bytes, too weak for HS256 (its tokens can be brute-forced); ' +
          'accepted for this demo: use a longer secret anywhere else',
      );
    }
    return {
      module: AppModule,
      imports: [
        MikroOrmModule.forRoot(ormOptions(config)),
        MercureModule.forRoot({
          baseUrl: config.publicUrl,
          publishUrl: config.mercurePublishUrl,
          subscribeUrl: config.mercureSubscribeUrl,
          jwt: embeddedHub
            ? undefined
            : config.mercureJwtToken
              ? { token: config.mercureJwtToken }
              : { secret: config.mercureJwtSecret, allowInsecureKeySizes },
          // A slow or loaded machine gets 10 s to deliver what is pending at shutdown.
          delivery: { mode: config.mercureDelivery, shutdownTimeout: 10_000 },
          // An external hub in `both` mode takes 0.x publisher tokens; a 1.0-only one needs 1.0 tokens.
          protocol: config.mercureHubProtocol === '1.0' ? '1.0' : '0.x',
          issuer: config.mercureHubIssuer,
          audience: config.mercureHubAudience,
        }),
        ...(embeddedHub
          ? [
              MercureHubModule.forRoot({
                publisherJwt: { key: config.mercureJwtSecret, allowInsecureKeySizes },
                anonymous: true,
                cors: { origins: '*' },
                protocol: config.mercureHubProtocol,
                issuer: config.mercureHubIssuer,
                audience: config.mercureHubAudience,
                ...(config.mercureHubRedisUrl && {
                  transport: { type: 'redis', url: config.mercureHubRedisUrl, prefix: config.mercureHubRedisPrefix },
                }),
              }),
            ]
          : []),
        AuthModule.forRoot(config, allowInsecureKeySizes),
      ],
      controllers: [BooksController, ReviewsController, NotesController, PageController],
      providers: [SchemaInitializer],
    };
  }
}
