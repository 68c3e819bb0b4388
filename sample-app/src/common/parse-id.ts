import { NotFoundException } from '@nestjs/common';

/** Ids are positive integers; anything else names no item, hence 404 rather than 400. */
export function parseId(raw: string, resource: string): number {
  const id = /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id)) throw new NotFoundException(`${resource} ${raw} not found`);
  return id;
}
