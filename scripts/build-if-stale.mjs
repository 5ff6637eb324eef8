// `npm start`: builds only when dist/ is older than what it is built from (src/, drizzle/, the
// build's tsconfigs and scripts, package.json), or lacks a piece (the CLI, the console, the
// pre-initialised PGlite directory). A fresh dist/ starts the server without running tsc.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'

const mtimeMs = (file) => (existsSync(file) ? statSync(file).mtimeMs : 0)
const newestMtimeMs = (dir) =>
  Math.max(
    mtimeMs(dir),
    ...readdirSync(dir, { recursive: true }).map((name) => statSync(path.join(dir, name)).mtimeMs),
  )

// Every build rewrites these two; the template is remade only when drizzle/ or PGlite changed.
const built = existsSync('dist/pglite-template/flip-users-template.json')
  ? Math.min(mtimeMs('dist/cli/main.js'), mtimeMs('dist/console/index.html'))
  : 0
const sources = Math.max(
  newestMtimeMs('src'),
  newestMtimeMs('drizzle'),
  newestMtimeMs('scripts'),
  ...['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'].map(mtimeMs),
)
if (built === 0 || sources > built) {
  const npm = process.env.npm_execpath
  if (npm) execFileSync(process.execPath, [npm, 'run', 'build', '--silent'], { stdio: 'inherit' })
  else execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' })
}
