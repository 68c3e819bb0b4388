import { EntityManager } from '@mikro-orm/core';
import { BadRequestException, Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Patch, Post, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import type { Response } from 'express';
import { IriConverter, jsonLdCollection, JsonLdResponseInterceptor, JsonLdSerializer } from 'nestjs-mercure';
import { CurrentUser, SignedInGuard } from '../auth/signed-in.guard';
import { Book } from '../books/book.entity';
import { parseId } from '../common/parse-id';
import { CreateNoteDto, UpdateNoteDto } from './note.dto';
import { Note } from './note.entity';

/** The signed-in user's notes; another user's note is answered 404, as if it did not exist. */
@Controller('notes')
@UseGuards(SignedInGuard)
@UseInterceptors(JsonLdResponseInterceptor)
export class NotesController {
  constructor(
    private readonly em: EntityManager,
    private readonly serializer: JsonLdSerializer,
    private readonly iris: IriConverter,
  ) {}

  @Get()
  async list(@CurrentUser() user: string) {
    const notes = await this.em.find(Note, { owner: user }, { orderBy: { id: 'asc' } });
    return jsonLdCollection('/notes', await Promise.all(notes.map((note) => this.serializer.serialize(note))));
  }

  @Get(':id')
  async get(@CurrentUser() user: string, @Param('id') id: string) {
    return this.serializer.serialize(await this.find(user, id));
  }

  @Post()
  async create(@CurrentUser() user: string, @Body() input: CreateNoteDto, @Res({ passthrough: true }) res: Response) {
    const note = this.em.create(Note, { book: await this.bookOf(input.book), body: input.body, owner: user });
    await this.em.persist(note).flush();
    res.status(201).location(this.iris.getIri(note));
    return this.serializer.serialize(note);
  }

  @Patch(':id')
  async update(@CurrentUser() user: string, @Param('id') id: string, @Body() patch: UpdateNoteDto) {
    const note = await this.find(user, id);
    if (patch.book !== undefined) note.book = await this.bookOf(patch.book);
    if (patch.body !== undefined) note.body = patch.body;
    await this.em.flush();
    return this.serializer.serialize(note);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentUser() user: string, @Param('id') id: string): Promise<void> {
    await this.em.remove(await this.find(user, id)).flush();
  }

  private async find(user: string, rawId: string): Promise<Note> {
    const note = await this.em.findOne(Note, { id: parseId(rawId, 'Note'), owner: user });
    if (!note) throw new NotFoundException(`Note ${rawId} not found`);
    return note;
  }

  private async bookOf(iri: string): Promise<Book> {
    const resource = this.iris.getResourceFromIri(iri);
    const book = resource?.entityClass === Book ? await this.em.findOne(Book, resource.id as number) : null;
    if (!book) throw new BadRequestException([`book must be the IRI of an existing book, like /books/1`]);
    return book;
  }
}
