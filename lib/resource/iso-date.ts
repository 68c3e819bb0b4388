/**
 * `date.toISOString()`, formatted in JavaScript: V8's own takes two to three times as long, and
 * the ORM listener formats every date property of every published entity during the flush. The
 * characters are written at once (one flat string, no intermediate pieces for the collector).
 * Years outside 0–9999 (and invalid dates, which throw) are left to `toISOString()`.
 */
export function isoString(date: Date): string {
  const year = date.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) {
    return date.toISOString();
  }
  const month = date.getUTCMonth() + 1;
  const day = date.getUTCDate();
  const hours = date.getUTCHours();
  const minutes = date.getUTCMinutes();
  const seconds = date.getUTCSeconds();
  const ms = date.getUTCMilliseconds();
  return String.fromCharCode(
    ZERO + ((year / 1000) | 0),
    ZERO + (((year / 100) | 0) % 10),
    ZERO + (((year / 10) | 0) % 10),
    ZERO + (year % 10),
    DASH,
    ZERO + ((month / 10) | 0),
    ZERO + (month % 10),
    DASH,
    ZERO + ((day / 10) | 0),
    ZERO + (day % 10),
    T,
    ZERO + ((hours / 10) | 0),
    ZERO + (hours % 10),
    COLON,
    ZERO + ((minutes / 10) | 0),
    ZERO + (minutes % 10),
    COLON,
    ZERO + ((seconds / 10) | 0),
    ZERO + (seconds % 10),
    DOT,
    ZERO + ((ms / 100) | 0),
    ZERO + (((ms / 10) | 0) % 10),
    ZERO + (ms % 10),
    Z,
  );
}

const ZERO = 0x30;
const DASH = 0x2d;
const T = 0x54;
const COLON = 0x3a;
const DOT = 0x2e;
const Z = 0x5a;
