import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/db/open-store.js';
import type { Store } from '../../src/db/store.js';
import { conduitSpec, tempDir } from './fixtures.js';

/** Issue 10: a remote root is stored as its ssh:// text; ssh_command and remote_command are nullable columns (NULL = default). */
let tmp: ReturnType<typeof tempDir>;
let store: Store;
beforeEach(async () => {
  tmp = tempDir();
  store = await openStore(tmp.db);
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

describe('the ssh settings of a conduit in sync_conduit', () => {
  it('stores a remote root and both commands, reads them back, and updates them to NULL', () => {
    const created = store.createConduit(conduitSpec({ target: 'ssh://me@nas:2222/srv/photos', sshCommand: 'ssh -F /etc/c', remoteCommand: 'conduit agent' }));
    expect(created).toMatchObject({ target: 'ssh://me@nas:2222/srv/photos', sshCommand: 'ssh -F /etc/c', remoteCommand: 'conduit agent' });
    const updated = store.updateConduit('photos', conduitSpec({ target: 'ssh://me@nas:2222/srv/photos', sshCommand: null, remoteCommand: null }));
    expect(updated).toMatchObject({ sshCommand: null, remoteCommand: null });
    const db = new Database(tmp.db, { readonly: true });
    try {
      expect(db.prepare('SELECT target_path, ssh_command, remote_command FROM sync_conduit').get())
        .toEqual({ target_path: 'ssh://me@nas:2222/srv/photos', ssh_command: null, remote_command: null });
    } finally {
      db.close();
    }
  });

  it('a conduit given no ssh settings stores NULL: the defaults', () => {
    expect(store.createConduit(conduitSpec())).toMatchObject({ sshCommand: null, remoteCommand: null });
  });
});
