import type { FastifyInstance } from 'fastify';
import { request as httpRequest } from 'node:http';
import type { Readable } from 'node:stream';
import { TEST_TOKEN } from './fixtures.js';

/**
 * One way for the contract tests to talk to the API, with two
 * implementations: fastify's `inject` (in-process) and `fetch` over a real
 * socket. Mutating requests send the test token unless `token` says otherwise
 * (`null`: no Authorization header at all).
 */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly json: any;
}

export interface RequestOptions {
  readonly body?: unknown;
  /** Sent as is, instead of `body` as JSON. */
  readonly rawBody?: string;
  readonly token?: string | null;
  readonly headers?: Record<string, string>;
}

export interface LiveStream {
  /** Every event received so far, parsed. */
  readonly events: { type: string; [key: string]: unknown }[];
  close(): Promise<void>;
}

export interface ApiClient {
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  /** Opens `GET /api/events` and collects what arrives. */
  events(): Promise<LiveStream>;
}

function headersFor(method: string, options: RequestOptions): Record<string, string> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? (method === 'GET' ? null : TEST_TOKEN) : options.token;
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  if (options.body !== undefined || options.rawBody !== undefined) headers['content-type'] ??= 'application/json';
  return headers;
}

function payloadOf(options: RequestOptions): string | undefined {
  return options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Splits an SSE byte stream into events, pushing each parsed `data` into `events`. */
function sseCollector(events: LiveStream['events']): (chunk: string) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const eventName = /^event: (.*)$/m.exec(block)?.[1];
      const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if (data === '') continue;
      const event = JSON.parse(data) as LiveStream['events'][number];
      if (eventName !== event.type) throw new Error(`SSE event name ${eventName} does not match its data type ${event.type}`);
      events.push(event);
    }
  };
}

export function injectClient(app: FastifyInstance): ApiClient {
  return {
    async request(method, path, options = {}) {
      const response = await app.inject({ method: method as 'GET', url: path, headers: headersFor(method, options), payload: payloadOf(options) });
      return { status: response.statusCode, headers: response.headers as Record<string, string>, text: response.body, json: parsed(response.body) };
    },
    async events() {
      const response = await app.inject({ method: 'GET', url: '/api/events', payloadAsStream: true });
      if (response.statusCode !== 200) throw new Error(`GET /api/events answered ${response.statusCode}`);
      const stream = response.stream() as Readable;
      const events: LiveStream['events'] = [];
      const collect = sseCollector(events);
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => collect(chunk));
      return { events, close: async () => { stream.destroy(); } };
    },
  };
}

export function httpClient(baseUrl: string): ApiClient {
  return {
    // node:http rather than fetch: fetch may not set a Host header, and the DNS-rebinding test must.
    request(method, path, options = {}) {
      return new Promise<ApiResponse>((resolve, reject) => {
        const payload = payloadOf(options);
        const outgoing = httpRequest(baseUrl + path, { method, headers: headersFor(method, options) }, (incoming) => {
          let text = '';
          incoming.setEncoding('utf8');
          incoming.on('data', (chunk: string) => { text += chunk; });
          incoming.on('end', () => resolve({
            status: incoming.statusCode ?? 0,
            headers: Object.fromEntries(Object.entries(incoming.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v ?? ''])),
            text,
            json: parsed(text),
          }));
          incoming.on('error', reject);
        });
        outgoing.on('error', reject);
        outgoing.end(payload);
      });
    },
    async events() {
      const abort = new AbortController();
      const response = await fetch(`${baseUrl}/api/events`, { signal: abort.signal });
      if (response.status !== 200 || !response.body) throw new Error(`GET /api/events answered ${response.status}`);
      const events: LiveStream['events'] = [];
      const collect = sseCollector(events);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      const pump = (async () => {
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            collect(value);
          }
        } catch {
          // aborted by close()
        }
      })();
      return { events, close: async () => { abort.abort(); await pump; } };
    },
  };
}
