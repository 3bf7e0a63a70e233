import type { Readable, Writable } from 'node:stream';
import { decodeFrameBody, encodeFrame, MAX_FRAME_BYTES, type Frame } from './protocol.js';

/**
 * Length-prefixed frames over a byte stream, both directions (protocol.ts).
 * The reader first expects a fixed magic; whatever comes instead is kept (up
 * to a few hundred bytes) so the error can show it.
 */

export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);
  private magicSeen: boolean;
  private broken = false;

  /**
   * @param magic bytes that must open the stream (null: none expected)
   * @param onFrame each frame, in order
   * @param onGarbage the stream did not open with `magic`: what came instead
   */
  constructor(
    private readonly magic: Buffer | null,
    private readonly onFrame: (frame: Frame) => void,
    private readonly onGarbage: (prefix: Buffer) => void,
  ) {
    this.magicSeen = magic === null;
  }

  push(chunk: Buffer): void {
    if (this.broken) return;
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    if (!this.magicSeen) {
      const magic = this.magic!;
      const n = Math.min(magic.length, this.buffered.length);
      if (!this.buffered.subarray(0, n).equals(magic.subarray(0, n))) {
        this.onGarbage(this.buffered.subarray(0, 400));
        this.buffered = Buffer.alloc(0);
        this.magicSeen = true;
        this.broken = true;
        return;
      }
      if (this.buffered.length < magic.length) return;
      this.buffered = this.buffered.subarray(magic.length);
      this.magicSeen = true;
    }
    while (this.buffered.length >= 4) {
      const length = this.buffered.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) throw new Error(`agent protocol: a frame of ${length} bytes is over the limit of ${MAX_FRAME_BYTES}`);
      if (this.buffered.length < 4 + length) return;
      const body = this.buffered.subarray(4, 4 + length);
      this.buffered = this.buffered.subarray(4 + length);
      this.onFrame(decodeFrameBody(body));
    }
  }

  /** Bytes received before the magic was complete (what a login script printed, or part of it). */
  get pendingBeforeMagic(): Buffer {
    return this.magicSeen ? Buffer.alloc(0) : this.buffered;
  }
}

/** Reads `input` into frames until it ends; resolves on its end, rejects on a framing error. */
export function readFrames(input: Readable, reader: FrameReader): Promise<void> {
  return new Promise((resolve, reject) => {
    input.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (err) {
        input.destroy();
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
    input.once('end', () => resolve());
    input.once('close', () => resolve());
    input.once('error', (err) => reject(err));
  });
}

/**
 * Writes frames to `output`, counting bytes; `send` resolves once the stream
 * took the frame without asking to wait (backpressure: a large upload waits
 * for the link instead of piling up in memory).
 */
export class FrameWriter {
  bytes = 0;
  private closed = false;

  constructor(private readonly output: Writable) {}

  write(raw: Buffer): boolean {
    if (this.closed || this.output.destroyed || this.output.writableEnded) return false;
    this.bytes += raw.length;
    return this.output.write(raw);
  }

  async send(frame: Frame): Promise<void> {
    if (this.write(encodeFrame(frame))) return;
    if (this.closed || this.output.destroyed || this.output.writableEnded) throw new Error('agent link closed');
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.output.off('drain', done);
        this.output.off('close', done);
        resolve();
      };
      this.output.once('drain', done);
      this.output.once('close', done);
    });
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.output.destroyed && !this.output.writableEnded) this.output.end();
  }
}
