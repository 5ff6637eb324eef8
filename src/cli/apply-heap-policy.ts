import { PerformanceObserver } from 'node:perf_hooks'
import v8 from 'node:v8'
import { isMainThread } from 'node:worker_threads'
import { FALLBACK_SEMI_SPACE_MB, missingStartFlags, runtimeFlags } from './heap-policy.js'

// Imported by main.ts before anything else has run. A process started without the semi-space
// flag (a bare `node dist/cli/main.js`) replaces itself with the same command plus the flag:
// `process.execve` (Node ≥ 22.15 and 24) keeps its pid, its standard streams, its working
// directory and its environment, so whoever started it (a supervisor, a container runtime) is
// still watching the same process, and nothing has run yet, so nothing is lost. Not where it
// would lose something or cannot work: an IPC channel to a parent (node --watch, a process
// manager's fork mode), a worker thread, Windows; and a refusal (a permission model without
// child processes) only means running on without the flag, as on Nodes that have no execve.
const startFlags = missingStartFlags(process.execArgv, process.env.NODE_OPTIONS)
const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never })
  .execve
const canRestartInPlace =
  typeof execve === 'function' &&
  isMainThread &&
  process.channel === undefined &&
  process.platform !== 'win32'
if (startFlags.length > 0 && canRestartInPlace) {
  try {
    execve.call(
      process,
      process.execPath,
      [process.execPath, ...startFlags, ...process.execArgv, ...process.argv.slice(1)],
      process.env,
    )
  } catch {
    // Runs on with the fallback below.
  }
}

// Still here without the flag: V8's growth of the young generation is stopped at the fallback
// size after each collection that finds it there, and allowed again if V8 has shrunk it since
// (it does when the process is idle), so it neither passes the size nor stays below it.
if (startFlags.length > 0) {
  const cap = 2 * FALLBACK_SEMI_SPACE_MB * 1024 * 1024
  let growing = true
  new PerformanceObserver(() => {
    const young = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')
    if (young === undefined || young.space_size >= cap === !growing) return
    growing = !growing
    v8.setFlagsFromString(`--semi-space-growth-factor=${growing ? 2 : 1}`)
  }).observe({ entryTypes: ['gc'] })
}

for (const flag of runtimeFlags(process.execArgv, process.env.NODE_OPTIONS)) v8.setFlagsFromString(flag)
