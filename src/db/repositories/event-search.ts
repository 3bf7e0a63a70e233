import type Database from 'better-sqlite3';
import type { EventSearch, EventSearchPage } from '../store.js';
import { SELECT_EVENT, toEventRecord, type EventDbRow } from './history.js';


/**
 * A page of one generation's events that match a path fragment and an
 * action, and how many match in all (the admin page's search of a 20k-file
 * generation). The fragment is matched literally, case-sensitively (paths
 * are byte names), anywhere in the path: `instr`, not LIKE, so `%` and `_`
 * in a file name mean themselves. The (generation_id, action) index narrows
 * the rows; the fragment is then a scan of that generation's events.
 */
export class EventSearchRepository {
  private readonly selectPage;
  private readonly selectCount;

  constructor(db: Database.Database) {
    const where = `WHERE generation_id = @generation
      AND (@action IS NULL OR action = @action)
      AND (@contains IS NULL OR instr(path, @contains) > 0)`;
    this.selectPage = db.prepare<[Record<string, string | number | null>], EventDbRow>(
      `${SELECT_EVENT} ${where} ORDER BY id LIMIT @limit OFFSET @offset`,
    );
    this.selectCount = db.prepare<[Record<string, string | number | null>], number>(`SELECT COUNT(*) FROM generation_event ${where}`).pluck();
  }

  search(generationId: number, search: EventSearch): EventSearchPage {
    const params = {
      generation: generationId,
      action: search.action ?? null,
      contains: search.pathContains === undefined || search.pathContains === '' ? null : search.pathContains,
    };
    const total = this.selectCount.get(params) ?? 0;
    const rows = this.selectPage.all({ ...params, limit: search.limit, offset: search.offset });
    return {
      total,
      events: rows.map(toEventRecord),
    };
  }
}
