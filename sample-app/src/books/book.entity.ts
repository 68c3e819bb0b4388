import { Collection } from '@mikro-orm/core';
import { ApiResource } from 'nestjs-mercure';
import { Review } from '../reviews/review.entity';
import { Entity, OneToMany, PrimaryKey, Property } from '../orm';

@Entity()
@ApiResource({ mercure: true })
export class Book {
  @PrimaryKey()
  id!: number;

  @Property()
  title!: string;

  @Property({ type: 'string', nullable: true })
  author: string | null = null;

  @Property({ type: 'string', nullable: true })
  isbn: string | null = null;

  /** Shown as the IRIs of the reviews, by ascending id; Review's `parents` publishes the book when they change. */
  @OneToMany(() => Review, (review: Review) => review.book)
  reviews = new Collection<Review>(this);
}
