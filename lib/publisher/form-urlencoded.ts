/**
 * Writes an `application/x-www-form-urlencoded` body straight into bytes, byte for byte what
 * `URLSearchParams#toString()` writes (the WHATWG URL standard's serializer): ASCII letters,
 * digits and `*-._` as they are, a space as `+`, everything else as UTF-8 percent-encoded with
 * upper-case hex, a lone surrogate as U+FFFD. It runs for every update published: no
 * `URLSearchParams` object, no string built piece by piece and then encoded again as the request
 * body. One writer serves one body at a time, from `start()` to `finish()` (synchronously).
 */
export class FormWriter {
  private bytes = Buffer.allocUnsafeSlow(INITIAL_SIZE);
  private length = 0;

  start(): this {
    this.length = 0;
    return this;
  }

  /** Appends `name=value` (after a `&` unless it is the first field); `name` must need no encoding. */
  field(name: string, text: string): this {
    // As `URLSearchParams` would, for a caller from plain JavaScript passing a number or so.
    const value = typeof text === 'string' ? text : String(text);
    // At most 9 bytes per UTF-16 code unit (3 UTF-8 bytes, each as `%XX`).
    this.reserve(1 + name.length + 1 + 9 * value.length);
    const bytes = this.bytes;
    let at = this.length;
    if (at > 0) bytes[at++] = AMPERSAND;
    at += bytes.write(name, at, 'latin1');
    bytes[at++] = EQUALS;
    const length = value.length;
    for (let i = 0; i < length; i++) {
      const code = value.charCodeAt(i);
      if (code < 0x80) {
        if (UNRESERVED[code] === 1) {
          bytes[at++] = code;
        } else if (code === 0x20) {
          bytes[at++] = PLUS;
        } else {
          at = percent(bytes, at, code);
        }
      } else if (code < 0x800) {
        at = percent(bytes, at, 0xc0 | (code >> 6));
        at = percent(bytes, at, 0x80 | (code & 0x3f));
      } else if (code < 0xd800 || code > 0xdfff) {
        at = percent(bytes, at, 0xe0 | (code >> 12));
        at = percent(bytes, at, 0x80 | ((code >> 6) & 0x3f));
        at = percent(bytes, at, 0x80 | (code & 0x3f));
      } else {
        const low = i + 1 < length ? value.charCodeAt(i + 1) : 0;
        if (code <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
          const point = 0x10000 + (((code & 0x3ff) << 10) | (low & 0x3ff));
          at = percent(bytes, at, 0xf0 | (point >> 18));
          at = percent(bytes, at, 0x80 | ((point >> 12) & 0x3f));
          at = percent(bytes, at, 0x80 | ((point >> 6) & 0x3f));
          at = percent(bytes, at, 0x80 | (point & 0x3f));
          i++;
        } else {
          // U+FFFD, what a lone surrogate becomes (the serializer works on scalar values).
          at = percent(bytes, at, 0xef);
          at = percent(bytes, at, 0xbf);
          at = percent(bytes, at, 0xbd);
        }
      }
    }
    this.length = at;
    return this;
  }

  /** The body written since `start()`, in a buffer of its own. */
  finish(): Buffer {
    const body = Buffer.allocUnsafe(this.length);
    this.bytes.copy(body, 0, 0, this.length);
    if (this.bytes.length > RETAINED_SIZE) {
      // A huge update passed by: do not hold its room for ever.
      this.bytes = Buffer.allocUnsafeSlow(INITIAL_SIZE);
    }
    return body;
  }

  private reserve(more: number): void {
    const needed = this.length + more;
    if (needed > this.bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(needed, 2 * this.bytes.length));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
  }
}

function percent(bytes: Buffer, at: number, byte: number): number {
  bytes[at] = PERCENT;
  bytes[at + 1] = HEX_DIGITS[byte >> 4];
  bytes[at + 2] = HEX_DIGITS[byte & 0xf];
  return at + 3;
}

const INITIAL_SIZE = 8 * 1024;
// Room is reserved for the worst case (9 bytes per character), so at 64 KiB every update over
// about 7 KB gave its room up and grew it again on the next publish; 1 MiB keeps it for updates up
// to about 110 KB, a bounded 1 MiB per process.
const RETAINED_SIZE = 1024 * 1024;
const AMPERSAND = 0x26;
const EQUALS = 0x3d;
const PLUS = 0x2b;
const PERCENT = 0x25;
const HEX_DIGITS = Buffer.from('0123456789ABCDEF', 'latin1');

/** 1 for the ASCII characters the form serializer leaves as they are. */
const UNRESERVED = new Uint8Array(128);
for (let code = 0; code < 128; code++) {
  UNRESERVED[code] = /[A-Za-z0-9*\-._]/.test(String.fromCharCode(code)) ? 1 : 0;
}
