import { ApiResource } from 'nestjs-mercure';
import { Book } from '../books/book.entity';
import { Entity, ManyToOne, PrimaryKey, Property } from '../orm';

@Entity()
// A review's create, delete or move to another book also publishes the book(s), whose `reviews` list it.
@ApiResource<Review>({ mercure: true, parents: ['book'] })
export class Review {
  @PrimaryKey()
  id!: number;

  @ManyToOne(() => Book)
  book!: Book;

  @Property()
  rating!: number;

  @Property({ type: 'text' })
  body: string = '';
}
