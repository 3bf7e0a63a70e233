import { EXIT } from '../core/vocabulary.js';
import type { GenerationStatus } from '../core/vocabulary.js';

/** SPEC §11: 0 success; 1 a generation failed or finished with errors; 3 refused by a safety guard. */
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
