import type { HubUpdate } from './hub-update';

const LINE_BREAK = /\r\n|\r|\n/;

/**
 * Encodes an update as one `text/event-stream` event: `event:`, `retry:` and `id:` fields, then one
 * `data:` line per line of the data (CRLF, CR and LF all split lines, as SSE parsers do), then the
 * blank line that dispatches the event.
 */
export function encodeEvent(update: HubUpdate): string {
  let frame = '';
  if (update.type !== undefined) frame += `event: ${update.type}\n`;
  if (update.retry !== undefined) frame += `retry: ${update.retry}\n`;
  frame += `id: ${update.id}\n`;
  const data = update.data;
  if (data.indexOf('\n') === -1 && data.indexOf('\r') === -1) {
    frame += `data: ${data}\n`;
  } else {
    for (const line of data.split(LINE_BREAK)) frame += `data: ${line}\n`;
  }
  return frame + '\n';
}

export function encodeEventBuffer(update: HubUpdate): Buffer {
  return Buffer.from(encodeEvent(update), 'utf8');
}

/** A comment line: sent when a stream opens (so headers and a first byte flow) and as heartbeat. */
export const SSE_COMMENT = Buffer.from(':\n');
