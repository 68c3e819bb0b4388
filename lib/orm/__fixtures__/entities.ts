/*
 * Entities of the ORM specs. Their decorators come from test/support/mikro-orm-version.ts, the one
 * place that knows where MikroORM 6 and 7 keep them.
 */
import { Collection } from '@mikro-orm/core';
import type { Ref } from '@mikro-orm/core';
import {
  Embeddable,
  Embedded,
  Entity,
  Enum,
  ManyToMany,
  ManyToOne,
  OneToMany,
  PrimaryKey,
  Property,
} from '../../../test/support/mikro-orm-version';
import { ApiResource } from '../../resource/api-resource.decorator';

@Embeddable()
export class Address {
  @Property()
  street!: string;

  @Property()
  city!: string;

  @Property({ hidden: true, nullable: true })
  doorCode?: string;
}

/** Not a resource: relations to it serialize as its primary key. */
@Entity()
export class Publisher {
  @PrimaryKey()
  id!: number;

  @Property()
  name!: string;
}

@Entity()
@ApiResource()
export class Tag {
  @PrimaryKey()
  id!: number;

  @Property()
  name!: string;
}

@Entity()
@ApiResource({ mercure: true })
export class Book {
  @PrimaryKey()
  id!: number;

  @Property()
  title!: string;

  @Property({ nullable: true })
  author?: string;

  @Property({ nullable: true })
  isbn?: string;

  @Property({ hidden: true, nullable: true })
  secret?: string;

  @Property({ nullable: true, groups: ['admin'] })
  internalNote?: string;

  @Property({ nullable: true })
  publishedAt?: Date;

  @Embedded(() => Address, { nullable: true })
  address?: Address;

  @Property({ type: 'json', nullable: true })
  metadata?: { pages?: number; formats?: string[] };

  @ManyToOne(() => Publisher, { nullable: true })
  publisher?: Publisher;

  @ManyToMany(() => Tag)
  tags = new Collection<Tag>(this);

  @OneToMany(() => Review, (review: Review) => review.book)
  reviews = new Collection<Review>(this);
}

@Entity()
@ApiResource({ mercure: true })
export class Review {
  @PrimaryKey()
  id!: number;

  @ManyToOne(() => Book)
  book!: Book;

  @Property()
  rating!: number;

  @Property({ nullable: true })
  body?: string;
}

/** Composite primary key: IRIs look like `/order-lines/orderId=1;sku=A-1`. */
@Entity()
@ApiResource({ mercure: true })
export class OrderLine {
  @PrimaryKey()
  orderId!: number;

  @PrimaryKey()
  sku!: string;

  @Property()
  quantity!: number;
}

/** Single-table inheritance: `Dog` is an `Animal` resource, `Cat` a resource of its own. */
@Entity({ discriminatorColumn: 'kind', abstract: true })
@ApiResource({ mercure: true })
export abstract class Animal {
  @PrimaryKey()
  id!: number;

  @Enum()
  kind!: 'dog' | 'cat';

  @Property()
  name!: string;
}

@Entity({ discriminatorValue: 'dog' })
export class Dog extends Animal {
  @Property({ nullable: true })
  breed?: string;
}

@Entity({ discriminatorValue: 'cat' })
@ApiResource({ shortName: 'Kitty', mercure: { topics: ['/cats', 'urn:cats'] } })
export class Cat extends Animal {
  @Property({ nullable: true })
  lives?: number;
}

/** Every static Mercure option; publishes to the `audit` hub. */
@Entity()
@ApiResource({
  path: '/secret-notes',
  mercure: { private: true, type: 'note', retry: 2500, id: (note: Note) => `urn:note:${note.id}`, hub: 'audit', groups: ['public'] },
})
export class Note {
  @PrimaryKey()
  id!: number;

  @Property({ groups: ['public'] })
  text!: string;

  @Property({ groups: ['internal'], nullable: true })
  reviewer?: string;
}

/** Decides per entity, and replaces the payload. */
@Entity()
@ApiResource<Notice>({
  mercure: (notice) =>
    notice.published && {
      topics: (n: Notice) => [`/notices/${n.id}`, '/notices'],
      data: (n: Notice, ctx) => ({ headline: n.headline, kind: ctx.kind, iri: ctx.iri }),
    },
})
export class Notice {
  @PrimaryKey()
  id!: number;

  @Property()
  headline!: string;

  @Property()
  published: boolean = false;
}

/** A private parent: its own options decide how the updates its posts cause are published. */
@Entity()
@ApiResource({ mercure: { private: true } })
export class Thread {
  @PrimaryKey()
  id!: number;

  @Property()
  owner!: string;

  @OneToMany(() => Post, (post: Post) => post.thread)
  posts = new Collection<Post>(this);
}

/** Publishes creates and deletes only, on topics and ids its async functions read from a lazy relation. */
@Entity()
@ApiResource<Post>({
  parents: ['thread'],
  mercure: {
    operations: ['create', 'delete'],
    topics: async (post, { load }) => [`/posts/${post.id}`, `/users/${(await load(post.thread))!.owner}/posts`],
    id: async (post, { kind, load }) => `urn:post:${post.id}:${kind}:${(await load(post.thread))!.owner}`,
  },
})
export class Post {
  @PrimaryKey()
  id!: number;

  @ManyToOne(() => Thread, { ref: true })
  thread!: Ref<Thread>;

  @Property()
  text!: string;
}

export const ALL_ENTITIES = [Address, Publisher, Tag, Book, Review, OrderLine, Animal, Dog, Cat, Note, Notice, Thread, Post];
