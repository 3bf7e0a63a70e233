import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesOfName, mayNeedBytes, nameFromBytes, nameFromText, needsBytes } from '../../src/fs/byte-names.js';

/** Bytes as conduit would list them: any byte but `/` and NUL, weighted towards the high half where UTF-8 goes wrong. */
const nameBytes = fc
  .array(fc.oneof(fc.integer({ min: 1, max: 0x7f }), fc.integer({ min: 0x80, max: 0xff }), fc.constantFrom(0xef, 0x9e, 0x9f, 0xbf, 0xc3, 0xed, 0xf0, 0xf4)), { maxLength: 24 })
  .map((a) => Buffer.from(a.filter((x) => x !== 0x2f)));

/** No lone surrogate (String.prototype.isWellFormed, which this project's lib target does not declare). */
const wellFormed = (s: string): boolean => !/\p{Cs}/u.test(s);

const hex = (s: string) => [...s].map((c) => c.codePointAt(0)!.toString(16)).join(' ');

describe('byte names: conduit strings for arbitrary name bytes', () => {
  it('round-trips every byte string exactly (bytes → name → bytes)', () => {
    fc.assert(fc.property(nameBytes, (bytes) => {
      expect(bytesOfName(nameFromBytes(bytes)).equals(bytes)).toBe(true);
    }), { numRuns: 2000 });
  });

  it('gives different byte strings different names (so no two files share a path)', () => {
    fc.assert(fc.property(nameBytes, nameBytes, (a, b) => {
      fc.pre(!a.equals(b));
      expect(nameFromBytes(a)).not.toBe(nameFromBytes(b));
    }), { numRuns: 2000 });
  });

  it('yields valid Unicode (no lone surrogates), which SQLite and JSON carry unchanged', () => {
    fc.assert(fc.property(nameBytes, (bytes) => {
      const name = nameFromBytes(bytes);
      expect(wellFormed(name)).toBe(true);
      expect(JSON.parse(JSON.stringify(name))).toBe(name);
      expect(Buffer.from(name, 'utf8').toString('utf8')).toBe(name);
    }), { numRuns: 1000 });
  });

  it('leaves a valid UTF-8 name as Node decodes it, unless it holds an escape-range character', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 12 }), (text) => {
      fc.pre(!/[\uF780-\uF7FF]/.test(text));
      const bytes = Buffer.from(text, 'utf8');
      expect(nameFromBytes(bytes)).toBe(bytes.toString('utf8'));
      expect(needsBytes(nameFromBytes(bytes))).toBe(false);
    }));
  });

  it('escapes each invalid byte as U+F780 + (byte - 0x80): bad\\xff\\xfe.txt', () => {
    const name = nameFromBytes(Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x2e, 0x74, 0x78, 0x74]));
    expect(name).toBe('bad\uF7FF\uF7FE.txt');
    expect(needsBytes(name)).toBe(true);
    expect(mayNeedBytes(Buffer.from([0x62, 0xff]).toString('utf8'))).toBe(true); // Node's lossy decoding shows U+FFFD
  });

  it('escapes, byte by byte, a valid character that lies in the escape range, so it cannot be mistaken for an escape', () => {
    const bytes = Buffer.from('pua\uF780.txt', 'utf8'); // EF 9E 80
    const name = nameFromBytes(bytes);
    expect(hex(name)).toBe(hex('pua\uF7EF\uF79E\uF780.txt'));
    expect(bytesOfName(name).equals(bytes)).toBe(true);
    expect(nameFromText('pua\uF780.txt')).toBe(name);
  });

  it('treats overlong forms, encoded surrogates and truncated sequences as invalid bytes', () => {
    for (const bad of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0xf8]]) {
      const name = nameFromBytes(Buffer.from(bad));
      expect(name).toBe(bad.map((x) => String.fromCharCode(0xf780 + x - 0x80)).join(''));
      expect(bytesOfName(name).equals(Buffer.from(bad))).toBe(true);
    }
  });

  it('nameFromText is nameFromBytes of the text\'s UTF-8', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 16 }), (text) => {
      fc.pre(wellFormed(text));
      expect(nameFromText(text)).toBe(nameFromBytes(Buffer.from(text, 'utf8')));
    }), { numRuns: 1000 });
  });
});
