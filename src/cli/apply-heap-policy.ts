import v8 from 'node:v8'
import { missingStartFlags, runtimeFlags } from './heap-policy.js'

// Imported by main.ts before anything else has loaded. A process started without the semi-space
// flag (a bare `node dist/cli/main.js`) replaces itself with the same command plus the flag:
// `process.execve` (Node ≥ 22.15 and 24) keeps its pid, its standard streams and its environment,
// so whoever started it (a supervisor, a container runtime) is still watching the same process.
// Nothing has run yet, so nothing is lost. Older Nodes have no execve and run on without the flag.
const startFlags = missingStartFlags(process.execArgv, process.env.NODE_OPTIONS)
const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never })
  .execve
if (startFlags.length > 0 && typeof execve === 'function') {
  execve(
    process.execPath,
    [process.execPath, ...startFlags, ...process.execArgv, ...process.argv.slice(1)],
    process.env,
  )
}

for (const flag of runtimeFlags(process.execArgv, process.env.NODE_OPTIONS)) v8.setFlagsFromString(flag)
