import os from 'node:os'

export interface Machine {
  os: string
  cpuModel: string
  cpuCount: number
  totalMemoryBytes: number
  node: string
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
  }
}
