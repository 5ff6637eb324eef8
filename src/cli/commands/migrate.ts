import { loadConfig } from '../../config.js'
import { openConfiguredDatabase } from '../../container.js'
import { migrateAndSeed } from '../../db/migrate.js'
import { createCliLogger } from '../../logger.js'
import type { NoOptions, Run } from '../command-table.js'
import { exitCodes } from '../exit-codes.js'

/** `flip-users migrate`: apply migrations and seeds, then exit. */
export const runMigrate: Run<NoOptions> = async () => {
  const config = loadConfig()
  const database = await openConfiguredDatabase(config, createCliLogger(config.logLevel))
  try {
    await migrateAndSeed(database)
    process.stdout.write(`Migrations and seeds applied (${database.kind}).\n`)
    return exitCodes.ok
  } finally {
    await database.close()
  }
}
