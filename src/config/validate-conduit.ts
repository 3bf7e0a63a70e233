import { isAbsolute } from 'node:path';
import type { ConduitSpec, VersioningSpec } from './conduit-spec.js';
import { ConfigError, describeValue } from './config-error.js';
import { CONDUIT_DEFAULTS, CONDUIT_FIELDS, conduitInputSchema } from './conduit-schema.js';
import type { ConduitInput } from './conduit-schema.js';
import { checkRootHoldsNoOwnFile, type OwnFile } from './own-files.js';
import { PathTree } from './path-tree.js';
import { containsPath, pathKind, realPathOfExistingPart, resolvePath } from './paths.js';
import { checkAtMostOneRemote, overlapKeyOf, remoteRootOf, storedRootOf } from './roots.js';
import { issueToConfigError } from './zod-issues.js';

export interface ValidateConduitOptions {
  /** Relative `source`/`target` resolve against this folder (the config file's folder, or the CWD for flags). */
  readonly baseDir: string;
  /**
   * The conduit's previous spec, when this validates a change of an existing
   * conduit: a root that did not change is not required to exist on disk
   * right now (an unmounted drive must not block editing the schedule).
   */
  readonly previous?: ConduitSpec;
  /**
   * conduit's own files (`ownFilesOf(database)`), which neither root may
   * contain (SPEC §4). Every caller that knows its database gives them; the
   * service layer always does.
   */
  readonly ownFiles?: readonly OwnFile[];
}

/**
 * Validates one conduit definition (config file entry, CLI flags, API body)
 * and returns it complete: defaults filled in, both roots absolute.
 * Throws `ConfigError` whose `field` is relative to the conduit (`mode`,
 * `include[0]`); callers add the place and prefix.
 */
export function validateConduit(input: unknown, options: ValidateConduitOptions): ConduitSpec {
  const parsed = conduitInputSchema.safeParse(input);
  if (!parsed.success) throw issueToConfigError(parsed.error, input, knownConduitKeys);
  const spec = withDefaults(parsed.data, options.baseDir);
  checkModeRules(parsed.data, spec);
  checkRoots(spec, options.previous, options.ownFiles);
  return spec;
}

/**
 * Applies a partial change to an existing conduit and validates the result as
 * a whole (`conduit edit`, `PATCH /api/conduits/:name`). A `null` in the
 * patch clears a nullable field (`bandwidthLimitMbps`, `versioning`).
 */
export function mergeConduitPatch(existing: ConduitSpec, patch: unknown, options: Omit<ValidateConduitOptions, 'previous'>): ConduitSpec {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
    throw new ConfigError('', `expected an object with the fields to change, got ${describeValue(patch)}`);
  }
  const merged: Record<string, unknown> = { ...specToInput(existing), ...dropUndefined(patch as Record<string, unknown>) };
  // The stored policy of a one-way conduit is only the default: it is "given"
  // only when this patch gives it, and a switch to a one-way mode drops it.
  if ((patch as Record<string, unknown>)['conflict'] === undefined && merged['mode'] !== 'bidirectional') delete merged['conflict'];
  return validateConduit(merged, { ...options, previous: existing });
}

/**
 * A spec as a user would write it: what `export` prints and `edit` starts
 * from. The conflict policy is left out for one-way modes, where giving one
 * is an error.
 */
export function specToInput(spec: ConduitSpec): ConduitInput {
  const input: Record<string, unknown> = {};
  for (const field of CONDUIT_FIELDS) {
    if (field === 'conflict' && spec.mode !== 'bidirectional') continue;
    // The ssh settings are written only when set: a local conduit's export stays as it was before issue 10.
    if ((field === 'sshCommand' || field === 'remoteCommand') && spec[field] === null) continue;
    const value = spec[field];
    input[field] = Array.isArray(value) ? [...value] : value;
  }
  return input as ConduitInput;
}

/**
 * Two conduits whose targets are equal or nested would overwrite and delete
 * each other's files. Checks `candidates` against each other and against
 * `others` (e.g. the conduits already in the store that the candidates do not
 * replace). `label(i)` names candidate i in messages (`conduits[2]`, or '' for flags).
 */
