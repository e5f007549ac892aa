/** Whether a process of this host (this PID namespace) still runs: `kill(pid, 0)`; EPERM means it does, as another user's. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}
