import { ApiResource } from 'nestjs-mercure';
import { Entity, PrimaryKey, Property } from './orm.js';

@Entity()
@ApiResource({ mercure: true })
export class Book {
  @PrimaryKey()
  id!: number;

  @Property()
  title!: string;
}
