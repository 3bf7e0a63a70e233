/**
 * A small line diff of two texts for the admin page's conflict view: what a
 * person needs to choose a side, not a patch to apply. Common lines at both
 * ends are set aside, the middle is aligned by longest common subsequence
 * when that is cheap, and only the changed lines with a little context are
 * kept. Pure: no I/O.
 */
export interface DiffLine {
  /** ` ` both sides, `-` only the source's, `+` only the target's; `…` stands for unchanged lines left out. */
  readonly op: ' ' | '-' | '+' | '…';
  readonly text: string;
}

export interface TextDiff {
  readonly lines: DiffLine[];
  /** Lines were left out past `maxLines`. */
  readonly truncated: boolean;
  /** The texts are the same. */
  readonly identical: boolean;
}

const CONTEXT = 3;
/** Past this many cells the LCS table costs too much: the middle is shown as removed then added. */
const MAX_TABLE_CELLS = 4_000_000;

export function diffLines(source: string, target: string, maxLines = 400): TextDiff {
  const a = splitLines(source);
  const b = splitLines(target);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  if (start === endA && start === endB) return { lines: [], truncated: false, identical: source === target };
  const all: DiffLine[] = [
    ...a.slice(0, start).map((text) => ({ op: ' ' as const, text })),
    ...alignMiddle(a.slice(start, endA), b.slice(start, endB)),
    ...a.slice(endA).map((text) => ({ op: ' ' as const, text })),
  ];
  return withContext(all, maxLines);
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function alignMiddle(a: readonly string[], b: readonly string[]): DiffLine[] {
  if (a.length * b.length > MAX_TABLE_CELLS) {
    return [...a.map((text) => ({ op: '-' as const, text })), ...b.map((text) => ({ op: '+' as const, text }))];
  }
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..], in one flat array.
  const width = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * width + j] = a[i] === b[j] ? lcs[(i + 1) * width + j + 1]! + 1 : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', text: a[i]! });
      i++;
      j++;
    } else if (lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!) {
      out.push({ op: '-', text: a[i++]! });
    } else {
      out.push({ op: '+', text: b[j++]! });
    }
  }
  while (i < a.length) out.push({ op: '-', text: a[i++]! });
  while (j < b.length) out.push({ op: '+', text: b[j++]! });
  return out;
}

/** Keeps changed lines and CONTEXT unchanged lines around each; longer unchanged runs become one `…`. */
function withContext(all: readonly DiffLine[], maxLines: number): TextDiff {
  const keep = new Uint8Array(all.length);
  all.forEach((line, index) => {
    if (line.op === ' ') return;
    for (let k = Math.max(0, index - CONTEXT); k <= Math.min(all.length - 1, index + CONTEXT); k++) keep[k] = 1;
  });
  const lines: DiffLine[] = [];
  let skipped = false;
  for (let index = 0; index < all.length; index++) {
    if (keep[index]) {
      if (skipped) lines.push({ op: '…', text: '' });
      skipped = false;
      lines.push(all[index]!);
    } else {
      skipped = true;
    }
  }
  if (skipped) lines.push({ op: '…', text: '' });
  const truncated = lines.length > maxLines;
  return { lines: truncated ? lines.slice(0, maxLines) : lines, truncated, identical: false };
}
