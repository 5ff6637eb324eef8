import { existsSync } from 'node:fs'
import { cp, readdir, readFile, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import v8 from 'node:v8'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/pglite'
import type { Database, Db } from './database.js'
import * as schema from './schema/index.js'

/**
 * Wraps a PGlite instance. PGlite is one connection in one process, so `exclusively` needs no
 * lock of its own: the data-directory lock already guarantees a single owner.
 */
export const wrapPglite = (pglite: PGlite, onClose: () => Promise<void> = async () => {}): Database => {
  const db = drizzle({ client: pglite, schema }) as unknown as Db
  return {
    kind: 'pglite',
    pglite,
    db,
    exclusively: (fn) => fn(db),
    async ping() {
      await db.execute(sql`SELECT 1`)
    },
    async close() {
      await pglite.close()
      await onClose()
    },
  }
}

/** Where PGlite keeps its files inside a DATA_DIR (beside the directory's lock). */
export const pgliteDirectoryOf = (dataDir: string): string => path.join(dataDir, 'pgdata')

/**
 * PostgreSQL's settings inside PGlite. The WASM heap only grows, and every buffer page PostgreSQL
 * touches stays resident: initdb's `shared_buffers = 128MB` alone cost ~140 MB of RSS once the
 * pool had been filled. PGlite is one backend on one (small) database, so 16 MB of buffers is
 * plenty (the service's tables after 1,000 registrations fit in a few MB).
 */
export const pgliteStartParams: readonly string[] = [
  ...PGlite.defaultStartParams,
  '-c',
  'shared_buffers=16MB',
  '-c',
  'temp_buffers=1MB',
  '-c',
  'work_mem=2MB',
  '-c',
  'maintenance_work_mem=16MB',
]

/**
 * A data directory that has already been through initdb, made by `scripts/build-pglite-template.mjs`
 * at build time (`dist/`, next to the code of the same build). initdb runs in its own WASM
 * instances and left a new server at ~850 MB RSS; copying these files takes a fraction of a second.
 */
export const pgliteTemplateDirectory = fileURLToPath(new URL('../../dist/pglite-template', import.meta.url))
const TEMPLATE_STAMP = 'flip-users-template.json'

const pgliteVersion = async (): Promise<string | undefined> => {
  try {
    // The package's exports hide its package.json; it sits two levels above the entry point.
    const entry = fileURLToPath(import.meta.resolve('@electric-sql/pglite'))
    const packageJson = path.join(path.dirname(entry), '..', 'package.json')
    return (JSON.parse(await readFile(packageJson, 'utf8')) as { version?: string }).version
  } catch {
    return undefined
  }
}

/** The template's directory when it exists and was made by the PGlite installed now. */
const usableTemplate = async (): Promise<string | undefined> => {
  try {
    const stamp = JSON.parse(await readFile(path.join(pgliteTemplateDirectory, TEMPLATE_STAMP), 'utf8')) as {
      pglite?: string
    }
    const installed = await pgliteVersion()
    return installed !== undefined && stamp.pglite === installed
      ? path.join(pgliteTemplateDirectory, 'pgdata')
      : undefined
  } catch {
    return undefined
  }
}

/** Writes the stamp that says which PGlite made the template (the build script calls it). */
export const templateStamp = async (): Promise<{ name: string; content: string }> => ({
  name: TEMPLATE_STAMP,
  content: `${JSON.stringify({ pglite: await pgliteVersion() })}\n`,
})

/**
 * A new (absent or empty) directory starts as a copy of the template: copied beside it, then
 * renamed into place, so a crash mid-copy leaves no half a database under `directory` (the
 * leftover copy is removed on the next start). Without a usable template PGlite runs initdb.
 */
const seedFromTemplate = async (directory: string): Promise<void> => {
  // Anything already there (a database, or what an interrupted initdb left) is PGlite's to judge.
  if (existsSync(directory) && (await readdir(directory)).length > 0) return
  const template = await usableTemplate()
  if (template === undefined) return
  await rm(directory, { recursive: true, force: true })
  const partial = `${directory}.partial`
  await rm(partial, { recursive: true, force: true })
  await cp(template, partial, { recursive: true })
  await rename(partial, directory)
}

/**
 * V8 compiles PGlite's 9 MB WASM module twice by default: every function with its baseline
 * compiler (Liftoff), then the hot ones again with TurboFan, and keeps both. Liftoff alone took
 * ~45 MB less RSS and ~0.8 s less to open, at the same registrations/s (PGlite's time goes to the
 * protocol and the file system as much as to the executor): `npm run bench -- --only embedded`.
 * Read when a module is compiled, so it must be set before the first `PGlite.create`.
 */
const compileWasmWithBaselineOnly = (): void => v8.setFlagsFromString('--liftoff-only')

/** Opens (creating if needed) an embedded database in `directory`; `undefined` means in memory. */
export const openPglite = async (directory: string | undefined): Promise<Database> => {
  if (directory !== undefined) await seedFromTemplate(directory)
  compileWasmWithBaselineOnly()
  return wrapPglite(
    await PGlite.create({
      ...(directory === undefined ? {} : { dataDir: directory }),
      startParams: [...pgliteStartParams],
    }),
  )
}
