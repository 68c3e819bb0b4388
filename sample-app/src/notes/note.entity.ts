import { ApiResource } from 'nestjs-mercure';
import { Book } from '../books/book.entity';
import { Entity, ManyToOne, PrimaryKey, Property } from '../orm';
import { notesTopicOf } from './notes-topic';

/**
 * A user's private note on a book. Its updates (deletions too) are private, on its own IRI and on
 * its owner's notes topic: only a subscriber whose token grants one of them receives them.
 */
@Entity()
@ApiResource({
  mercure: { private: true, topics: (note: Note) => [`/notes/${note.id}`, notesTopicOf(note.owner)] },
})
export class Note {
  @PrimaryKey()
  id!: number;

  @ManyToOne(() => Book)
  book!: Book;

  @Property({ type: 'text' })
  body: string = '';

  /** Hidden: never in the JSON, nor in the updates. */
  @Property({ hidden: true, index: true })
  owner!: string;
}
