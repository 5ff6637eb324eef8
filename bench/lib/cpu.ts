import { readFile } from 'node:fs/promises'

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

/**
 * Measures, between `start` and `stop`, how busy the whole machine was (all cores, 0–100 %) and
 * how much CPU one process used: on a small machine the load generator, the service and
 * PostgreSQL share the cores, and these say who had them.
 */
export const startCpuWatch = async (pid?: number) => {
  const machineBefore = await machineTicks()
  const processBefore = pid === undefined ? undefined : await processCpuMs(pid)
  return {
    async stop(): Promise<{ machineBusyPercent: number | undefined; processCpuMs: number | undefined }> {
      const machineAfter = await machineTicks()
      const processAfter = pid === undefined ? undefined : await processCpuMs(pid)
      const machineBusyPercent =
        machineBefore && machineAfter && machineAfter.total > machineBefore.total
          ? (100 * (machineAfter.busy - machineBefore.busy)) / (machineAfter.total - machineBefore.total)
          : undefined
      return {
        machineBusyPercent,
        processCpuMs:
          processBefore === undefined || processAfter === undefined
            ? undefined
            : processAfter - processBefore,
      }
    },
  }
}
