/**
 * Whether a process of this machine still runs: a run's recorded pid (is the run interrupted?), an embedded
 * server's postmaster (can its data directory be taken over?). Signal 0 tests without touching the process.
 */
export function isAlive(pid: number | null | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by another user
  }
}
