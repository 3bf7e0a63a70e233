import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/**
 * `GET /`: the admin page, static files shipped in the package's `web/`
 * folder (no CDN, no build step of its own: it works offline). Only the
 * files listed here are served, so no request path ever reaches the disk.
 */
const PAGE_FILES = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/admin.css': { file: 'admin.css', type: 'text/css; charset=utf-8' },
  '/admin.js': { file: 'admin.js', type: 'text/javascript; charset=utf-8' },
} as const;

export const PAGE_PATHS: readonly string[] = Object.keys(PAGE_FILES);

/**
 * The page loads nothing from elsewhere and runs no inline script, so a
 * strict policy costs nothing and blunts any injected markup.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

export function registerAdminPage(app: FastifyInstance): void {
  const dir = webDirectory();
  for (const [path, { file, type }] of Object.entries(PAGE_FILES)) {
    const content = readFileSync(join(dir, file));
    app.get(path, async (_request, reply) => reply
      .type(type)
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .send(content));
  }
}

/** `web/` of the package: two levels up from src/http (tests), three from dist/src/http (the build). */
function webDirectory(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5; depth++) {
    if (existsSync(join(dir, 'web', 'index.html'))) return join(dir, 'web');
    dir = dirname(dir);
  }
  throw new Error(`the admin page's files (web/index.html) are missing from the package near ${fileURLToPath(import.meta.url)}`);
}
