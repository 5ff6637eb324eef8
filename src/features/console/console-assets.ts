import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Where the build puts the page (`npm run build`: src/console compiled and copied). Two levels
 * up from this folder is the package root both from `src/features/console` (tests) and from
 * `dist/features/console` (the package).
 */
export const CONSOLE_DIST_DIR = fileURLToPath(new URL('../../../dist/console/', import.meta.url))

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
}

export interface ConsoleAsset {
  body: Buffer
  contentType: string
}

/**
 * The console's files, read once into memory: a fixed set of a few small files, so a request
 * can only ever name one of them (no path is built from the URL). Empty when not built.
 */
export const loadConsoleAssets = (dir: string = CONSOLE_DIST_DIR): ReadonlyMap<string, ConsoleAsset> => {
  const assets = new Map<string, ConsoleAsset>()
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return assets
  }
  for (const name of names) {
    const contentType = CONTENT_TYPES[path.extname(name)]
    if (contentType && /^[a-z0-9-]+\.[a-z]+$/.test(name))
      assets.set(name, { body: readFileSync(path.join(dir, name)), contentType })
  }
  return assets
}

/**
 * The page's own Content-Security-Policy, stricter in spirit than the API's `default-src 'none'`
 * only where the page needs something: its own scripts and styles (no inline ones, no eval), calls
 * to this service, and to the Hosted UI's token endpoint when there is one.
 */
export const consoleContentSecurityPolicy = (hostedUiDomain: string | undefined): string =>
  [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src 'self'${hostedUiDomain ? ` ${new URL(hostedUiDomain).origin}` : ''}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ')
