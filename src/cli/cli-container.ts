import type { Logger } from 'pino'
import { type Config, loadConfig } from '../config.js'
import { type Container, createContainer, type Deps, type DepsWithJobs } from '../container.js'
import { DataDirLockedError } from '../db/data-dir-lock.js'
import { createCliLogger } from '../logger.js'
import { CliFailure } from './failures.js'

const runOnContainer = async <D extends Deps>(
  open: (config: Config, log: Logger) => Promise<Container<D>>,
  whileServing: string,
  work: (deps: D) => Promise<number>,
): Promise<number> => {
  const config = loadConfig()
  let container: Container<D>
  try {
    container = await open(config, createCliLogger(config.logLevel))
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error
    throw new CliFailure(
      'busy',
      `the data directory ${error.dataDir} is in use by another flip-users process`,
      whileServing,
      { cause: error },
    )
  }
  try {
    return await work(container.deps)
  } finally {
    await container.close()
  }
}

/**
 * Runs a CLI command on its own container and closes it afterwards. An embedded data directory
 * has one owner: when the server holds it, the command fails with one line saying what to do
 * instead (`whileServing`) and exits 75.
 */
export const withCliContainer = (
  options: { jobs: boolean; whileServing: string },
  work: (deps: Deps) => Promise<number>,
): Promise<number> =>
  runOnContainer(
    (config, log) => createContainer(config, log, { jobs: options.jobs }),
    options.whileServing,
    work,
  )

/** `withCliContainer` with the job engine started, so `deps.jobs` is there to queue work on. */
export const withCliJobsContainer = (
  whileServing: string,
  work: (deps: DepsWithJobs) => Promise<number>,
): Promise<number> => runOnContainer((config, log) => createContainer(config, log), whileServing, work)
