/**
 * A strict little reader of the Prometheus text exposition format (0.0.4):
 * every line is a `# HELP`, a `# TYPE` or a sample of a declared family, and
 * every value is a number. Throws, naming the line, on anything else.
 */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
  /** The value of the sample with exactly these labels (a subset match), or undefined. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parsePrometheusText(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  text.split('\n').forEach((line, index) => {
    const where = `line ${index + 1} (${JSON.stringify(line)})`;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const match = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!match) throw new Error(`${where}: a comment that is neither HELP nor TYPE`);
      const [, kind, name = '', rest = ''] = match;
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name`);
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type ${rest}`);
        types.set(name, rest);
      }
      return;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`${where}: not a sample`);
    const [, name = '', , labelText = '', valueText = ''] = match;
    const family = familyOf(name, types);
    if (!family) throw new Error(`${where}: sample of an undeclared family`);
    const labels: Record<string, string> = {};
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < labelText.length) {
      const label = LABEL.exec(labelText);
      if (!label) throw new Error(`${where}: bad labels`);
      labels[label[1] ?? ''] = (label[2] ?? '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const value = sampleValue(valueText);
    if (value === undefined) throw new Error(`${where}: value is not a number`);
    samples.push({ name, labels, value });
  });
  return {
    types,
    samples,
    value(name, wanted = {}) {
      const found = samples.find((s) => s.name === name && Object.entries(wanted).every(([k, v]) => s.labels[k] === v));
      return found?.value;
    },
  };
}

/**
 * A sample value as Prometheus reads it (Go's strconv.ParseFloat): a decimal
 * number, or NaN / Inf / +Inf / -Inf in any case (prom-client writes `Nan`
 * for an event-loop lag not measured yet).
 */
function sampleValue(text: string): number | undefined {
  if (/^nan$/i.test(text)) return NaN;
  const infinite = /^([+-]?)inf(inity)?$/i.exec(text);
  if (infinite) return infinite[1] === '-' ? -Infinity : Infinity;
  const value = Number(text);
  return text.trim() === '' || Number.isNaN(value) ? undefined : value;
}

function familyOf(name: string, types: ReadonlyMap<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = name.endsWith(suffix) ? name.slice(0, -suffix.length) : undefined;
    if (base !== undefined && ['histogram', 'summary'].includes(types.get(base) ?? '')) return base;
  }
  return undefined;
}
