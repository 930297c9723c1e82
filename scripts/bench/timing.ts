/**
 * Timing for the bench sections: wall time and this process's CPU time (user + system) of each
 * phase. On a shared machine the wall time grows with the others' load; the CPU time much less, so
 * both are reported (with the load average, see index.ts).
 */

/** A phase's wall and CPU time, in milliseconds. */
export interface Timing {
  ms: number;
  cpuMs: number;
}

/** Runs `fn` (sync or async) and returns its value with its Timing. */
export async function measure<T>(fn: () => T | Promise<T>): Promise<[T, Timing]> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await fn();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return [value, { ms: Math.round(ms), cpuMs: Math.round((used.user + used.system) / 1000) }];
}

/** The sum of timings. */
export function sum(...timings: Timing[]): Timing {
  return {
    ms: timings.reduce((a, t) => a + t.ms, 0),
    cpuMs: timings.reduce((a, t) => a + t.cpuMs, 0),
  };
}

/** Items per second of wall time and of CPU time. */
export function rate(count: number, t: Timing): { perSecond: number; perCpuSecond: number } {
  return {
    perSecond: Math.round((count / Math.max(t.ms, 1)) * 1000),
    perCpuSecond: Math.round((count / Math.max(t.cpuMs, 1)) * 1000),
  };
}

export const MB = 1 << 20;
/** Resident memory now, in MB. */
export const rssMB = () => Math.round(process.memoryUsage.rss() / MB);
/** Peak resident memory of this process so far, in MB. */
export const maxRssMB = () => Math.round(process.resourceUsage().maxRSS / 1024);
