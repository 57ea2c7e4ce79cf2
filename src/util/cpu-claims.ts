/**
 * Cores claimed by long-running work inside this process (a training graph session's ONNX
 * Runtime threads), so that a decoder can tell the machine is busy: `process.cpuUsage()`
 * lumps every thread of the process together, and `persona serve` trains in the same process
 * as the bots answer.
 */
let claimed = 0;

/** Claims `cores` until the returned function is called (calling it again does nothing). */
export function claimCores(cores: number): () => void {
  claimed += cores;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    claimed -= cores;
  };
}

/** Cores currently claimed in this process. */
export function claimedCores(): number {
  return claimed;
}
