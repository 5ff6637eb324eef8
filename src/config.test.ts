import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './config.js'

const COGNITO_ENV = {
  AUTH_BACKEND: 'cognito',
  AWS_REGION: 'eu-west-2',
  AWS_COGNITO_USER_POOL_ID: 'eu-west-2_TESTPOOL',
  AWS_COGNITO_APP_CLIENT_ID: 'client123',
}

/** The ConfigError `loadConfig` throws for `env` (fails the test if it does not throw). */
const configErrorFor = (env: Record<string, string>): ConfigError => {
  try {
    loadConfig(env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error('expected loadConfig to throw a ConfigError')
}

describe('loadConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    expect(loadConfig({})).toEqual({
      port: 8000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: path.resolve('.flip-users'),
      identity: { backend: 'local', settings: { tokenIssuer: 'flip-users' } },
      adminEmail: 'admin@flip.local',
      enforceMfa: false,
      logLevel: 'info',
      accountStatusCacheSeconds: 60,
      registration: {},
    })
  })

  it('reads ACCOUNT_STATUS_CACHE_SECONDS as whole seconds, 0 included, and names a bad value', () => {
    expect(loadConfig({ ACCOUNT_STATUS_CACHE_SECONDS: '5' }).accountStatusCacheSeconds).toBe(5)
    expect(loadConfig({ ACCOUNT_STATUS_CACHE_SECONDS: '0' }).accountStatusCacheSeconds).toBe(0)
    expect(configErrorFor({ ACCOUNT_STATUS_CACHE_SECONDS: '1m' }).message).toContain(
      'ACCOUNT_STATUS_CACHE_SECONDS',
    )
  })

  it('reads every variable it is given', () => {
    const config = loadConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgresql://flip:secret@db.internal:5432/flip',
      DATA_DIR: '/var/lib/flip-users',
      FLIP_ADMIN_EMAIL: 'ops@example.org',
      ENFORCE_MFA: 'TRUE',
      LOG_LEVEL: 'debug',
      LOCAL_TOKEN_ISSUER: 'https://flip.example.org',
    })
    expect(config).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      databaseUrl: 'postgresql://flip:secret@db.internal:5432/flip',
      dataDir: '/var/lib/flip-users',
      adminEmail: 'ops@example.org',
      enforceMfa: true,
      logLevel: 'debug',
      identity: { backend: 'local', settings: { tokenIssuer: 'https://flip.example.org' } },
    })
  })

  it('treats empty and blank values as unset', () => {
    const config = loadConfig({
      PORT: '',
      HOST: '  ',
      DATABASE_URL: '',
      AUTH_BACKEND: '',
      FLIP_ADMIN_EMAIL: '',
      ENFORCE_MFA: '',
      LOG_LEVEL: '',
    })
    expect(config).toMatchObject({
      port: 8000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      identity: { backend: 'local' },
      adminEmail: 'admin@flip.local',
      enforceMfa: false,
      logLevel: 'info',
    })
  })

  it('enforces MFA by default for Cognito and derives the issuer from region and pool', () => {
    const config = loadConfig(COGNITO_ENV)
    expect(config.enforceMfa).toBe(true)
    expect(config.adminEmail).toBeUndefined()
    expect(config.identity.backend).toBe('cognito')
    expect(config.identity.settings).toEqual({
      region: 'eu-west-2',
      userPoolId: 'eu-west-2_TESTPOOL',
      appClientId: 'client123',
      endpoint: undefined,
      issuer: 'https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_TESTPOOL',
    })
  })

  it.each([
    ['false', false],
    ['0', false],
    ['off', false],
    ['true', true],
    ['yes', true],
  ])('lets ENFORCE_MFA=%s override the backend default', (value, expected) => {
    expect(loadConfig({ ...COGNITO_ENV, ENFORCE_MFA: value }).enforceMfa).toBe(expected)
    expect(loadConfig({ ENFORCE_MFA: value }).enforceMfa).toBe(expected)
  })

  it('lets COGNITO_ISSUER override the derived issuer', () => {
    const config = loadConfig({
      ...COGNITO_ENV,
      COGNITO_ISSUER: 'http://127.0.0.1:9229/eu-west-2_TESTPOOL/',
      COGNITO_ENDPOINT: 'http://127.0.0.1:9229',
    })
    expect(config.identity.settings).toMatchObject({
      issuer: 'http://127.0.0.1:9229/eu-west-2_TESTPOOL',
      endpoint: 'http://127.0.0.1:9229',
    })
  })

  it('names every bad variable in one single-line message', () => {
    const error = configErrorFor({
      PORT: 'abc',
      DATABASE_URL: 'mysql://x',
      LOG_LEVEL: 'loud',
      FLIP_ADMIN_EMAIL: 'nope',
      ENFORCE_MFA: 'maybe',
    })
    expect(error.message).not.toContain('\n')
    for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'FLIP_ADMIN_EMAIL', 'ENFORCE_MFA']) {
      expect(error.message).toContain(name)
    }
    expect(error.problems).toHaveLength(5)
  })

  it('refuses a port above 65535', () => {
    expect(configErrorFor({ PORT: '65536' }).problems).toEqual(['PORT must be an integer 0–65535'])
  })

  it('names all three Cognito variables when the Cognito backend has none of them', () => {
    const error = configErrorFor({ AUTH_BACKEND: 'cognito' })
    expect(error.problems).toHaveLength(3)
    for (const name of ['AWS_REGION', 'AWS_COGNITO_USER_POOL_ID', 'AWS_COGNITO_APP_CLIENT_ID']) {
      expect(error.message).toContain(name)
    }
  })

  it('names an unknown AUTH_BACKEND, listing the backends there are', () => {
    const error = configErrorFor({ AUTH_BACKEND: 'ldap' })
    expect(error.problems).toEqual(['AUTH_BACKEND must be one of local, cognito'])
  })

  it('refuses keycloak, which has no adapter folder, as it refuses any unknown backend', () => {
    expect(configErrorFor({ AUTH_BACKEND: 'keycloak' }).problems).toEqual([
      'AUTH_BACKEND must be one of local, cognito',
    ])
  })

  it('refuses a COGNITO_ISSUER that is not an http(s) URL', () => {
    const error = configErrorFor({ ...COGNITO_ENV, COGNITO_ISSUER: 'cognito-idp' })
    expect(error.problems).toEqual(['COGNITO_ISSUER must be an http(s) URL'])
  })

  it('reads CORS_ALLOWED_ORIGINS as origins in the form browsers send, each once, in order', () => {
    const config = loadConfig({
      CORS_ALLOWED_ORIGINS: 'https://UI.example.org:443/, http://localhost:3000,https://ui.example.org,',
    })
    expect(config.corsAllowedOrigins).toEqual(['https://ui.example.org', 'http://localhost:3000'])
    expect(loadConfig({}).corsAllowedOrigins).toBeUndefined()
  })

  it('names CORS_ALLOWED_ORIGINS and each entry that is not scheme://host[:port], on the same one line', () => {
    const error = configErrorFor({
      PORT: 'abc',
      CORS_ALLOWED_ORIGINS: 'https://ui.example.org,ui.example.org,https://ui.example.org/app,*',
    })
    expect(error.message).not.toContain('\n')
    expect(error.problems).toHaveLength(2)
    expect(error.problems[1]).toBe(
      'CORS_ALLOWED_ORIGINS must be comma-separated origins like https://flip.example.org (not "ui.example.org", "https://ui.example.org/app", "*")',
    )
  })
})

describe('the built CLI with a bad configuration', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
  const cli = path.join(root, 'dist', 'cli', 'main.js')
  let scratch: string

  beforeAll(async () => {
    if (!existsSync(cli)) execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'ignore' })
    scratch = await mkdtemp(path.join(os.tmpdir(), 'flip-users-config-'))
  }, 120_000)

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true })
  })

  it('stops serve with exit code 78 and one line naming PORT, before touching the data directory', async () => {
    const dataDir = path.join(scratch, 'data')
    const child = spawn(process.execPath, [cli, 'serve'], {
      cwd: scratch,
      // NODE_NO_WARNINGS: the machines' Node 20 is outside `engines`, and its one warning line is
      // not the configuration error this test counts.
      env: { PATH: process.env.PATH ?? '', PORT: 'abc', DATA_DIR: dataDir, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve))

    expect(exitCode).toBe(78)
    const lines = stderr.split('\n').filter((line) => line !== '')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('PORT')
    // Nothing started: no listener announced itself and the data directory (and its lock) never appeared.
    expect(stdout).toBe('')
    expect(existsSync(dataDir)).toBe(false)
  })
})
