// A real HTTP server standing in for a Mercure hub, for the publisher specs and the e2e tests.
import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'http';
import type { AddressInfo } from 'net';

export interface HubRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Header names and values exactly as received, in order. */
  rawHeaders: string[];
  body: string;
  /** Decoded form fields, in order. */
  fields: [string, string][];
}

export type HubHandler = (request: HubRequest, response: ServerResponse) => void | Promise<void>;

export interface FakeHub {
  url: string;
  port: number;
  requests: HubRequest[];
  /** TCP connections accepted so far (keep-alive reuses them). */
  connections: number;
  handler: HubHandler;
  close(): Promise<void>;
}

let ids = 0;

/** Answers 200 with a fresh id, like a hub accepting the update. */
export const accept: HubHandler = (_request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain' });
  response.end(`urn:uuid:test-${++ids}`);
};

/** Starts a fake hub on 127.0.0.1 (on `port`, or a free one), answering with `handler`. */
export async function startFakeHub(handler: HubHandler = accept, port = 0): Promise<FakeHub> {
  const hub: FakeHub = {
    url: '',
    port: 0,
    requests: [],
    connections: 0,
    handler,
    close: () => closeServer(server),
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const request: HubRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body,
        fields: [...new URLSearchParams(body)],
      };
      hub.requests.push(request);
      Promise.resolve(hub.handler(request, res)).catch((error) => {
        res.writeHead(500);
        res.end(String(error));
      });
    });
  });
  server.on('connection', () => hub.connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  hub.port = (server.address() as AddressInfo).port;
  hub.url = `http://127.0.0.1:${hub.port}/.well-known/mercure`;
  return hub;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** A port nothing listens on (for connection-refused cases). */
export async function freePort(): Promise<number> {
  const hub = await startFakeHub();
  await hub.close();
  return hub.port;
}

export function field(request: HubRequest, name: string): string[] {
  return request.fields.filter(([key]) => key === name).map(([, value]) => value);
}
