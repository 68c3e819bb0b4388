import { ServerResponse } from 'http';

/** Where a subscriber's frames are written once its stream started. */
export interface SubscriberStream {
  readonly writableLength: number;
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/**
 * The stream to write a started SSE response's frames to: its socket when that writes the same
 * bytes in the same order, else the response itself.
 *
 * The body is close-delimited (no chunked encoding), so once the headers and a first write went
 * out and nothing waits in the response's own buffer, `res.write(frame)` would only pass `frame`
 * on to the socket: writing there directly skips, per subscriber and update, the response's
 * checks, its cork and its `nextTick` uncork, and whatever a framework's response prototype adds
 * to that path (the Express mount cost measured by `bench/hub.bench.ts`). A response whose
 * `write` was replaced (compression and other middleware transforming the body), or that is
 * chunked, or that buffers, keeps being written through `res.write`.
 */
export function subscriberStreamOf(res: ServerResponse): SubscriberStream {
  const socket = res.socket;
  const direct =
    socket !== null &&
    res.headersSent &&
    !res.chunkedEncoding &&
    res.write === ServerResponse.prototype.write &&
    res.getHeader('content-encoding') === undefined &&
    res.writableLength === socket.writableLength;
  return direct ? socket : res;
}
