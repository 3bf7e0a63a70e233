import { reportAgainstBaseline } from '../core/change-set/report.js';
import type { ScanOptions, ScanResult } from './scan.js';

/**
 * A full walk's answer brought to what a scan run `against` its side's
 * baseline answers (core/change-set.ts), on the calling thread: the in-memory
 * filesystem and a decorator walking inline answer so, and the engine so
 * completes the answer of a filesystem that ignored `against` (correct, only
 * slower: every entry crossed over). A result that already has its changes,
 * or a scan asked without `against`, is returned as it is.
 */
export function answeredAgainst(result: ScanResult, options: ScanOptions): ScanResult {
  if (options.against === undefined || result.changes !== undefined) return result;
  return reportAgainstBaseline(result, options.against, options.onlyPaths ? { onlyPaths: options.onlyPaths } : {});
}
