import type { GenerationProgress } from '../engine/generation.js';
import { bytes } from './format.js';
import { clock, etaSeconds, MovingRate } from './progress-rate.js';

/**
 * The progress line of `conduit run` on stderr:
 * `m #3  42%  120/300 actions  1.2 MiB/3.0 MiB  2.0 MiB/s  ETA 0:01` —
 * percent (of bytes, or of actions when nothing is copied), actions done of
 * the plan's, bytes, the rate over the last 5 s and the time left at it.
 * On a terminal it redraws one line (at most ten times a second); with
 * `--progress` and no terminal it writes a line at most once a second and a
 * last one at the end. Silent with `--json`, or off a terminal without
 * `--progress`.
 */
export interface ProgressReporter {
  update(p: GenerationProgress): void;
  /** Clears the line on a terminal (before another line is printed); the next update draws it again. */
  clear(): void;
  done(): void;
}

/** Reports nothing: `--json`, or stderr is not a terminal. */
export const SILENT: ProgressReporter = { update() {}, clear() {}, done() {} };

export function progressBar(stream: NodeJS.WriteStream, options: { force?: boolean; now?: () => number } = {}): ProgressReporter {
  const tty = stream.isTTY === true;
  if (!tty && options.force !== true) return SILENT;
  const now = options.now ?? Date.now;
  const byteRate = new MovingRate();
  const actionRate = new MovingRate();
  let lastDrawn = 0;
  let drawn = false;
  let latest: GenerationProgress | undefined;
  let latestLine: string | undefined;
  let written: string | undefined;
  const lineOf = (p: GenerationProgress): string => {
    if (p.phase === 'scanning') return `${p.conduit} #${p.generation}  scanning…`;
    const byBytes = p.bytesTotal > 0;
    const ratio = byBytes ? p.bytesDone / p.bytesTotal : p.actionsTotal > 0 ? p.actionsDone / p.actionsTotal : 1;
    const rate = byteRate.perSecond();
    const eta = byBytes ? etaSeconds(p.bytesTotal - p.bytesDone, rate) : etaSeconds(p.actionsTotal - p.actionsDone, actionRate.perSecond());
    return `${p.conduit} #${p.generation}  ${Math.floor(ratio * 100)}%  ${p.actionsDone}/${p.actionsTotal} actions  ` +
      `${bytes(p.bytesDone)}/${bytes(p.bytesTotal)}  ${bytes(Math.round(rate))}/s  ETA ${clock(eta)}`;
  };
  const write = (line: string): void => {
    if (tty) stream.write(`\r${line.slice(0, (stream.columns ?? 100) - 1)}\x1b[K`);
    else stream.write(`${line}\n`);
    written = line;
    drawn = true;
  };
  return {
    update(p) {
      const t = now();
      latest = p;
      if (p.phase !== 'scanning') {
        byteRate.add(t, p.bytesDone);
        actionRate.add(t, p.actionsDone);
      }
      latestLine = lineOf(p);
      const finished = p.actionsDone >= p.actionsTotal && p.phase !== 'scanning';
      // A terminal redraws ten times a second; a log file gets a line a second (and the last one, from done()).
      if (t - lastDrawn < (tty ? 100 : 1_000) && !(tty && finished)) return;
      if (!tty && p.phase === 'scanning' && written !== undefined) return;
      lastDrawn = t;
      write(latestLine);
    },
    clear() {
      if (tty && drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
    done() {
      if (tty) {
        if (drawn) stream.write('\r\x1b[K');
        return;
      }
      // The last state, unless it was the last line written; nothing when there was nothing to do.
      if (latest && latest.phase !== 'scanning' && latest.actionsTotal > 0 && latestLine !== undefined && latestLine !== written) write(latestLine);
    },
  };
}
