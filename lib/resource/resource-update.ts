import { Update, type UpdateOptions } from '../publisher/update';
import type { EntityChangeKind } from './api-resource.options';
import type { JsonLdDocument } from './jsonld.serializer';

/**
 * The Mercure update of one entity change, and the hub it goes to.
 *
 * It holds a snapshot taken when the change was recorded (a JSON-LD document that shares nothing
 * mutable with the entity, or the already encoded payload) and encodes it on the first
 * `toUpdate()`: the JSON encoding can then run after the flush has returned, and still carries the
 * state the flush wrote.
 */
export class ResourceUpdate {
  private encoded?: Update;

  constructor(
    /** Name of the hub (`undefined`: the default hub). */
    readonly hub: string | undefined,
    /** Relative IRI of the entity: the identity several changes of one entity are folded by. */
    readonly iri: string,
    readonly kind: EntityChangeKind,
    /** One topic (the entity's IRI, the common case: no array until `toUpdate()`), or several. */
    readonly topics: string | readonly string[],
    private readonly payload: string | JsonLdDocument,
    private readonly options: UpdateOptions,
  ) {}

  toUpdate(): Update {
    if (!this.encoded) {
      const data = typeof this.payload === 'string' ? this.payload : JSON.stringify(this.payload);
      // Made and frozen here rather than when built: in memory mode, after the flush has returned.
      // Nothing changes them in between (arrays given by a `topics` function are copies).
      this.encoded = new Update(typeof this.topics === 'string' ? this.topics : Object.freeze(this.topics), data, this.options);
    }
    return this.encoded;
  }
}
