import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import lockfile from 'proper-lockfile'

export class DataDirLockedError extends Error {
  constructor(readonly dataDir: string) {
    super(
      `The data directory ${dataDir} is in use by another flip-users process. Stop that process first ` +
        '(if it crashed, its lock expires within 10 seconds).',
    )
    this.name = 'DataDirLockedError'
  }
}

/**
 * Takes the single-owner lock on an embedded data directory. PGlite itself would let two
 * processes open one directory and corrupt it, so every process that opens it goes through here.
 * The lock is refreshed in the background; a crashed owner's lock goes stale after 10 s.
 *
 * @returns a function that releases the lock.
 * @throws DataDirLockedError when another live process holds it.
 */
export const lockDataDir = async (
  dataDir: string,
  onCompromised: (error: Error) => void,
): Promise<() => Promise<void>> => {
  await mkdir(dataDir, { recursive: true })
  try {
    return await lockfile.lock(dataDir, {
      lockfilePath: path.join(dataDir, 'flip-users.lock'),
      stale: 10_000,
      update: 2_000,
      realpath: false,
      onCompromised,
    })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') throw new DataDirLockedError(dataDir)
    throw error
  }
}
