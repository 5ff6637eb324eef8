import { execFile } from 'node:child_process'
import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { repoRoot } from './built-cli.js'

const newestMtimeMs = async (dir: string): Promise<number> => {
  let newest = 0
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    newest = Math.max(newest, (await stat(path.join(entry.parentPath, entry.name))).mtimeMs)
  }
  return newest
}

/**
 * The end-to-end tests and benchmarks run the built CLI (`dist/`). `npm test` builds just before
 * vitest, so this is a quick check; a bare `vitest` run after editing `src/` rebuilds here, once
 * for the whole run, instead of testing yesterday's build.
 */
export const buildIfStale = async (): Promise<void> => {
  const built = await stat(path.join(repoRoot, 'dist/cli/main.js')).then(
    (stats) => stats.mtimeMs,
    () => 0,
  )
  const sources = Math.max(
    await newestMtimeMs(path.join(repoRoot, 'src')),
    (await stat(path.join(repoRoot, 'tsconfig.build.json'))).mtimeMs,
  )
  if (sources > built) await promisify(execFile)('npm', ['run', 'build', '--silent'], { cwd: repoRoot })
}
