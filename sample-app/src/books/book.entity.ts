import { ApiResource } from 'nestjs-mercure';
import { Entity, PrimaryKey, Property } from '../orm';

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
}
