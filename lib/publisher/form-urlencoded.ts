/**
 * `application/x-www-form-urlencoded` serialisation of one name or value, byte for byte what
 * `URLSearchParams#toString()` writes (the WHATWG URL standard's serializer): ASCII letters,
 * digits and `*-._` as they are, a space as `+`, everything else as UTF-8 percent-encoded with
 * upper-case hex, a lone surrogate as U+FFFD. Without the `URLSearchParams` object, its pair list
 * and its copies of every string: it runs once per field of every update published.
 */
export function formEncode(text: string): string {
  // As `URLSearchParams` would, for a caller from plain JavaScript passing a number or so.
  const value = typeof text === 'string' ? text : String(text);
  let out = '';
  // Start of the run of characters kept as they are, not yet copied to `out`.
  let kept = 0;
  const length = value.length;
  for (let i = 0; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x80) {
      if (UNRESERVED[code] === 1) {
        continue;
      }
      if (kept < i) out += value.slice(kept, i);
      out += code === 0x20 ? '+' : HEX[code];
    } else {
      if (kept < i) out += value.slice(kept, i);
      if (code < 0x800) {
        out += HEX[0xc0 | (code >> 6)] + HEX[0x80 | (code & 0x3f)];
      } else if (code < 0xd800 || code > 0xdfff) {
        out += HEX[0xe0 | (code >> 12)] + HEX[0x80 | ((code >> 6) & 0x3f)] + HEX[0x80 | (code & 0x3f)];
      } else {
        const low = i + 1 < length ? value.charCodeAt(i + 1) : 0;
        if (code <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
          const point = 0x10000 + (((code & 0x3ff) << 10) | (low & 0x3ff));
          out +=
            HEX[0xf0 | (point >> 18)] +
            HEX[0x80 | ((point >> 12) & 0x3f)] +
            HEX[0x80 | ((point >> 6) & 0x3f)] +
            HEX[0x80 | (point & 0x3f)];
          i++;
        } else {
          out += REPLACEMENT_CHARACTER;
        }
      }
    }
    kept = i + 1;
  }
  if (kept === 0) {
    return value;
  }
  return kept < length ? out + value.slice(kept) : out;
}

/** 1 for the ASCII characters the form serializer leaves as they are. */
const UNRESERVED = new Uint8Array(128);
for (let code = 0; code < 128; code++) {
  const char = String.fromCharCode(code);
  UNRESERVED[code] = /[A-Za-z0-9*\-._]/.test(char) ? 1 : 0;
}

const HEX = Array.from({ length: 256 }, (_, byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`);

/** U+FFFD in UTF-8, what a lone surrogate becomes (the serializer works on scalar values). */
const REPLACEMENT_CHARACTER = '%EF%BF%BD';
