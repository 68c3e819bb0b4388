import { readFile } from 'fs/promises';
import { join } from 'path';
import { Controller, Get, Header, Res } from '@nestjs/common';
import type { Response } from 'express';

/**
 * `public/` two levels above this file: `sample-app/public` when it runs from `sample-app/src/page`
 * (ts-jest, ts-node); `sample-app/dist/sample-app/public` when built by the Nest CLI, which
 * copies the files there (the assets of nest-cli.json) beside `sample-app/dist/sample-app/src`.
 */
export const PUBLIC_DIR = join(__dirname, '..', '..', 'public');

/**
 * The page's own policy: scripts, styles and fetches from this origin; the EventSource may go to
 * another origin, as the hub the API advertises may live elsewhere.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "connect-src 'self' http: https:",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Serves the live page: four static files, read on each request (they are small). */
@Controller()
export class PageController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
  index(@Res() res: Response): Promise<void> {
    return send(res, 'index.html');
  }

  @Get('app.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  script(@Res() res: Response): Promise<void> {
    return send(res, 'app.js');
  }

  @Get('notes.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  notesScript(@Res() res: Response): Promise<void> {
    return send(res, 'notes.js');
  }

  @Get('style.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  style(@Res() res: Response): Promise<void> {
    return send(res, 'style.css');
  }
}

async function send(res: Response, file: string): Promise<void> {
  const body = await readFile(join(PUBLIC_DIR, file));
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.send(body);
}
