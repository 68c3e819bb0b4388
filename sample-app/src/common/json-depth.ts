import type { NextFunction, Request, Response } from 'express';

/** Deeper JSON is refused: validating it recursively would overflow the stack (a 500). */
export const MAX_JSON_DEPTH = 32;

/** True when `value` nests objects/arrays deeper than `max` (walked without recursion). */
function deeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Runs after the JSON body parser, before Nest validates anything: 400 for a body too deep. */
export function rejectDeepJson(req: Request, res: Response, next: NextFunction): void {
  if (deeperThan(req.body, MAX_JSON_DEPTH)) {
    res.status(400).json({
      statusCode: 400,
      error: 'Bad Request',
      message: `JSON nested deeper than ${MAX_JSON_DEPTH} levels`,
    });
    return;
  }
  next();
}
