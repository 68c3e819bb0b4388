import type { IncomingMessage, ServerResponse } from 'http';
import type { HubAuthorization } from './authorization';
import { PublishBodyError, readPublishForm, RequestAbortedError } from './form-body';
import type { MercureHubLogger } from './hub-logger';
import type { HubTransport } from './hub-transport';
import { HubUpdate, InvalidUpdateError, UpdateInput, validateUpdate } from './hub-update';
import { HttpError, loggable, messageOf, sendText } from './http-util';
import { LruMap } from './lru-map';

/**
 * Publishing, over HTTP and in-process. An update id is an update's identity: a publish repeating
 * an id accepted recently (the last `rememberedIds`, from any publisher, or from another instance
 * through the transport) is answered with that id and not delivered again, so a publisher may
 * retry safely.
 */
export class PublishHandler {
  private readonly seen: LruMap<string, true>;

  constructor(
    private readonly transport: HubTransport,
    private readonly authorization: HubAuthorization,
    private readonly logger: MercureHubLogger,
    private readonly maxBodySize: number,
    rememberedIds: number,
    /** Protocol 1.0 reserves the SSE event `mercure` for subscription events. */
    private readonly reservedTypes: ReadonlySet<string> = new Set(),
  ) {
    this.seen = new LruMap(rememberedIds);
  }

  /** Number of update ids remembered. */
  get rememberedIds(): number {
    return this.seen.size;
  }

  /** Records an id delivered by the transport (maybe published through another instance). */
  remember(id: string): void {
    this.seen.set(id, true);
  }

  /** Stores and delivers an update unless its id was accepted recently; resolves with the id. */
  async accept(update: HubUpdate): Promise<string> {
    if (this.seen.has(update.id)) {
      this.logger.debug?.(`Update ${loggable(update.id)} was already accepted: not delivered again`);
      return update.id;
    }
    // Remembered before dispatching, so a concurrent retry is not delivered twice either.
    this.seen.set(update.id, true);
    try {
      if ((await this.transport.dispatch(update)) === false) {
        this.logger.debug?.(`Update ${loggable(update.id)} was already published through another instance: not delivered again`);
      }
    } catch (error) {
      this.seen.delete(update.id);
      throw error;
    }
    return update.id;
  }

  async handleHttp(req: IncomingMessage, res: ServerResponse, rawQuery: string): Promise<void> {
    const query = new URLSearchParams(rawQuery);
    const publisher = await this.authorization.publisher(req, query);
    let input: UpdateInput;
    try {
      input = await readPublishForm(req, this.maxBodySize);
    } catch (error) {
      if (error instanceof RequestAbortedError) {
        this.logger.debug?.('A publisher aborted its upload');
        res.destroy();
        return;
      }
      if (error instanceof PublishBodyError) {
        throw new HttpError(error.status, error.message, error.status === 413 ? { Connection: 'close' } : {});
      }
      throw error;
    }
    let update: HubUpdate;
    try {
      update = validateUpdate(input);
    } catch (error) {
      if (error instanceof InvalidUpdateError) throw new HttpError(400, error.message);
      throw error;
    }
    if (update.type !== undefined && this.reservedTypes.has(update.type)) {
      throw new HttpError(400, `Invalid "type" parameter: "${update.type}" is reserved for the hub's subscription events`);
    }
    this.authorization.checkPublish(publisher, update.topics);
    try {
      await this.accept(update);
    } catch (error) {
      this.logger.error(`Could not dispatch an update: ${messageOf(error)}`);
      throw new HttpError(503, 'The update could not be dispatched');
    }
    if (res.headersSent) return;
    sendText(res, 200, update.id, { 'Cache-Control': 'no-store' });
  }
}
