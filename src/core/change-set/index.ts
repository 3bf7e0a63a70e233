/** The change-set functions (core/change-set.ts is the contract): columns, the reference comparison, the restriction. */
export { columnsFromBaseline, entryFromBaseline, fileRowCount, pathAt, rowIndex, type BaselineColumns } from './columns.js';
export { matchesRow, reportAgainstBaseline, type ReportOptions } from './report.js';
export { affectedPaths, restrictToAffected, type AffectedInput, type SideReport } from './restrict.js';
