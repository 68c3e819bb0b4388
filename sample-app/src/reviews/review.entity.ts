import { ApiResource } from 'nestjs-mercure';
import { Book } from '../books/book.entity';
import { Entity, ManyToOne, PrimaryKey, Property } from '../orm';

@Entity()
@ApiResource({ mercure: true })
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
