/**
 * A user's mistake in a conduit definition, a config file or a CLI flag.
 *
 * It always renders as exactly one line naming the place (a file, or nothing),
 * the field path and the offending value, e.g.
 * `conduits.json: conduits[1].mode: expected mirror | bidirectional | selective, got "mirorr"`.
 * The CLI maps it to exit code 2, the HTTP API to a 400 naming `field`.
 */
export class ConfigError extends Error {
  /**
   * @param field  field path (`mode`, `conduits[1].include[0]`, `api.port`); empty for the whole input
   * @param detail what was expected and what was given (`expected …, got …`)
   * @param place  where the input came from (a config file as the user named it); absent for API/flags
   */
  constructor(
    readonly field: string,
    readonly detail: string,
    readonly place?: string,
  ) {
    super([place, field, detail].filter((part) => part !== undefined && part !== '').join(': '));
    this.name = 'ConfigError';
  }

  /** The same error one level deeper, e.g. `mode` within `conduits[1]` → `conduits[1].mode`. */
  within(prefix: string): ConfigError {
    return new ConfigError(joinFieldPath(prefix, this.field), this.detail, this.place);
  }

  /** The same error attributed to a place (a config file). */
  at(place: string): ConfigError {
    return new ConfigError(this.field, this.detail, place);
  }

  /** The same error with its field renamed, e.g. `parallelTransfers` → `--parallel` for CLI flags. */
  renamed(field: string): ConfigError {
    return new ConfigError(field, this.detail, this.place);
  }
}

export function joinFieldPath(prefix: string, field: string): string {
  if (prefix === '') return field;
  if (field === '') return prefix;
  return field.startsWith('[') ? `${prefix}${field}` : `${prefix}.${field}`;
}

/** Renders a zod-style path (`['conduits', 1, 'mode']`) as `conduits[1].mode`. */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out = joinFieldPath(out, String(key));
  }
  return out;
}

/**
 * A value as it appears after `got` in a message: JSON, on one line, cut
 * short when long, so an error never spills over several lines.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  text = text.replace(/[\r\n]+/g, ' ');
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
