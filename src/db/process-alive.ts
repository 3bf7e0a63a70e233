/**
 * Whether a process with this pid exists now. Signal 0 checks without
 * sending anything: ESRCH means gone; EPERM means it exists but belongs to
 * another user, which still counts as alive.
 *
 * RACE: a pid can be reused after its process exits, so a dead runner whose
 * pid now belongs to another process looks alive; its generation then stays
 * `running` until a later start finds the pid free. Erring this way never
 * clobbers a generation that is really in progress.
 */
export function isProcessAlive(pid: number | null): boolean {
  if (pid === null || !Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
