import type { GenerationProgress } from '../engine/generation.js';
import { bytes } from './format.js';

/**
 * A one-line progress bar on stderr for `conduit run` on a terminal: files,
 * bytes and rate. Silent when stderr is not a TTY or with `--json`.
 */
export interface ProgressReporter {
  update(p: GenerationProgress): void;
  done(): void;
}

/** Reports nothing: `--json`, or stderr is not a terminal. */
export const SILENT: ProgressReporter = { update() {}, done() {} };

export function progressBar(stream: NodeJS.WriteStream, now: () => number = Date.now): ProgressReporter {
  if (!stream.isTTY) return SILENT;
  const started = now();
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const t = now();
      if (t - last < 100 && p.actionsDone < p.actionsTotal) return; // at most ten redraws a second
      last = t;
      const width = 24;
      const ratio = p.actionsTotal > 0 ? p.actionsDone / p.actionsTotal : 0;
      const filled = Math.round(ratio * width);
      const seconds = Math.max(0.001, (t - started) / 1000);
      const line = p.phase === 'scanning'
        ? `${p.conduit} #${p.generation}: scanning…`
        : `${p.conduit} #${p.generation} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${p.actionsDone}/${p.actionsTotal} actions  ${bytes(p.bytesDone)}/${bytes(p.bytesTotal)}  ${bytes(p.bytesDone / seconds)}/s`;
      stream.write(`\r${line.slice(0, (stream.columns ?? 100) - 1)}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
