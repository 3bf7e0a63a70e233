import { describe, expect, it } from 'vitest';
import type { GenerationEventInput } from '../../src/db/store.js';
import { SKIP_REASON } from '../../src/engine/copy-protocol.js';
import { pendingPaths } from '../../src/engine/generation/pending.js';

const event = (action: GenerationEventInput['action'], path: string, message: string | null): GenerationEventInput =>
  ({ side: 'target', path, action, bytes: 0, message });

describe('pendingPaths: what a generation did not land, and will retry', () => {
  it('counts failed actions, unreadable paths and skipped actions; not what is left alone on purpose', () => {
    const events = [
      event('copy', 'landed.txt', null),
      event('skip', 'busy.log', `copy: ${SKIP_REASON.changedDuringTransfer}`),
      event('skip', 'edited.txt', `delete: ${SKIP_REASON.modifiedSinceScan}`),
      event('skip', 'cut.bin', `copy: ${SKIP_REASON.interrupted}`),
      event('error', 'locked.txt', 'copy: EACCES: permission denied'),
      event('error', 'secret', 'scan: unreadable: EACCES'),
      event('skip', 'a/b', 'a parent of this path is not a directory on the target'),
      event('skip', 'kept-dir', `rmdir: ${SKIP_REASON.directoryNotEmpty}`),
      event('skip', 'socket', 'unsupported file type: socket'),
      event('skip', 'dir', 'the directory on the target holds entries that are not synced; it is not replaced'),
      event('error', '', 'guard: source root is missing'),
    ];
    expect(pendingPaths(events).map((p) => [p.path, p.reason])).toEqual([
      ['busy.log', 'copy: changed_during_transfer'],
      ['edited.txt', 'delete: modified since scan'],
      ['cut.bin', 'copy: interrupted'],
      ['locked.txt', 'copy: EACCES: permission denied'],
      ['secret', 'scan: unreadable: EACCES'],
      ['a/b', 'a parent of this path is not a directory on the target'],
    ]);
  });
});
