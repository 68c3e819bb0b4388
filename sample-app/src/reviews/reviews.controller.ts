import { EntityManager } from '@mikro-orm/core';
import { BadRequestException, Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Patch, Post, Res, UseInterceptors } from '@nestjs/common';
import type { Response } from 'express';
import { IriConverter, jsonLdCollection, JsonLdResponseInterceptor, JsonLdSerializer } from 'nestjs-mercure';
import { Book } from '../books/book.entity';
import { parseId } from '../common/parse-id';
import { CreateReviewDto, UpdateReviewDto } from './review.dto';
import { Review } from './review.entity';

@Controller('reviews')
@UseInterceptors(JsonLdResponseInterceptor)
export class ReviewsController {
  constructor(
    private readonly em: EntityManager,
    private readonly serializer: JsonLdSerializer,
    private readonly iris: IriConverter,
  ) {}

  @Get()
  async list() {
    const reviews = await this.em.find(Review, {}, { orderBy: { id: 'asc' } });
    return jsonLdCollection('/reviews', await Promise.all(reviews.map((review) => this.serializer.serialize(review))));
  }

  @Get(':id')
  async get(@Param('id') id: string) {
    return this.serializer.serialize(await this.find(id));
  }

  @Post()
  async create(@Body() input: CreateReviewDto, @Res({ passthrough: true }) res: Response) {
    const review = this.em.create(Review, {
      book: await this.findBook(input.book),
      rating: input.rating,
      body: input.body ?? '',
    });
    await this.em.persist(review).flush();
    res.status(201).location(this.iris.getIri(review));
    return this.serializer.serialize(review);
  }

  @Patch(':id')
  async update(@Param('id') id: string, @Body() patch: UpdateReviewDto) {
    const review = await this.find(id);
    const { book, ...fields } = patch;
    if (book !== undefined) review.book = await this.findBook(book);
    this.em.assign(review, fields);
    await this.em.flush();
    return this.serializer.serialize(review);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    await this.em.remove(await this.find(id)).flush();
  }

  private async find(rawId: string): Promise<Review> {
    const review = await this.em.findOne(Review, parseId(rawId, 'Review'));
    if (!review) throw new NotFoundException(`Review ${rawId} not found`);
    return review;
  }

  /** A review names its book by IRI, as the JSON-LD it reads back does. */
  private async findBook(iri: string): Promise<Book> {
    const resource = this.iris.getResourceFromIri(iri);
    if (!resource || resource.entityClass !== Book) {
      throw new BadRequestException(['book must be the IRI of a book, like /books/1']);
    }
    const book = await this.em.findOne(Book, resource.id as number);
    if (!book) throw new BadRequestException([`book ${iri} does not exist`]);
    return book;
  }
}
