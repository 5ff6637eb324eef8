// The pre-initialised PGlite data directory a new DATA_DIR starts from (dist/pglite-template):
// initdb, the migrations, the seeds and pg-boss's schema and queues, run once here instead of in every new server's WASM heap.
// Needs dist/ (tsc first). Remade only when drizzle/ or the installed PGlite changed since.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import pino from 'pino'
import { migrateAndSeed, migrationsFolder } from '../dist/db/migrate.js'
import {
  pgliteStartParams,
  pgliteTemplateDirectory,
  templateStamp,
  wrapPglite,
} from '../dist/db/open-pglite.js'
import { startJobQueue } from '../dist/jobs/job-queue.js'

const newestMtimeMs = (dir) =>
  Math.max(
    statSync(dir).mtimeMs,
    ...readdirSync(dir, { recursive: true }).map((name) => statSync(path.join(dir, name)).mtimeMs),
  )

const stamp = await templateStamp()
const stampPath = path.join(pgliteTemplateDirectory, stamp.name)
const fresh =
  existsSync(stampPath) &&
  readFileSync(stampPath, 'utf8') === stamp.content &&
  statSync(stampPath).mtimeMs >= newestMtimeMs(migrationsFolder)
if (!fresh) {
  const partial = `${pgliteTemplateDirectory}.partial`
  await rm(partial, { recursive: true, force: true })
  await mkdir(partial, { recursive: true })
  const pglite = await PGlite.create({
    dataDir: path.join(partial, 'pgdata'),
    startParams: [...pgliteStartParams],
  })
  const database = wrapPglite(pglite)
  await migrateAndSeed(database)
  // pg-boss's schema took 3 s and ~75 MB of WASM heap on a new directory's first start.
  const jobs = await startJobQueue(database, pino({ level: 'silent' }))
  await jobs.stop()
  await pglite.exec('CHECKPOINT')
  await pglite.close()
  if (stamp.content === '{}\n') throw new Error('cannot tell which PGlite is installed')
  await writeFile(path.join(partial, stamp.name), stamp.content)
  await rm(pgliteTemplateDirectory, { recursive: true, force: true })
  await rename(partial, pgliteTemplateDirectory)
}
