import type { EventEmitter } from 'events';
import type { IncomingMessage, ServerResponse } from 'http';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Set on a request the server-level mount handed to the hub (see `servedAtServer`). */
const SERVED_AT_SERVER = Symbol('mercure.hub.servedAtServer');

/**
 * Whether the server-level mount already gave this request to the hub: the framework-level
 * fallback must then leave it alone (it never reaches the framework unless another listener
 * forwards it, and a response is answered only once).
 */
export function servedAtServer(req: IncomingMessage): boolean {
  return (req as { [SERVED_AT_SERVER]?: boolean })[SERVED_AT_SERVER] === true;
}

/**
 * Puts a dispatcher in front of an HTTP server's `'request'` listeners (the framework's app):
 * a request the hub `owns` goes to `serve`, never entering the framework; any other goes to the
 * listeners that were there, unchanged and in order. Works for `http`, `https` and `http2`
 * servers alike (all emit `'request'`); listeners added later still receive every request.
 *
 * Why: as framework middleware, every subscriber's request and response carry the framework's
 * prototypes and middleware closures for the whole stream (4.4 KiB more heap per idle
 * subscriber under Express, 1 KiB under Fastify); `bench/hub.bench.ts` measures both mounts.
 */
export function mountAtServer(server: EventEmitter, owns: (req: IncomingMessage) => boolean, serve: RequestListener): void {
  const framework = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', function dispatch(this: unknown, req: IncomingMessage, res: ServerResponse) {
    if (owns(req)) {
      (req as { [SERVED_AT_SERVER]?: boolean })[SERVED_AT_SERVER] = true;
      serve(req, res);
      return;
    }
    for (const listener of framework) listener.call(this, req, res);
  });
}
