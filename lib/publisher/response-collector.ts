import type { IncomingHttpHeaders } from 'http';
import type { Dispatcher } from 'undici';

/** A hub's answer to a publish request: status, headers and the body as text. */
export interface CollectedResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * Sends one request on `dispatcher` and collects the answer in memory: what `request()` followed
 * by `body.text()` gives, without the response stream and async resource `request()` makes per
 * call (a hub's answer to a publish is an id or a short error). Rejects with undici's error.
 */
export function collectResponse(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions): Promise<CollectedResponse> {
  return new Promise((resolve, reject) => {
    try {
      dispatcher.dispatch(options, new ResponseCollector(resolve, reject));
    } catch (error) {
      reject(error);
    }
  });
}

class ResponseCollector implements Dispatcher.DispatchHandler {
  private statusCode = 0;
  private headers: IncomingHttpHeaders = {};
  private readonly chunks: Buffer[] = [];
  private length = 0;

  constructor(
    private readonly resolve: (response: CollectedResponse) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  onRequestStart(): void {}

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode >= 200) {
      // 1xx answers are informational: the final one follows.
      this.statusCode = statusCode;
      this.headers = headers;
    }
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  onResponseEnd(): void {
    this.resolve({ statusCode: this.statusCode, headers: this.headers, text: utf8(this.chunks, this.length) });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.reject(error);
  }
}

/** The body as UTF-8 text, a leading byte order mark skipped (as undici's `body.text()` does). */
function utf8(chunks: readonly Buffer[], length: number): string {
  if (length === 0) {
    return '';
  }
  const buffer = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length);
  const start = buffer.length > 2 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
  return buffer.toString('utf8', start);
}
