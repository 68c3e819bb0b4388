import { EntityManager } from '@mikro-orm/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { LibSqlDriver } from '@mikro-orm/libsql';
import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { JsonLdSerializer, MercureHubModule, MercureModule } from 'nestjs-mercure';
import { Book } from './book.entity.js';
import { ormOptions } from './orm.js';

export const BASE_URL = 'http://proof.test';
export const HUB_SECRET = 'pack-proof-secret-that-is-long-enough!';

@Controller('books')
export class BooksController {
  constructor(
    private readonly em: EntityManager,
    private readonly serializer: JsonLdSerializer,
  ) {}

  @Get()
  async list(): Promise<unknown> {
    const books = await this.em.find(Book, {});
    return books.map((book) => this.serializer.serialize(book));
  }

  @Post()
  async create(@Body() body: { title: string }): Promise<unknown> {
    const book = this.em.create(Book, { title: body.title });
    await this.em.flush();
    return this.serializer.serialize(book);
  }
}

@Module({
  imports: [
    MikroOrmModule.forRoot({ driver: LibSqlDriver, dbName: ':memory:', entities: [Book], ...ormOptions }),
    MercureModule.forRoot({ baseUrl: BASE_URL }),
    MercureHubModule.forRoot({ publisherJwt: { key: HUB_SECRET }, anonymous: true }),
  ],
  controllers: [BooksController],
})
export class AppModule {}
