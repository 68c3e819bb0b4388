import { EntityManager } from '@mikro-orm/core';
import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Patch, Post, Res, UseInterceptors } from '@nestjs/common';
import type { Response } from 'express';
import { IriConverter, jsonLdCollection, JsonLdResponseInterceptor, JsonLdSerializer } from 'nestjs-mercure';
import { Note } from '../notes/note.entity';
import { Review } from '../reviews/review.entity';
import { parseId } from '../common/parse-id';
import { Book } from './book.entity';
import { CreateBookDto, UpdateBookDto } from './book.dto';

@Controller('books')
@UseInterceptors(JsonLdResponseInterceptor)
export class BooksController {
  constructor(
    private readonly em: EntityManager,
    private readonly serializer: JsonLdSerializer,
    private readonly iris: IriConverter,
  ) {}

  @Get()
  async list() {
    const books = await this.em.find(Book, {}, { orderBy: { id: 'asc' }, populate: ['reviews'] });
    return jsonLdCollection('/books', await Promise.all(books.map((book) => this.serializer.serialize(book))));
  }

  @Get(':id')
  async get(@Param('id') id: string) {
    return this.serializer.serialize(await this.find(id));
  }

  @Post()
  async create(@Body() input: CreateBookDto, @Res({ passthrough: true }) res: Response) {
    const book = this.em.create(Book, { title: input.title, author: input.author ?? null, isbn: input.isbn ?? null });
    await this.em.persist(book).flush();
    res.status(201).location(this.iris.getIri(book));
    return this.serializer.serialize(book);
  }

  @Patch(':id')
  async update(@Param('id') id: string, @Body() patch: UpdateBookDto) {
    const book = await this.find(id);
    this.em.assign(book, patch);
    await this.em.flush();
    return this.serializer.serialize(book);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    const book = await this.find(id);
    // Reviews and notes go through the unit of work, not an ON DELETE CASCADE, so that each one publishes its deletion.
    const reviews = await this.em.find(Review, { book });
    const notes = await this.em.find(Note, { book });
    this.em.remove([...reviews, ...notes, book]);
    await this.em.flush();
  }

  private async find(rawId: string): Promise<Book> {
    const book = await this.em.findOne(Book, parseId(rawId, 'Book'));
    if (!book) throw new NotFoundException(`Book ${rawId} not found`);
    return book;
  }
}
