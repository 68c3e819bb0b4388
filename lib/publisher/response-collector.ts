import type { IncomingHttpHeaders } from 'http';
import type { Dispatcher } from 'undici';

/** A hub's answer to a publish request: status, headers and the body as text. */
export interface CollectedResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** Who hears how a request collected by `dispatchCollecting()` ended. */
export interface ResponseReceiver {
  /** The whole answer arrived. */
  received(response: CollectedResponse): void;
  /** Undici's error: the request could not be sent, or the answer did not arrive in full. */
  failed(error: Error): void;
}

/**
 * Sends one request on `dispatcher` and collects the answer in memory for `receiver`: what
 * `request()` followed by `body.text()` gives, without the response stream and async resource
 * `request()` makes per call, nor a promise (a hub's answer to a publish is an id or a short error).
 * May throw synchronously what `dispatch()` throws.
 */
export function dispatchCollecting(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, receiver: ResponseReceiver): void {
  dispatcher.dispatch(options, new ResponseCollector(receiver));
}

class ResponseCollector implements Dispatcher.DispatchHandler {
  private statusCode = 0;
  private headers: IncomingHttpHeaders = NO_HEADERS;
  // Most answers come in one chunk: no array for them.
  private first: Buffer | undefined = undefined;
  private more: Buffer[] | undefined = undefined;
  private length = 0;

  constructor(private readonly receiver: ResponseReceiver) {}

  onRequestStart(): void {}

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode >= 200) {
      // 1xx answers are informational: the final one follows.
      this.statusCode = statusCode;
      this.headers = headers;
    }
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.first === undefined) {
      this.first = chunk;
    } else {
      (this.more ??= [this.first]).push(chunk);
    }
    this.length += chunk.length;
  }

  onResponseEnd(): void {
    const body = this.more !== undefined ? Buffer.concat(this.more, this.length) : this.first;
    this.receiver.received({ statusCode: this.statusCode, headers: this.headers, text: utf8(body) });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.receiver.failed(error);
  }
}

const NO_HEADERS: IncomingHttpHeaders = Object.freeze({});

/** The body as UTF-8 text, a leading byte order mark skipped (as undici's `body.text()` does). */
function utf8(body: Buffer | undefined): string {
  if (body === undefined || body.length === 0) {
    return '';
  }
  const start = body.length > 2 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  return body.toString('utf8', start);
}
