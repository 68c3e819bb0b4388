import { createHmac, hkdfSync, timingSafeEqual } from 'crypto';

/** The app's own session cookie (a demo stand-in for a real login). */
export const SESSION_COOKIE = 'session';
const SESSION_LIFETIME = 7 * 24 * 3600;

/**
 * Signs and reads `user.expiry.mac` session values. The MAC key is derived from the app's Mercure
 * secret (HKDF with its own label), so no extra setting is needed and a client cannot forge a
 * session for another user.
 */
export class SessionCookie {
  private readonly key: Buffer;

  constructor(
    secret: string,
    /** Secure cookies when the app is served over https. */
    private readonly secure: boolean,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'nestjs-mercure sample app', 'session cookie', 32));
  }

  /** `Set-Cookie` value opening a session for `user`. */
  open(user: string, now = Date.now()): string {
    const expiry = Math.floor(now / 1000) + SESSION_LIFETIME;
    const value = `${user}.${expiry}`;
    return this.header(`${value}.${this.mac(value)}`, `Max-Age=${SESSION_LIFETIME}`);
  }

  /** `Set-Cookie` value ending the session. */
  close(): string {
    return this.header('', 'Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0');
  }

  /** The signed-in user named by a `Cookie` header, if its session is genuine and current. */
  read(cookieHeader: string | undefined, now = Date.now()): string | undefined {
    const raw = cookieValue(cookieHeader, SESSION_COOKIE);
    const match = raw && /^([a-z0-9_-]{1,32})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(raw);
    if (!match) return undefined;
    const [, user, expiry, mac] = match;
    const expected = Buffer.from(this.mac(`${user}.${expiry}`));
    if (!timingSafeEqual(expected, Buffer.from(mac)) || Number(expiry) * 1000 <= now) return undefined;
    return user;
  }

  private mac(value: string): string {
    return createHmac('sha256', this.key).update(value).digest('base64url');
  }

  private header(value: string, lifetime: string): string {
    return `${SESSION_COOKIE}=${value}; Path=/; ${lifetime}; HttpOnly;${this.secure ? ' Secure;' : ''} SameSite=Strict`;
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
