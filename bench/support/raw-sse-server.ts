/**
 * The practical limit the hub bench compares against: a minimal SSE server on `node:http` writing
 * the same bytes as the hub (same headers, close-delimited body, `:` comment, `id:`/`data:` frame)
 * to every subscriber of one topic, with publishes POSTed as forms. No authorization, no history,
 * no selectors: everything the hub does beyond writing bytes is left out.
 */
import { randomUUID } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';

const HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'private, no-cache, no-store, must-revalidate, max-age=0',
  Pragma: 'no-cache',
  Expires: 'Fri, 01 Jan 1990 00:00:00 GMT',
  'X-Accel-Buffering': 'no',
  Connection: 'close',
};

export function rawSseHandler(path: string): (req: IncomingMessage, res: ServerResponse) => void {
  const streams = new Set<ServerResponse>();
  return (req, res) => {
    if (!req.url?.startsWith(path)) return void res.writeHead(404).end();
    if (req.method === 'GET') {
      res.removeHeader('Transfer-Encoding');
      res.writeHead(200, { ...HEADERS, 'Last-Event-ID': 'earliest' });
      req.socket.setNoDelay(true);
      res.write(':\n');
      streams.add(res);
      res.once('close', () => streams.delete(res));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const id = `urn:uuid:${randomUUID()}`;
      const frame = Buffer.from(`id: ${id}\ndata: ${form.get('data')}\n\n`);
      for (const stream of streams) stream.write(frame);
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' }).end(id);
    });
  };
}
