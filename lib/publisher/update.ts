export interface UpdateOptions {
  /** Private updates reach only subscribers whose `mercure.subscribe` claim matches a topic. */
  private?: boolean;
  /** The update id; the hub generates one when absent. */
  id?: string;
  /** The SSE `event` field. */
  type?: string;
  /** The SSE `retry` field, in milliseconds. */
  retry?: number;
}

/**
 * One Mercure update. The first topic is the canonical one, the others are alternates.
 * Immutable: the queue and the transports share instances.
 */
export class Update {
  readonly topics: readonly string[];
  readonly private: boolean;
  readonly id?: string;
  readonly type?: string;
  readonly retry?: number;

  constructor(
    topics: string | readonly string[],
    readonly data: string = '',
    options: UpdateOptions = {},
  ) {
    // A frozen array cannot change under us: shared, not copied (the ORM listener's are frozen).
    // Not literals: updates wait in queues (see `compilePropertyWriter`).
    this.topics = typeof topics === 'string' ? Object.freeze(Array.of(topics)) : Object.isFrozen(topics) ? topics : Object.freeze(Array.from(topics));
    if (this.topics.length === 0) {
      throw new TypeError('An update needs at least one topic');
    }
    this.private = options.private ?? false;
    this.id = options.id;
    this.type = options.type;
    this.retry = options.retry;
    Object.freeze(this);
  }
}
