import { loadConfig } from '../../config.js'
import { openConfiguredDatabase } from '../../container.js'
import { migrateAndSeed } from '../../db/migrate.js'
import { createCliLogger } from '../../logger.js'

/** `flip-users migrate`: apply migrations and seeds, then exit. */
export const migrateCommand = async (): Promise<number> => {
  const config = loadConfig()
  const database = await openConfiguredDatabase(config, createCliLogger(config.logLevel))
  try {
    await migrateAndSeed(database)
    process.stdout.write(`Migrations and seeds applied (${database.kind}).\n`)
    return 0
  } finally {
    await database.close()
  }
}
