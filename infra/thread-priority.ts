import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Lowers the priority of the calling thread to `nice` (0 normal … 19 lowest); never raises it.
 * On Linux a nice value belongs to a thread, not to the process, so an embedding worker
 * thread that calls this before its ONNX session starts (the session's intra-op threads
 * inherit it) yields the cores to the event loop's thread, which answers searches, whenever
 * both want to run. Returns the thread's nice value after the call; where the system refuses,
 * the thread keeps its priority.
 */
export function lowerThreadPriority(nice: number): number {
  const current = getPriority(0);
  if (nice <= current) return current;
  try {
    setPriority(0, nice);
  } catch {
    // not allowed here (a container's seccomp profile): embedding still works, unprioritised
  }
  return getPriority(0);
}

/**
 * Sets the nice value of thread `tid` (0: the calling thread); false where the system refuses.
 * Lowering a nice value (raising the priority) needs CAP_SYS_NICE, or root.
 */
export function setThreadNice(tid: number, nice: number): boolean {
  try {
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}

/** The calling thread's id on Linux (what setThreadNice takes from another thread), else undefined. */
export function currentThreadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return undefined;
  }
}