export function checkTargetsApart(
  candidates: readonly ConduitSpec[],
  others: readonly ConduitSpec[],
  label: (index: number) => string,
): void {
  const seen = new PathTree<{ spec: ConduitSpec; where: string }>();
  for (const spec of others) seen.add(overlapKeyOf(spec.target, realPathOfExistingPart), { spec, where: `conduit "${spec.name}"` });
  candidates.forEach((spec, index) => {
    const real = overlapKeyOf(spec.target, realPathOfExistingPart);
    const where = label(index);
    const clash = seen.firstOverlapping(real);
    if (clash) {
      throw new ConfigError(
        where === '' ? 'target' : `${where}.target`,
        `expected a target apart from the target of ${clash.where} (${clash.spec.target}), got ${describeValue(spec.target)}`,
      );
    }
    seen.add(real, { spec, where: where === '' ? `conduit "${spec.name}"` : `${where} ("${spec.name}")` });
  });
}

function withDefaults(input: ConduitInput, baseDir: string): ConduitSpec {
  const versioning: VersioningSpec | null = input.versioning
    ? { dir: input.versioning.dir, keepDays: input.versioning.keepDays }
    : CONDUIT_DEFAULTS.versioning;
  return {
    name: input.name,
    source: storedRootOf('source', input.source, baseDir),
    target: storedRootOf('target', input.target, baseDir),
    mode: input.mode,
    schedule: input.schedule ?? CONDUIT_DEFAULTS.schedule,
    enabled: input.enabled ?? CONDUIT_DEFAULTS.enabled,
    include: input.include ?? CONDUIT_DEFAULTS.include,
    exclude: input.exclude ?? CONDUIT_DEFAULTS.exclude,
    useIndexRules: input.useIndexRules ?? CONDUIT_DEFAULTS.useIndexRules,
    conflict: input.conflict ?? CONDUIT_DEFAULTS.conflict,
    parallelTransfers: input.parallelTransfers ?? CONDUIT_DEFAULTS.parallelTransfers,
    bandwidthLimitMbps: input.bandwidthLimitMbps ?? CONDUIT_DEFAULTS.bandwidthLimitMbps,
    maxDeletePercent: input.maxDeletePercent ?? CONDUIT_DEFAULTS.maxDeletePercent,
    checksum: input.checksum ?? CONDUIT_DEFAULTS.checksum,
    versioning,
    verifyTimeoutSeconds: input.verifyTimeoutSeconds ?? CONDUIT_DEFAULTS.verifyTimeoutSeconds,
    sshCommand: input.sshCommand ?? CONDUIT_DEFAULTS.sshCommand,
    remoteCommand: input.remoteCommand ?? CONDUIT_DEFAULTS.remoteCommand,
  };
}

function checkModeRules(input: ConduitInput, spec: ConduitSpec): void {
  if (spec.mode === 'selective' && spec.include.length === 0) {
    throw new ConfigError('include', `expected at least one pattern for a selective conduit, got ${describeValue(input.include ?? [])}`);
  }
  if (input.conflict !== undefined && spec.mode !== 'bidirectional') {
    throw new ConfigError(
      'conflict',
      `expected no conflict policy for a ${spec.mode} conduit (only bidirectional conduits have one), got ${describeValue(input.conflict)}`,
    );
  }
}

function checkRoots(spec: ConduitSpec, previous: ConduitSpec | undefined, ownFiles: readonly OwnFile[] | undefined): void {
  checkAtMostOneRemote(spec.source, spec.target);
  if (remoteRootOf(spec.source) !== null || remoteRootOf(spec.target) !== null) {
    checkLocalRootOfRemoteConduit(spec, previous, ownFiles);
    return;
  }
  if (spec.source !== previous?.source) {
    const kind = pathKind(spec.source);
    if (kind === 'missing') throw new ConfigError('source', `expected an existing directory, got ${describeValue(spec.source)} (it does not exist)`);
    if (kind !== 'directory') throw new ConfigError('source', `expected a directory, got ${describeValue(spec.source)} (a ${kind === 'file' ? 'file' : 'special file'})`);
  }
  if (spec.target !== previous?.target) {
    const kind = pathKind(spec.target);
    if (kind === 'missing') {
      // SPEC §4: a target that does not exist yet is created at the first generation; its parent must exist.
      const parent = resolvePath('..', spec.target);
      if (pathKind(parent) !== 'directory') {
        throw new ConfigError('target', `expected a directory, or a new one inside an existing directory, got ${describeValue(spec.target)} (${parent} does not exist)`);
      }
    } else if (kind !== 'directory') {
      throw new ConfigError('target', `expected a directory, got ${describeValue(spec.target)} (a ${kind === 'file' ? 'file' : 'special file'})`);
    }
  }
  const source = realPathOfExistingPart(spec.source);
  const target = realPathOfExistingPart(spec.target);
  // An error names the root this change moved: `edit x --source <its target>` is a mistake in --source.
  const sourceMoved = spec.source !== previous?.source;
  const targetMoved = spec.target !== previous?.target;
  if (source === target) {
    if (sourceMoved && !targetMoved) throw new ConfigError('source', `expected a directory other than the target, got ${describeValue(spec.source)}`);
    throw new ConfigError('target', `expected a directory other than the source, got ${describeValue(spec.target)}`);
  }
  if (containsPath(source, target)) {
    if (sourceMoved && !targetMoved) {
      throw new ConfigError('source', `expected a directory that does not contain the target (${spec.target}), got ${describeValue(spec.source)}`);
    }
    throw new ConfigError('target', `expected a directory outside the source (${spec.source}), got ${describeValue(spec.target)}`);
  }
  if (containsPath(target, source)) {
    if (targetMoved && !sourceMoved) {
      throw new ConfigError('target', `expected a directory that does not contain the source (${spec.source}), got ${describeValue(spec.target)}`);
    }
    throw new ConfigError('source', `expected a directory outside the target (${spec.target}), got ${describeValue(spec.source)}`);
  }
  if (ownFiles) {
    checkRootHoldsNoOwnFile('source', spec.source, ownFiles, source);
    checkRootHoldsNoOwnFile('target', spec.target, ownFiles, target);
  }
  if (spec.versioning && isAbsolute(spec.versioning.dir)) checkAbsoluteVersioningDir(spec, source, target);
}

