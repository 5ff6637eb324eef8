/**
 * The CLI process's V8 heap settings, whichever way it was started: as the installed command
 * (the bin's first line gives node its flags), through `npm start`, or as a bare
 * `node dist/cli/main.js serve` (a container's command, the side-by-side bench), where neither
 * applies. docs/benchmarks.md §4 and §5 measure them.
 */

/**
 * The young generation's semi-space, in MB. V8 sizes it from the machine's memory: 16 MB on
 * Node 20 and 22, 64 MB on Node 24 (a 128 MB young generation, which under load is most of the
 * process's 300 MB). 4 MB keeps an embedded server under 250 MB through a thousand registrations
 * and a server on PostgreSQL near 150 MB at 64 clients, at the same registrations/s. V8 reads it
 * once, when the process starts, so it must be on node's command line.
 */
export const SEMI_SPACE_MB = 4

/**
 * Where node could not be given the flag (no process.execve: Node 20, 22.13–22.14), the most
 * the young generation's semi-spaces are let grow to, by stopping V8's growth once they reach it
 * (V8 reads the growth factor whenever it grows them): 2 × 8 MB instead of 2 × 16 MB, a server
 * on PostgreSQL at 64 clients 133 MB instead of 146 MB for ~3 % more CPU.
 */
export const FALLBACK_SEMI_SPACE_MB = 8

/**
 * How far V8 lets the old generation grow past what survived its last full collection before it
 * collects again. V8's own factor goes up to 4× on a machine with gigabytes free; a serving
 * process keeps some 35 MB live but under load promotes a few MB a second of request objects
 * that die soon after, so with V8's factor its heap carried 100 MB and more of them between full
 * collections. At 20 % it stays near what is live, for the same CPU: marking runs concurrently,
 * on another core. V8 reads it at every full collection, so it can be set from inside the process.
 */
export const HEAP_GROWING_PERCENT = 20

const SEMI_SPACE_FLAG = '--max-semi-space-size'
const GROWING_FLAG = '--heap-growing-percent'

/** V8 takes `-` and `_` alike in a flag's name. */
const gives = (args: readonly string[], flag: string) => {
  const name = flag.replaceAll('-', '_')
  return args.some((arg) => {
    const given = arg.split('=', 1)[0]!.replaceAll('-', '_')
    return given === name
  })
}

const nodeArgs = (execArgv: readonly string[], nodeOptions: string) => [
  ...execArgv,
  ...nodeOptions.split(/\s+/).filter(Boolean),
]

/** The semi-space flag node's command line lacks (none when the operator chose a size). */
export const missingStartFlags = (execArgv: readonly string[], nodeOptions = ''): string[] =>
  gives(nodeArgs(execArgv, nodeOptions), SEMI_SPACE_FLAG) ? [] : [`${SEMI_SPACE_FLAG}=${SEMI_SPACE_MB}`]

/**
 * The flags to set inside the process (none when the operator chose a growing factor: on node's
 * command line, since Node refuses this flag in NODE_OPTIONS; read there too, harmlessly).
 */
export const runtimeFlags = (execArgv: readonly string[], nodeOptions = ''): string[] =>
  gives(nodeArgs(execArgv, nodeOptions), GROWING_FLAG) ? [] : [`${GROWING_FLAG}=${HEAP_GROWING_PERCENT}`]
