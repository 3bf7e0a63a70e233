import type { Entry, FileEntry } from '../../core/entry.js';
import type { DescriptorOps, FilledTemp, SyncCopyOps } from '../../fs/file-system.js';

/** An origin as read on its own host, through one O_NOFOLLOW descriptor: its bytes and its entry as seen while read. */
export interface ReadOrigin {
  /** null: the origin was not the regular file planned (a link swapped in, a directory, gone). */
  readonly data: Uint8Array | null;
  readonly origin: Entry | null;
}

/**
 * The copy protocol's synchronous steps (copy-sync.ts `copySync`) on the
 * destination's host, where the copy's bytes came over the link: the
 * temporary `temp` is created exclusively and filled with `read.data`, and
 * the protocol is told the origin as it was while read on the other host
 * (so a change while read is `changed_during_transfer`, exactly as locally).
 * Every other step is the disk's own.
 */
export function fillingFromBytes(disk: SyncCopyOps & Pick<DescriptorOps, 'writeTempSync'>, read: ReadOrigin, temp: string): SyncCopyOps {
  const fill = (to: string, planned: FileEntry): FilledTemp => {
    // The origin was not the file planned: nothing to write (the protocol skips it, changed_during_transfer).
    if (read.data === null || read.origin === null || to !== temp) return { origin: read.origin, written: null };
    return { origin: read.origin, written: disk.writeTempSync(to, read.data, planned.mode, planned.mtimeNs) };
  };
  return {
    lstatOrNullSync: (path) => disk.lstatOrNullSync(path),
    copyFileSync: () => {
      throw new Error('a copy across the link fills its temporary from the bytes sent (copyToTempSync)');
    },
    setCreatedFileAttributesSync: (path, mode, mtimeNs) => disk.setCreatedFileAttributesSync(path, mode, mtimeNs),
    renameSync: (from, to) => disk.renameSync(from, to),
    unlinkSync: (path) => disk.unlinkSync(path),
    copyToTempSync: (_from, to, planned) => fill(to, planned),
  };
}
