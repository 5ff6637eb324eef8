/** One load level of `../shared/bench/side-by-side.sh`, as its JSON lines report it. */
export interface SideBySideLevel {
  connections: number
  flipReference: LoadFigures
  flipUsers: LoadFigures
  floorPerSecond: number | undefined
  flipReferenceRssKb: number | undefined
  flipUsersRssKb: number | undefined
}

/** What `load.mjs` prints for one run. */
export interface LoadFigures {
  rps: number
  ok: number
  p50: number
  p95: number
  p99: number
}

const parsed = (line: string): Record<string, unknown> | undefined => {
  if (!line.startsWith('{')) return undefined
  try {
    return JSON.parse(line) as Record<string, unknown>
  } catch {
    return undefined
  }
}

/**
 * The levels of one side-by-side run, from its stdout: per level a `flip_py` line, a
 * `flip_users` line and a `floor_tps` line (the closing ratio lines are recomputed from these).
 * A level missing either server's figures is left out; a run that printed none is an error.
 */
export const parseSideBySide = (stdout: string): SideBySideLevel[] => {
  const byLevel = new Map<number, Partial<SideBySideLevel>>()
  for (const line of stdout.split('\n')) {
    const record = parsed(line.trim())
    if (record === undefined || typeof record.c !== 'number') continue
    const level = byLevel.get(record.c) ?? { connections: record.c }
    if (record.flip_py !== undefined) {
      level.flipReference = record.flip_py as LoadFigures
      level.flipReferenceRssKb = record.flip_py_rss_kb as number | undefined
    }
    if (record.flip_users !== undefined) {
      level.flipUsers = record.flip_users as LoadFigures
      level.flipUsersRssKb = record.flip_users_rss_kb as number | undefined
    }
    if (record.floor_tps !== undefined) level.floorPerSecond = Number(record.floor_tps)
    byLevel.set(record.c, level)
  }
  const levels = [...byLevel.values()].filter(
    (level): level is SideBySideLevel => level.flipReference !== undefined && level.flipUsers !== undefined,
  )
  if (levels.length === 0) throw new Error(`the side-by-side run reported no level:\n${stdout.slice(-2000)}`)
  return levels
}
