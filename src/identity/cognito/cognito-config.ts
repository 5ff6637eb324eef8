import type { CognitoIdentityProviderClientConfig } from '@aws-sdk/client-cognito-identity-provider'
import { type Static, Type } from 'typebox'
import { isUrl, optionalNumber } from '../../config-values.js'

const positiveInteger = '^(?!0+$)[0-9]{1,7}$'
const positiveRate = '^(?!0*(\\.0*)?$)[0-9]{1,5}(\\.[0-9]{1,3})?$'

/** The variables only `cognito` reads (SPEC §2). All strings, all optional: `parseCognitoConfig` says which it needs. */
export const CognitoEnvironment = Type.Object({
  AWS_REGION: Type.Optional(
    Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]+$', description: 'an AWS region' }),
  ),
  AWS_COGNITO_USER_POOL_ID: Type.Optional(
    Type.String({ pattern: '^[\\w-]+_[0-9a-zA-Z]+$', description: 'a user pool id like eu-west-2_AbC123' }),
  ),
  AWS_COGNITO_APP_CLIENT_ID: Type.Optional(
    Type.String({ pattern: '^[\\w+]+$', description: 'an app client id' }),
  ),
  COGNITO_ENDPOINT: Type.Optional(Type.String({ description: 'an http(s) URL' })),
  COGNITO_ISSUER: Type.Optional(Type.String({ description: 'an http(s) URL' })),
  COGNITO_DOMAIN: Type.Optional(
    Type.String({
      description: "the Hosted UI's https URL, like https://flip.auth.eu-west-2.amazoncognito.com",
    }),
  ),
  COGNITO_TIMEOUT_MS: Type.Optional(
    Type.String({ pattern: positiveInteger, description: 'milliseconds (> 0)' }),
  ),
  COGNITO_CONNECT_TIMEOUT_MS: Type.Optional(
    Type.String({ pattern: positiveInteger, description: 'milliseconds (> 0)' }),
  ),
  // The account's quota per category (calls per second); SERVICE_REPLICAS processes share it.
  COGNITO_RATE_CREATE: Type.Optional(
    Type.String({ pattern: positiveRate, description: 'calls per second (> 0)' }),
  ),
  COGNITO_RATE_LIST: Type.Optional(
    Type.String({ pattern: positiveRate, description: 'calls per second (> 0)' }),
  ),
  COGNITO_RATE_READ: Type.Optional(
    Type.String({ pattern: positiveRate, description: 'calls per second (> 0)' }),
  ),
  COGNITO_RATE_WRITE: Type.Optional(
    Type.String({ pattern: positiveRate, description: 'calls per second (> 0)' }),
  ),
  SERVICE_REPLICAS: Type.Optional(
    Type.String({ pattern: '^[1-9][0-9]{0,3}$', description: 'a whole number of processes (1–9999)' }),
  ),
})
export type CognitoEnvironment = Static<typeof CognitoEnvironment>

/** AUTH_BACKEND=cognito: one user pool and its app client. */
export interface CognitoConfig {
  region: string
  userPoolId: string
  appClientId: string
  endpoint: string | undefined
  issuer: string
  /** COGNITO_DOMAIN: the Hosted UI's base URL; set, the console signs in there (PKCE). */
  hostedUiDomain?: string | undefined
  /** Unset means the adapter's defaults (below). */
  timeoutMs?: number | undefined
  connectTimeoutMs?: number | undefined
  /** The account's calls per second per category; unset means Cognito's default quotas. */
  rateCreate?: number | undefined
  rateList?: number | undefined
  rateRead?: number | undefined
  rateWrite?: number | undefined
  /**
   * How many service processes share the account's quota (SPEC §7): each paces at 1/replicas of
   * it, so N processes together never exceed the quota. Unset means 1.
   */
  replicas?: number | undefined
}

/**
 * Reads `cognito`'s settings from an environment that already passed `CognitoEnvironment`'s
 * patterns, adding a problem for each required variable that is missing or URL that is not one.
 */
