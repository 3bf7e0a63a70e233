import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { addConduit } from '../../../src/service/conduit-admin.js';
import type { ConduitRow } from '../../../src/db/store.js';
import type { DirectService } from './direct-service.js';

export const TEST_TOKEN = 'test-token-0123456789abcdef';

/** A logger that keeps every line it writes, so tests can look for what must never be logged. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
      callback();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines };
}

/** A temporary folder with `source/` (holding `files`) and room for `target/`; `cleanup` removes it. */
export function syncFolders(files: Record<string, string> = {}): { root: string; source: string; target: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'conduit-http-sync-'));
  const source = join(root, 'source');
  const target = join(root, 'target');
  mkdirSync(source);
  writeFiles(source, files);
  return { root, source, target, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** Adds a conduit through the same admin function the API uses. */
export function addTestConduit(service: DirectService, fields: Record<string, unknown>): ConduitRow {
  return addConduit(service.store, { mode: 'mirror', schedule: 'manual', ...fields }, { baseDir: '/' });
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
