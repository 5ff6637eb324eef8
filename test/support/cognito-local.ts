import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider'
import { afterAll, beforeAll } from 'vitest'
import type { CognitoConfig } from '../../src/identity/cognito/cognito-config.js'

const HOST = '127.0.0.1'
/** Any region the adapter's configuration accepts; cognito-local ignores it. */
export const EMULATOR_REGION = 'eu-west-2'

/** The service's environment for AUTH_BACKEND=cognito on `pool`, calling Cognito at `endpoint`. */
export const cognitoEnv = (
  pool: UserPool,
  endpoint: string,
  extra: Record<string, string> = {},
): Record<string, string> => ({
  AUTH_BACKEND: 'cognito',
  AWS_REGION: EMULATOR_REGION,
  AWS_COGNITO_USER_POOL_ID: pool.userPoolId,
  AWS_COGNITO_APP_CLIENT_ID: pool.appClientId,
  COGNITO_ENDPOINT: endpoint,
  COGNITO_ISSUER: pool.issuer,
  ...extra,
})

export interface UserPool {
  userPoolId: string
  appClientId: string
  /** What cognito-local puts in `iss`: its `TokenConfig.IssuerDomain` and the pool id. */
  issuer: string
}

export interface CognitoLocal {
  /** The emulator's base URL, e.g. http://127.0.0.1:40123 */
  endpoint: string
  pid: number
  /** A pool (username = the email as given) and an app client allowing ADMIN_USER_PASSWORD_AUTH. */
  pool: UserPool
  /** An SDK client straight to the emulator, for test set-up the adapter does not do. */
  admin: CognitoIdentityProviderClient
  createPool(options?: { usernameAttributes?: 'email'[] }): Promise<UserPool>
  /** The adapter's configuration for a pool, against `endpoint` or another one (a proxy). */
  config(pool?: UserPool, endpoint?: string): CognitoConfig
  /** Signs `username` into the default pool (ADMIN_USER_PASSWORD_AUTH) and returns its access token. */
  accessTokenFor(username: string): Promise<string>
  stop(): Promise<void>
}

/** The SDK's default credential chain must find something; the emulator accepts anything. */
const useDummyCredentials = () => {
  process.env.AWS_ACCESS_KEY_ID ??= 'cognito-local'
  process.env.AWS_SECRET_ACCESS_KEY ??= 'cognito-local'
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, HOST, () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()))
    })
  })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const waitUntilAnswering = async (endpoint: string, child: ChildProcess, output: () => string) => {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`cognito-local exited (${child.exitCode}):\n${output()}`)
    try {
      const response = await fetch(`${endpoint}/health`)
      if (response.ok) return
    } catch {
      // not listening yet
    }
    await sleep(50)
  }
  throw new Error(`cognito-local did not answer on ${endpoint} within 20 s:\n${output()}`)
}

const stopChild = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  process.kill(child.pid, 'SIGTERM')
  const killed = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)])
  if (!killed && child.exitCode === null) {
    process.kill(child.pid, 'SIGKILL')
    await exited
  }
}

/**
 * cognito-local costs time in proportion to the users already in a pool, which real Cognito does
 * not, so a benchmark of thousands of users would measure the emulator rather than flip-users:
 * - its store rewrites the whole pool file (pretty-printed JSON) on every write: measured here at
 *   85 creations/s for the first 1,000 users, 35/s by 2,000, 15/s by 5,000;
 * - every lookup of a username it does not hold (each AdminCreateUser's "does it exist?") scans
 *   all users for one whose `sub` is that name: ~7 ms a call at 10,000 users.
 * The `memory` store keeps pools in memory (the same store without the save after each set and
 * delete; nothing restarts the emulator mid-run) and skips that scan for names that cannot be a
 * sub (cognito-local makes every sub a UUID) when the pool has no username aliases (ours has none).
 */
const memoryStorePatch = (stormDbModule: string, userPoolModule: string): string => `
const { StormDBDataStore } = require(${JSON.stringify(stormDbModule)})
const { UserPoolServiceImpl } = require(${JSON.stringify(userPoolModule)})
const path = (key) => (Array.isArray(key) ? key : [key])
StormDBDataStore.prototype.set = async function (_ctx, key, value) {
  this.db.setValue(value, path(key))
}
StormDBDataStore.prototype.delete = async function (_ctx, key) {
  path(key).reduce((node, k) => node.get([k]), this.db).delete(false)
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const scanning = UserPoolServiceImpl.prototype.getUserByUsername
UserPoolServiceImpl.prototype.getUserByUsername = async function (ctx, username) {
  if ((this.options.UsernameAttributes ?? []).length > 0 || UUID.test(username))
    return scanning.call(this, ctx, username)
  return (await this.dataStore.get(ctx, ['Users', username])) ?? null
}
`

