import os from 'node:os'

export interface Machine {
  os: string
  cpuModel: string
  cpuCount: number
  totalMemoryBytes: number
  node: string
  /** The 1, 5 and 15 minute load averages when the run began: a busy machine skews every figure. */
  loadAverage: number[]
}

/** The machine a figure came from: figures from different machines are not comparable. */
export const describeMachine = (): Machine => {
  const cpus = os.cpus()
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryBytes: os.totalmem(),
    node: process.version,
    loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
  }
}
