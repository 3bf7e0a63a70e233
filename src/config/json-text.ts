/**
 * What `JSON.parse` cannot tell about a config file's text: a key given twice
 * in one object (JSON.parse keeps the last one silently, so a typo'd copy of
 * a conduit's `"name"` would rename it), and numbers written with a fraction
 * or an exponent (`4.0`, `4e0`), which JSON.parse turns into the same whole
 * number as `4`. A scan of text that JSON.parse has already accepted, so it
 * need not handle malformed input.
 */

export interface DuplicateKey {
  /** Where the key repeats, as a zod-style path (`['conduits', 0, 'name']`). */
  readonly path: readonly (string | number)[];
  readonly firstLine: number;
  readonly line: number;
}

export interface NumberLiteral {
  readonly path: readonly (string | number)[];
  /** As written, e.g. `4e0`. */
  readonly text: string;
}

export interface JsonTextFacts {
  /** The first key, in reading order, that its object has already. */
  readonly duplicate: DuplicateKey | undefined;
  /** Every number written with a `.` or an exponent, with its path. */
  readonly nonIntegerLiterals: readonly NumberLiteral[];
}

const QUOTE = 34; // "
const BACKSLASH = 92;
const NEWLINE = 10;

/** Scans JSON text that `JSON.parse` accepted (a leading BOM already removed). */
export function scanJsonText(text: string): JsonTextFacts {
  const scanner = new Scanner(text);
  scanner.value([]);
  return { duplicate: scanner.duplicate, nonIntegerLiterals: scanner.literals };
}

class Scanner {
  private at = 0;
  private line = 1;
  duplicate: DuplicateKey | undefined;
  readonly literals: NumberLiteral[] = [];

  constructor(private readonly text: string) {}

  value(path: (string | number)[]): void {
    this.skipSpace();
    const c = this.text[this.at];
    if (c === '{') this.object(path);
    else if (c === '[') this.array(path);
    else if (c === '"') this.string();
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) this.number(path);
    else this.word();
  }

  private object(path: (string | number)[]): void {
    this.at++; // {
    const lineOfKey = new Map<string, number>();
    this.skipSpace();
    if (this.text[this.at] === '}') {
      this.at++;
      return;
    }
    for (;;) {
      this.skipSpace();
      const line = this.line;
      const key = this.string();
      const first = lineOfKey.get(key);
      if (first === undefined) lineOfKey.set(key, line);
      else this.duplicate ??= { path: [...path, key], firstLine: first, line };
      this.skipSpace();
      this.at++; // :
      this.value([...path, key]);
      this.skipSpace();
      if (this.text[this.at++] !== ',') return; // }
    }
  }

  private array(path: (string | number)[]): void {
    this.at++; // [
    this.skipSpace();
    if (this.text[this.at] === ']') {
      this.at++;
      return;
    }
    for (let index = 0; ; index++) {
      this.value([...path, index]);
      this.skipSpace();
      if (this.text[this.at++] !== ',') return; // ]
    }
  }

  /** Reads a string token and returns its value (decoded only when it has escapes). */
  private string(): string {
    const start = this.at;
    this.at++; // opening quote
    let escaped = false;
    for (;;) {
      const c = this.text.charCodeAt(this.at);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        this.at += 2;
      } else {
        this.at++;
      }
    }
    this.at++; // closing quote
    return escaped ? (JSON.parse(this.text.slice(start, this.at)) as string) : this.text.slice(start + 1, this.at - 1);
  }

  private number(path: (string | number)[]): void {
    const start = this.at;
    while (this.at < this.text.length && /[-+0-9.eE]/.test(this.text[this.at]!)) this.at++;
    const text = this.text.slice(start, this.at);
    if (/[.eE]/.test(text)) this.literals.push({ path, text });
  }

  /** `true`, `false`, `null`. */
  private word(): void {
    while (this.at < this.text.length && /[a-z]/.test(this.text[this.at]!)) this.at++;
  }

  private skipSpace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.at);
      if (c === NEWLINE) this.line++;
      else if (c !== 32 && c !== 9 && c !== 13) return;
      this.at++;
    }
  }
}
