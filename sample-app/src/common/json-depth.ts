/** Deeper JSON is refused: validating it recursively would overflow the stack (a 500). */
export const MAX_JSON_DEPTH = 32;

/**
 * A body-parser `verify` hook: counts the nesting of `{` and `[` outside strings in the raw body
 * and refuses a body nested deeper than `MAX_JSON_DEPTH` with a 400, before it is parsed.
 */
export function rejectDeepJson(_req: unknown, _res: unknown, body: Buffer): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === 0x5c) i++; // backslash: skip the escaped character
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x7b || byte === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) {
        throw Object.assign(new Error(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`), {
          status: 400,
          expose: true,
        });
      }
    } else if (byte === 0x7d || byte === 0x5d) {
      depth--;
    }
  }
}
