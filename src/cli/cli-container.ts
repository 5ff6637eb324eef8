import { loadConfig } from '../config.js'
import { type Container, createContainer, type Deps } from '../container.js'
import { DataDirLockedError } from '../db/data-dir-lock.js'
import { createCliLogger } from '../logger.js'
import { CliFailure } from './failures.js'

/**
 * Runs a CLI command on its own container and closes it afterwards. An embedded data directory
 * has one owner: when the server holds it, the command fails with one line saying what to do
 * instead (`whileServing`) and exits 75.
 */
export const withCliContainer = async (
  options: { jobs: boolean; whileServing: string },
  work: (deps: Deps) => Promise<number>,
): Promise<number> => {
  const config = loadConfig()
  let container: Container
  try {
    container = await createContainer(config, createCliLogger(config.logLevel), { jobs: options.jobs })
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error
    throw new CliFailure(
      'busy',
      `the data directory ${error.dataDir} is in use by another flip-users process`,
      options.whileServing,
      { cause: error },
    )
  }
  try {
    return await work(container.deps)
  } finally {
    await container.close()
  }
}
