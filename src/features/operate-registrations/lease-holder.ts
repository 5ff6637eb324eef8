import { randomUUID } from 'node:crypto'
import os from 'node:os'

/**
 * A lease owner id that says who holds the lease: `actor:host:pid:uuid`. The uuid keeps every
 * claim distinct (a release only frees one's own claim); host and pid let an operator's command
 * tell a holder that is gone from one that is working.
 */
export const leaseOwnerId = (actor: string): string =>
  `${actor}:${os.hostname()}:${process.pid}:${randomUUID()}`

export interface LeaseHolder {
  actor: string
  host: string
  pid: number
}

/** Reads an owner id made by `leaseOwnerId`; undefined for any other shape (older ids). */
export const leaseHolderOf = (owner: string | null): LeaseHolder | undefined => {
  const parts = owner?.split(':') ?? []
  if (parts.length < 4) return undefined
  const pid = Number(parts.at(-2))
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  return { actor: parts.slice(0, -3).join(':'), host: parts.at(-3)!, pid }
}

/**
 * Whether the holding process is alive, when this process can tell: on the same host, by
 * signalling it with 0 (EPERM means it exists under another user). Undefined on another host.
 */
export const isHolderAlive = (holder: LeaseHolder): boolean | undefined => {
  if (holder.host !== os.hostname()) return undefined
  if (holder.pid === process.pid) return true
  try {
    process.kill(holder.pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
