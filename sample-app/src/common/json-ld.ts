import { NotFoundException } from '@nestjs/common';

export const JSON_LD = 'application/ld+json; charset=utf-8';

/** A JSON-LD collection in the shape API Platform uses (Hydra's `member` and `totalItems`). */
export function collection(iri: string, members: object[]) {
  return { '@id': iri, '@type': 'Collection', totalItems: members.length, member: members };
}

/** Ids are positive integers; anything else names no item, hence 404 rather than 400. */
export function parseId(raw: string, resource: string): number {
  const id = /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id)) throw new NotFoundException(`${resource} ${raw} not found`);
  return id;
}