export const parseCognitoConfig = (env: CognitoEnvironment, problems: string[]): CognitoConfig => {
  for (const name of ['AWS_REGION', 'AWS_COGNITO_USER_POOL_ID', 'AWS_COGNITO_APP_CLIENT_ID'] as const) {
    if (env[name] === undefined) problems.push(`${name} is required when AUTH_BACKEND=cognito`)
  }
  if (env.COGNITO_DOMAIN !== undefined && !isUrl(env.COGNITO_DOMAIN, ['https:']))
    problems.push("COGNITO_DOMAIN must be the Hosted UI's https URL")
  for (const name of ['COGNITO_ENDPOINT', 'COGNITO_ISSUER'] as const) {
    const value = env[name]
    if (value !== undefined && !isUrl(value, ['http:', 'https:']))
      problems.push(`${name} must be an http(s) URL`)
  }
  const region = env.AWS_REGION ?? ''
  const userPoolId = env.AWS_COGNITO_USER_POOL_ID ?? ''
  return {
    region,
    userPoolId,
    appClientId: env.AWS_COGNITO_APP_CLIENT_ID ?? '',
    endpoint: env.COGNITO_ENDPOINT,
    issuer: (env.COGNITO_ISSUER ?? `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`).replace(
      /\/+$/,
      '',
    ),
    hostedUiDomain: env.COGNITO_DOMAIN?.replace(/\/+$/, ''),
    timeoutMs: optionalNumber(env.COGNITO_TIMEOUT_MS),
    connectTimeoutMs: optionalNumber(env.COGNITO_CONNECT_TIMEOUT_MS),
    rateCreate: optionalNumber(env.COGNITO_RATE_CREATE),
    rateList: optionalNumber(env.COGNITO_RATE_LIST),
    rateRead: optionalNumber(env.COGNITO_RATE_READ),
    rateWrite: optionalNumber(env.COGNITO_RATE_WRITE),
    replicas: optionalNumber(env.SERVICE_REPLICAS),
  }
}

/** Cognito's ListUsers returns at most 60 users a page; a larger Limit is an InvalidParameterException. */
export const COGNITO_MAX_PAGE_SIZE = 60

/** A whole request (connect, send, answer) may take this long before it counts as a timeout. */
export const COGNITO_DEFAULT_TIMEOUT_MS = 10_000

/** Establishing the TCP/TLS connection may take this long; past it nothing was sent. */
export const COGNITO_DEFAULT_CONNECT_TIMEOUT_MS = 3_000

/**
 * The SDK client's configuration for one user pool. Credentials are deliberately absent: the
 * SDK's default chain finds them (environment, shared files, container or instance roles).
 */
export const cognitoClientConfig = (
  cognito: Pick<CognitoConfig, 'region' | 'endpoint' | 'timeoutMs' | 'connectTimeoutMs'>,
): CognitoIdentityProviderClientConfig => ({
  region: cognito.region,
  ...(cognito.endpoint === undefined ? {} : { endpoint: cognito.endpoint }),
  // One attempt per call: the pacing decorator owns retries and backoff, so a throttled call
  // is never silently multiplied by the SDK's own retry loop behind the rate limiter's back.
  maxAttempts: 1,
  requestHandler: {
    requestTimeout: cognito.timeoutMs ?? COGNITO_DEFAULT_TIMEOUT_MS,
    connectionTimeout: cognito.connectTimeoutMs ?? COGNITO_DEFAULT_CONNECT_TIMEOUT_MS,
    // Without this the handler only logs a warning when requestTimeout passes and keeps waiting.
    throwOnRequestTimeout: true,
  },
})

/** Cognito's quota categories that this adapter's operations draw on. */
export type CognitoQuota = 'create' | 'list' | 'read' | 'write'

/**
 * Cognito's default account-wide quotas, in requests per second (UserCreation, UserList,
 * UserRead, UserUpdate — which also counts deletions). With several processes, each gets a share.
 */
export const COGNITO_DEFAULT_RATES: Readonly<Record<CognitoQuota, number>> = {
  create: 50,
  list: 30,
  read: 120,
  write: 25,
}

/** Which quota each port call spends, from the operation this adapter makes for it. */
export const COGNITO_QUOTA_OF = {
  createUser: 'create', // AdminCreateUser
  getUserById: 'list', // ListUsers, filter sub = "…"
  getUserByEmail: 'read', // AdminGetUser
  listUsers: 'list', // ListUsers
  deleteUser: 'write', // AdminDeleteUser
  setEnabled: 'write', // AdminEnableUser / AdminDisableUser
  isEnabled: 'read', // AdminGetUser
  signOut: 'write', // AdminUserGlobalSignOut
  isMfaEnabled: 'read', // AdminGetUser
  resetMfa: 'write', // AdminSetUserMFAPreference, then AdminUserGlobalSignOut
} as const satisfies Record<string, CognitoQuota>

/** This process's rates: the configured (or default) account quota divided among `replicas` processes. */
export const cognitoRates = (
  cognito: Pick<CognitoConfig, 'rateCreate' | 'rateList' | 'rateRead' | 'rateWrite' | 'replicas'>,
): Record<CognitoQuota, number> => {
  // Cognito's quotas are per account and Region: this process gets its share, never a multiple.
  const share = 1 / (cognito.replicas ?? 1)
  return {
    create: (cognito.rateCreate ?? COGNITO_DEFAULT_RATES.create) * share,
    list: (cognito.rateList ?? COGNITO_DEFAULT_RATES.list) * share,
    read: (cognito.rateRead ?? COGNITO_DEFAULT_RATES.read) * share,
    write: (cognito.rateWrite ?? COGNITO_DEFAULT_RATES.write) * share,
  }
}
