import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ConfigError, Environment, loadConfig } from '../../src/config.js'
import { identityAdapters } from '../../src/identity/identity-adapters.js'

const identityDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/identity')

/** Folders under identity/ that hold machinery every adapter shares, not a provider. */
const SHARED_FOLDERS = ['pacing']

/** The files every provider folder has, so one adapter reads like the next. */
const ADAPTER_FILES = ['adapter', 'config', 'token-rules', 'identity-provider', 'errors']

const providerFolders = readdirSync(identityDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !SHARED_FOLDERS.includes(entry.name))
  .map((entry) => entry.name)
  .sort()

const camelCase = (name: string) => name.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase())

/**
 * A new identity provider is one folder under src/identity/ plus one entry in
 * `identity-adapters.ts`: nothing in config.ts, container.ts or auth/ names a provider.
 */
describe('the identity adapters', () => {
  it('has one entry in the adapter map per provider folder, and no other', () => {
    expect(providerFolders.length).toBeGreaterThan(0)
    expect(Object.keys(identityAdapters).sort()).toEqual(providerFolders)
  })

  it.each(providerFolders)('finds the same files in identity/%s/ as in every provider folder', (provider) => {
    const missing = ADAPTER_FILES.map((role) => `${provider}-${role}.ts`).filter(
      (file) => !existsSync(path.join(identityDir, provider, file)),
    )
    expect(missing, `identity/${provider}/ lacks ${missing.join(', ')}`).toEqual([])
  })

  it.each(providerFolders)('maps %s to the adapter its folder exports', async (provider) => {
    const module = await import(path.join(identityDir, provider, `${provider}-adapter.ts`))
    const adapter = module[`${camelCase(provider)}Adapter`]
    expect(adapter).toBeDefined()
    expect(identityAdapters[provider as keyof typeof identityAdapters]).toBe(adapter)
  })

  it('accepts exactly the map keys as AUTH_BACKEND, and names them when refusing another', () => {
    const schema = Environment.properties.AUTH_BACKEND as { anyOf: { const: string }[] }
    expect(schema.anyOf.map((literal) => literal.const).sort()).toEqual(Object.keys(identityAdapters).sort())
    expect(() => loadConfig({ AUTH_BACKEND: 'keycloak' })).toThrow(ConfigError)
    expect(() => loadConfig({ AUTH_BACKEND: 'keycloak' })).toThrow(
      `AUTH_BACKEND must be one of ${Object.keys(identityAdapters).join(', ')}`,
    )
  })

  it("checks every adapter's own variables, and no two adapters claim the same one", () => {
    const claimed = Object.values(identityAdapters).flatMap((adapter) =>
      Object.keys(adapter.environment.properties),
    )
    expect(new Set(claimed).size).toBe(claimed.length)
    for (const name of claimed) expect(Object.keys(Environment.properties)).toContain(name)
  })
})
