/**
 * How one run's memory bound is shared out. The bound is the one figure a user sets
 * (`--max-memory`); every memory limit of the sandbox derives from it:
 *
 *  - A quarter is the host's, for data in transit: what cells send to the host (each cell
 *    may send a part of it, so that every cell that can run at once fits) and the replies
 *    on their way back.
 *  - The rest goes to sandbox processes. The root REPL counts as two shares, each
 *    recursive REPL that may be alive at once (`rlmConcurrency` per recursion level) as one.
 *    Of a process's share, a fixed part is what an idle sandbox process costs; of the rest,
 *    60% is its JavaScript heap limit, 30% what its typed arrays and ArrayBuffers may hold,
 *    and 10% its young generation.
 *
 * Sandboxes are child processes, so their memory is not the host's; the bound covers both,
 * which is what the machine running the editor sees.
 */
export const MiB = 1024 * 1024;

/** The memory bound of one run, host and sandbox processes together, in MiB. */
export const DEFAULT_MEMORY_MB = 512;
/** Recursive RLMs (each with its own sandbox process) alive at once, per recursion level. */
export const DEFAULT_RLM_CONCURRENCY = 2;
/**
 * What a sandbox process costs beyond its heap and typed arrays: measured on Linux at 12 MiB
 * of resident private memory idle (SES locked down, acorn; the executable's code pages are
 * shared with the host and not counted), with room for the code and V8 structures a busy
 * cell adds.
 */
export const SANDBOX_FIXED_MB = 32;
/** Below this much room beyond the fixed part, a REPL is too small to be useful. */
const MIN_USABLE_MB = 32;

/** The limits of one sandbox process and of what its cells may send to the host. */
export interface SandboxMemory {
  /** V8 old-generation heap limit, in MiB. */
  heapMb: number;
  /** V8 semi-space size (the young generation is three of them), in MiB. */
  semiSpaceMb: number;
  /** What typed arrays and ArrayBuffers may hold at once, in MiB. */
  arrayBufferMb: number;
  /** Bytes of JSON one host call's arguments may take. */
  maxCallBytes: number;
  /** Bytes of JSON all host calls of one cell may take together. */
  maxCellBytes: number;
  /**
   * Bytes of JSON the host may send back to one cell in all (every call's result). Twice the
   * sandbox's heap: a cell cannot keep more than its heap, so more means it is churning
   * through whole files it drops again, and the model is better told to narrow down.
   */
  maxReturnedBytes: number;
}

export interface MemoryPlan {
  memoryMb: number;
  /** Sandbox processes that can be alive at once: the root's and the recursive ones. */
  sandboxesAtOnce: number;
  rlmConcurrency: number;
  hostMb: number;
  root: SandboxMemory;
  child: SandboxMemory;
}

export interface MemorySettings {
  memoryMb: number;
  maxDepth: number;
  rlmConcurrency: number;
}

/** Shares out a run's memory bound; throws a RangeError saying what to change when it is too small. */
export function planMemory({ memoryMb, maxDepth, rlmConcurrency }: MemorySettings): MemoryPlan {
  const children = rlmConcurrency * maxDepth;
  const sandboxesAtOnce = 1 + children;
  const hostMb = memoryMb / 4;
  const shareMb = (memoryMb - hostMb) / (2 + children);
  // The smallest process: a recursive REPL's one share, or the root's two when there is no recursion.
  const usableMin = (children > 0 ? shareMb : 2 * shareMb) - SANDBOX_FIXED_MB;
  if (!(usableMin >= MIN_USABLE_MB)) {
    const shares = 2 + children;
    const needed = Math.ceil((((MIN_USABLE_MB + SANDBOX_FIXED_MB) * (children > 0 ? shares : shares / 2)) * 4) / 3);
    throw new RangeError(
      `A memory bound of ${memoryMb} MiB is too small for ${sandboxesAtOnce} sandbox${sandboxesAtOnce === 1 ? '' : 'es'} at once ` +
        `(the root REPL and ${rlmConcurrency} recursive REPL${rlmConcurrency === 1 ? '' : 's'} per level over ${maxDepth} level${maxDepth === 1 ? '' : 's'}). ` +
        `Give at least ${needed} MiB (--max-memory ${needed}), or lower --max-depth.`,
    );
  }
  // Every cell that can run at once may send its part; four bytes of host memory per byte
  // sent covers the message, the parsed arguments and their copies on the way to a model.
  const maxCellBytes = Math.max(MiB, Math.floor((hostMb * MiB) / (4 * sandboxesAtOnce) / MiB) * MiB);
  const caps = { maxCellBytes, maxCallBytes: maxCellBytes / 2 };
  return {
    memoryMb,
    sandboxesAtOnce,
    rlmConcurrency,
    hostMb,
    root: { ...processLimits(2 * shareMb), ...caps },
    child: { ...processLimits(shareMb), ...caps },
  };
}

function processLimits(shareMb: number): Omit<SandboxMemory, 'maxCallBytes' | 'maxCellBytes'> {
  const usable = shareMb - SANDBOX_FIXED_MB;
  return {
    heapMb: Math.floor(usable * 0.6),
    maxReturnedBytes: 2 * Math.floor(usable * 0.6) * MiB,
    arrayBufferMb: Math.floor(usable * 0.3),
    semiSpaceMb: Math.max(1, Math.min(16, Math.floor((usable * 0.1) / 3))),
  };
}

/** The plan for the default settings (depth 1): the sandbox's defaults when used on its own. */
export const DEFAULT_MEMORY_PLAN = planMemory({ memoryMb: DEFAULT_MEMORY_MB, maxDepth: 1, rlmConcurrency: DEFAULT_RLM_CONCURRENCY });
