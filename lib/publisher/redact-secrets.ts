/** JWS compact serialisations (three base64url parts, the header starting with `{"` = `eyJ`). */
const JWT_SHAPED = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)?/g;
/** Credentials after an auth scheme, as a hub may echo an `Authorization` header. */
const AUTH_HEADER_VALUE = /\b(Bearer|Basic)\s+[^\s"',;]+/gi;

/**
 * Removes what must never reach a log or an error message from text a hub sent back: the token
 * we sent (however the hub quoted it), anything shaped like a JWT, and `Bearer`/`Basic`
 * credentials.
 */
export function redactSecrets(text: string, known: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of known) {
    if (secret && secret.length >= 8) out = out.split(secret).join('[redacted]');
  }
  return out.replace(JWT_SHAPED, '[redacted JWT]').replace(AUTH_HEADER_VALUE, '$1 [redacted]');
}
