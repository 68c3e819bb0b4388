import { MikroORM } from '@mikro-orm/core';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { ensureSchema } from './orm';

/** A demo has no migrations: tables are created or completed at start-up. */
@Injectable()
export class SchemaInitializer implements OnModuleInit {
  constructor(private readonly orm: MikroORM) {}

  async onModuleInit(): Promise<void> {
    await ensureSchema(this.orm);
  }
}
