import type { CognitoIdentityProviderClientConfig } from '@aws-sdk/client-cognito-identity-provider'
import type { CognitoConfig } from '../../config.js'

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
