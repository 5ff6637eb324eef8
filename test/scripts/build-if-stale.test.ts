import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { repoRoot } from '../support/built-cli.js'

// `npm start` runs scripts/build-if-stale.mjs first. Here it runs in a directory laid out like
// the package, with a stand-in for npm that only notes it was asked to build.
const script = path.join(repoRoot, 'scripts/build-if-stale.mjs')
const FAKE_NPM = `require('node:fs').writeFileSync('built', process.argv.slice(2).join(' '))\n`

let root: string
const at = (relative: string) => path.join(root, relative)
const touch = async (relative: string, secondsAgo: number) => {
  await mkdir(path.dirname(at(relative)), { recursive: true })
  if (!existsSync(at(relative))) await writeFile(at(relative), '')
  const when = new Date(Date.now() - secondsAgo * 1000)
  await utimes(at(relative), when, when)
}
const runStart = async () => {
  await promisify(execFile)(process.execPath, [script], {
    cwd: root,
    env: { ...process.env, npm_execpath: at('fake-npm.cjs') },
  })
  return existsSync(at('built')) ? await readFile(at('built'), 'utf8') : undefined
}

describe('npm start', () => {
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'flip-users-build-if-stale-'))
    await writeFile(at('fake-npm.cjs'), FAKE_NPM)
    for (const source of [
      'src/main.ts',
      'drizzle/0000_init.sql',
      'scripts/build-console.mjs',
      'package.json',
    ])
      await touch(source, 100)
    for (const dir of ['src', 'drizzle', 'scripts']) await touch(dir, 100)
    for (const output of [
      'dist/cli/main.js',
      'dist/console/index.html',
      'dist/pglite-template/flip-users-template.json',
    ])
      await touch(output, 10)
  })
  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('starts without building when dist/ is newer than everything it is built from', async () => {
    expect(await runStart()).toBeUndefined()
  })

  it('builds first when a source file changed after the last build', async () => {
    await touch('src/main.ts', 1)
    expect(await runStart()).toBe('run build --silent')
  })

  it('builds first when a migration changed after the last build', async () => {
    await touch('drizzle/0001_more.sql', 1)
    expect(await runStart()).toBe('run build --silent')
  })

  it('builds first when the pre-initialised data directory is missing', async () => {
    await rm(at('dist/pglite-template'), { recursive: true })
    expect(await runStart()).toBe('run build --silent')
  })

  it('builds first when there is no dist/ at all', async () => {
    await rm(at('dist'), { recursive: true })
    expect(await runStart()).toBe('run build --silent')
  })
})
