import { wholeNumberOrText } from './conduit-flags.js';
import { UsageError } from './usage-error.js';

/**
 * A whole number the user typed as a positional argument or a flag
 * (`resolve <conflict-id>`, `show-generation <name> <N>`, `history --limit`,
 * `verify --generation`, `serve --port`): plain decimal digits only, the rule
 * `add`/`edit` flags follow (conduit-flags.ts `wholeNumberOrText`), from
 * `min` to `max`. Anything else — `1e1`, `0xa`, `' 10'`, `10.0`, `+10`,
 * which `Number()` would all read as 10 — is a UsageError naming the
 * argument: `<argument>: expected <expected>, got "<text>"` (exit 2, before
 * anything is opened or changed).
 */
export function wholeNumberArgument(
  argument: string, text: unknown, expected: string, range: { readonly min: number; readonly max?: number },
): number {
  const value = wholeNumberOrText(text);
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (typeof value !== 'number' || value < range.min || value > max) {
    throw new UsageError(`${argument}: expected ${expected}, got ${JSON.stringify(typeof text === 'string' ? text : String(text))}`);
  }
  return value;
}
