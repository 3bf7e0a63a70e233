import { constants } from 'node:os';
import { EXIT } from '../core/vocabulary.js';
import type { GenerationStatus } from '../core/vocabulary.js';

/**
 * SPEC §11: 0 success; 1 a generation failed or finished with errors; 3
 * refused by a safety guard. (4, busy, is no generation's status: see
 * `EXIT.busy`; a run stopped by a signal exits `interruptedExitCode`.)
 */
export function exitCodeOf(status: GenerationStatus): number {
  switch (status) {
    case 'completed':
      return EXIT.ok;
    case 'refused':
      return EXIT.refused;
    case 'running':
    case 'completed_with_errors':
    case 'failed':
    case 'interrupted':
      return EXIT.failed;
  }
}

/** A run stopped by a signal: 128 + its number, as shells report it (130 SIGINT, 143 SIGTERM); 1 without one. */
export function interruptedExitCode(signal: NodeJS.Signals | undefined): number {
  const number = signal === undefined ? undefined : constants.signals[signal];
  return number === undefined ? EXIT.failed : 128 + number;
}
