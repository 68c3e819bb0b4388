/**
 * `<url>; rel="mercure"`, the value a Mercure hub is discovered by. For a 1.0 hub it also says what
 * the updates are (`content-type`: the JSON-LD the resources publish); `last-event-id` is left out,
 * as the app does not know the hub's position when it answers.
 */
export function mercureLink(hubUrl: string, protocol: '0.x' | '1.0' = '0.x'): string {
  const link = `<${hubUrl}>; rel="mercure"`;
  return protocol === '1.0' ? `${link}; content-type="application/ld+json"` : link;
}


/** The smallest surface of Express and Fastify replies that we need. */
interface HeaderWritable {
  getHeader?(name: string): unknown;
  setHeader?(name: string, value: string | string[]): unknown;
  header?(name: string, value: string | string[]): unknown;
}

/** Appends to a header, keeping what another part of the app set before (Link values are lists). */
export function appendHeader(res: HeaderWritable, name: string, value: string): void {
  const current = res.getHeader?.(name);
  const values = current === undefined ? [] : Array.isArray(current) ? current.map(String) : [String(current)];
  // Values may already be joined into one string ("a, b"): look for ours inside them.
  if (values.some((existing) => existing.includes(value))) return;
  const next = values.length ? [...values, value].join(', ') : value;
  if (res.setHeader) res.setHeader(name, next);
  else res.header?.(name, next);
}
