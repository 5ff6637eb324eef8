// The console's page (src/console) into dist/console: its TypeScript compiled by tsc for the
// browser (its own tsconfig: DOM types, plain ES modules, no bundler), its HTML and CSS copied.
import { execFileSync } from 'node:child_process'
import { copyFileSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
execFileSync(process.execPath, [tsc, '-p', 'src/console/tsconfig.json'], { stdio: 'inherit' })
for (const name of readdirSync('src/console')) {
  if (/\.(html|css)$/.test(name)) copyFileSync(`src/console/${name}`, `dist/console/${name}`)
}
