import { readdir, readFile } from 'node:fs/promises'

// Linux's USER_HZ: /proc reports CPU time in ticks of 1/100 s on every mainstream architecture.
const TICK_MS = 10

/** CPU time (user + system) a process has used, in ms; undefined off Linux. */
export const processCpuMs = async (pid: number): Promise<number | undefined> => {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS
  } catch {
    return undefined
  }
}

/** CPU ms of every process named `postgres` (server and backends), by pid. */
export const postgresCpuByPid = async (): Promise<Map<number, number>> => {
  const byPid = new Map<number, number>()
  let entries: string[] = []
  try {
    entries = await readdir('/proc')
  } catch {
    return byPid
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if ((await readFile(`/proc/${entry}/comm`, 'utf8')).trim() !== 'postgres') continue
      const ms = await processCpuMs(Number(entry))
      if (ms !== undefined) byPid.set(Number(entry), ms)
    } catch {
      // the process ended meanwhile
    }
  }
  return byPid
}

interface MachineTicks {
  busy: number
  total: number
}

const machineTicks = async (): Promise<MachineTicks | undefined> => {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!
    const ticks = line.trim().split(/\s+/).slice(1).map(Number)
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0)
    const total = ticks.reduce((sum, value) => sum + value, 0)
    return { busy: total - idle, total }
  } catch {
    return undefined
  }
}

export interface CpuUse {
  /** The whole machine, all cores, 0–100 %. */
  machineBusyPercent: number | undefined
  /** CPU time the whole machine spent busy (every process, every core). */
  machineBusyCpuMs: number | undefined
  /** CPU time of the local PostgreSQL server's processes (undefined when it runs elsewhere). */
  postgresCpuMs: number | undefined
  /** CPU time of this process: the load generator. */
  selfCpuMs: number
  /** CPU time of the watched process. */
  processCpuMs: number | undefined
}

/**
 * Measures, between `start` and `stop`, how busy the whole machine was (all cores, 0–100 %) and
 * how much CPU one process used: on a small machine the load generator, the service and
 * PostgreSQL share the cores, and these say who had them.
 */
export const startCpuWatch = async (pid?: number) => {
  const machineBefore = await machineTicks()
  const processBefore = pid === undefined ? undefined : await processCpuMs(pid)
  const postgresBefore = await postgresCpuByPid()
  const selfBefore = process.cpuUsage()
  return {
    async stop(): Promise<CpuUse> {
      const self = process.cpuUsage(selfBefore)
      const postgresAfter = await postgresCpuByPid()
      const machineAfter = await machineTicks()
      const processAfter = pid === undefined ? undefined : await processCpuMs(pid)
      const machineBusyPercent =
        machineBefore && machineAfter && machineAfter.total > machineBefore.total
          ? (100 * (machineAfter.busy - machineBefore.busy)) / (machineAfter.total - machineBefore.total)
          : undefined
      return {
        machineBusyPercent,
        machineBusyCpuMs:
          machineBefore && machineAfter ? (machineAfter.busy - machineBefore.busy) * TICK_MS : undefined,
        selfCpuMs: (self.user + self.system) / 1000,
        // Backends that ended during the run are missed; the pools keep theirs open throughout.
        postgresCpuMs:
          postgresAfter.size === 0
            ? undefined
            : [...postgresAfter].reduce((sum, [pid, ms]) => sum + ms - (postgresBefore.get(pid) ?? 0), 0),
        processCpuMs:
          processBefore === undefined || processAfter === undefined
            ? undefined
            : processAfter - processBefore,
      }
    },
  }
}