/**
 * Starts the cognito-local emulator from node_modules in a fresh temporary directory (it keeps
 * its data in ./.cognito of its working directory), on a free loopback port, and creates a user
 * pool and an app client through the SDK.
 *
 * `.cognito/config.json` sets `UserPoolDefaults.UsernameAttributes` to `[]`: the emulator's
 * default is `["email"]` (username = the sub, email an alias), whereas FLIP's pool keeps the
 * email as the username. The issuer domain is pinned to the real address because the emulator's
 * own default names `localhost`. `store: 'memory'` keeps pools in memory only (see above).
 */
export const startCognitoLocal = async (
  options: { store?: 'file' | 'memory' } = {},
): Promise<CognitoLocal> => {
  useDummyCredentials()
  const require = createRequire(import.meta.url)
  const bin = require.resolve('cognito-local/lib/bin/start.js')
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'cognito-local-'))
  const preload: string[] = []
  if (options.store === 'memory') {
    const preloadFile = path.join(cwd, 'memory-store.cjs')
    const services = path.dirname(require.resolve('cognito-local/lib/services/userPoolService.js'))
    await writeFile(
      preloadFile,
      memoryStorePatch(
        path.join(services, 'dataStore/stormDb.js'),
        path.join(services, 'userPoolService.js'),
      ),
    )
    preload.push('--require', preloadFile)
  }
  const port = await freePort()
  const endpoint = `http://${HOST}:${port}`
  await mkdir(path.join(cwd, '.cognito'))
  await writeFile(
    path.join(cwd, '.cognito', 'config.json'),
    JSON.stringify({ UserPoolDefaults: { UsernameAttributes: [] }, TokenConfig: { IssuerDomain: endpoint } }),
  )
  const { DEBUG: _debug, ...env } = process.env
  const child = spawn(process.execPath, [...preload, bin], {
    cwd,
    env: { ...env, PORT: String(port), HOST, NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)

  const admin = new CognitoIdentityProviderClient({ region: EMULATOR_REGION, endpoint, maxAttempts: 1 })
  const stop = async () => {
    admin.destroy()
    await stopChild(child)
    await rm(cwd, { recursive: true, force: true })
  }
  try {
    await waitUntilAnswering(endpoint, child, () => output)
    const createPool: CognitoLocal['createPool'] = async (options = {}) => {
      const created = await admin.send(
        new CreateUserPoolCommand({
          PoolName: `flip-users-test-${Date.now()}`,
          ...(options.usernameAttributes ? { UsernameAttributes: options.usernameAttributes } : {}),
        }),
      )
      const userPoolId = created.UserPool!.Id!
      const appClient = await admin.send(
        new CreateUserPoolClientCommand({
          UserPoolId: userPoolId,
          ClientName: 'flip-users',
          ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        }),
      )
      return {
        userPoolId,
        appClientId: appClient.UserPoolClient!.ClientId!,
        issuer: `${endpoint}/${userPoolId}`,
      }
    }
    const pool = await createPool()
    return {
      endpoint,
      pid: child.pid!,
      pool,
      admin,
      createPool,
      config: (p = pool, via = endpoint) => ({
        region: EMULATOR_REGION,
        userPoolId: p.userPoolId,
        appClientId: p.appClientId,
        endpoint: via,
        issuer: p.issuer,
      }),
      async accessTokenFor(username) {
        const password = 'Test-Pa55word-9'
        await admin.send(
          new AdminSetUserPasswordCommand({
            UserPoolId: pool.userPoolId,
            Username: username,
            Password: password,
            Permanent: true,
          }),
        )
        const answer = await admin.send(
          new AdminInitiateAuthCommand({
            UserPoolId: pool.userPoolId,
            ClientId: pool.appClientId,
            AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
            AuthParameters: { USERNAME: username, PASSWORD: password },
          }),
        )
        return answer.AuthenticationResult!.AccessToken!
      },
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/** One emulator for the enclosing describe block (or file), stopped by PID afterwards. */
export const useCognitoLocal = (): (() => CognitoLocal) => {
  let emulator: CognitoLocal | undefined
  beforeAll(async () => {
    emulator = await startCognitoLocal()
  })
  afterAll(async () => {
    await emulator?.stop()
  })
  return () => {
    if (!emulator) throw new Error('cognito-local is not running yet')
    return emulator
  }
}