/**
 * A conduit with one remote root (issue 10). The local root is checked as
 * any local root is (it exists, or the target's parent does; it holds none
 * of conduit's own files). The remote root cannot be checked here: whether
 * it exists, its real path, and conduit's files on that host are the far
 * side's facts, which the agent checks (it confines every path to its root,
 * serve.ts) and the generation's guards refuse (a missing root). Two roots
 * on different hosts cannot overlap, so the overlap rules have nothing to
 * compare; an absolute versioning dir is checked against the local root only.
 */
function checkLocalRootOfRemoteConduit(spec: ConduitSpec, previous: ConduitSpec | undefined, ownFiles: readonly OwnFile[] | undefined): void {
  const side = remoteRootOf(spec.source) === null ? 'source' : 'target';
  const root = spec[side];
  if (root !== previous?.[side]) {
    const kind = pathKind(root);
    if (kind === 'missing' && side === 'target') {
      const parent = resolvePath('..', root);
      if (pathKind(parent) !== 'directory') {
        throw new ConfigError('target', `expected a directory, or a new one inside an existing directory, got ${describeValue(root)} (${parent} does not exist)`);
      }
    } else if (kind === 'missing') {
      throw new ConfigError('source', `expected an existing directory, got ${describeValue(root)} (it does not exist)`);
    } else if (kind !== 'directory') {
      throw new ConfigError(side, `expected a directory, got ${describeValue(root)} (a ${kind === 'file' ? 'file' : 'special file'})`);
    }
  }
  const real = realPathOfExistingPart(root);
  if (ownFiles) checkRootHoldsNoOwnFile(side, root, ownFiles, real);
  if (spec.versioning && isAbsolute(spec.versioning.dir)) {
    const dir = realPathOfExistingPart(resolvePath(spec.versioning.dir, '/'));
    // As checkAbsoluteVersioningDir, for the one root this host holds: not inside the source, not holding the root.
    if ((side === 'source' && containsPath(real, dir)) || containsPath(dir, real)) {
      throw new ConfigError(
        'versioning.dir',
        `expected a directory outside the source and not holding either root, got ${describeValue(spec.versioning.dir)}`,
      );
    }
  }
}

/**
 * An absolute versioning dir (SPEC §6) receives the old versions of both
 * sides' files under their relative paths. Inside (or at) the source, a
 * one-way conduit would write into the source it must never touch; holding a
 * root, versions would land inside that root under other names and be synced
 * or deleted as user files. Inside the target it is fine: the scan excludes
 * it. One rule for every mode, so a mode change cannot make it unsafe.
 */
function checkAbsoluteVersioningDir(spec: ConduitSpec, source: string, target: string): void {
  const dir = realPathOfExistingPart(resolvePath(spec.versioning!.dir, '/'));
  if (containsPath(source, dir) || containsPath(dir, source) || containsPath(dir, target)) {
    throw new ConfigError(
      'versioning.dir',
      `expected a directory outside the source (${spec.source}) and not holding either root, got ${describeValue(spec.versioning!.dir)}`,
    );
  }
}

function knownConduitKeys(path: readonly PropertyKey[]): readonly string[] {
  return path.length > 0 && path[path.length - 1] === 'versioning' ? ['dir', 'keepDays'] : CONDUIT_FIELDS;
}

function dropUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
