import { type IdentityErrorReason, IdentityProviderError } from '../identity-errors.js'

/** The port operations, as they appear in FLIP's generic messages ("Failed to create user"). */
export type CognitoOperation =
  | 'create user'
  | 'get user'
  | 'list users'
  | 'delete user'
  | 'update user'
  | 'fetch MFA state'
  | 'reset user MFA'
  | 'describe app client'

/** Failures that carry no Cognito exception name, classified from `$metadata`, `name` and `code`. */
export type TransportFailure = 'http-5xx' | 'network' | 'timeout'

interface Mapping {
  reason: IdentityErrorReason
  /** AdminCreateUser differs where the user may exist although the call failed. */
  onCreate?: IdentityErrorReason
}

/**
 * THE table: every Cognito exception name or transport failure this adapter tells apart, and the
 * taxonomy reason it becomes (SPEC §6). Anything not in it is a definitive ProviderError.
 */
export const cognitoErrorTable: Readonly<Record<string, Mapping>> = {
  UsernameExistsException: { reason: 'AlreadyExists' },
  AliasExistsException: { reason: 'AlreadyExists' },
  UserNotFoundException: { reason: 'NotFound' },
  InvalidParameterException: { reason: 'InvalidInput' },
  TooManyRequestsException: { reason: 'Throttled' },
  LimitExceededException: { reason: 'Throttled' },
  InternalErrorException: { reason: 'Unavailable' },
  // Cognito raises this after it has stored the user, when the invitation could not be sent.
  CodeDeliveryFailureException: { reason: 'ProviderError', onCreate: 'Ambiguous' },
  'http-5xx': { reason: 'Unavailable' },
  // Refused, unreachable or unresolvable: the request never reached Cognito.
  network: { reason: 'Unavailable' },
  // The request may have been delivered and acted on before the answer was lost. The SDK's HTTP
  // handler reports a reset or broken pipe (ECONNRESET, EPIPE) as a TimeoutError too.
  timeout: { reason: 'Unavailable', onCreate: 'Ambiguous' },
}

// Node's codes for a connection that never carried the request.
const networkCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ECONNABORTED',
])
const timeoutCodes = new Set(['ETIMEDOUT', 'ECONNRESET', 'EPIPE'])

interface SdkErrorShape {
  name?: unknown
  code?: unknown
  $metadata?: { httpStatusCode?: unknown }
  $response?: { headers?: Record<string, string | undefined> }
}

/** The table key for an error: its exception name when the table knows it, else a transport failure. */
export const classifyCognitoError = (error: unknown): string | undefined => {
  if (typeof error !== 'object' || error === null) return undefined
  const { name, code, $metadata } = error as SdkErrorShape
  if (typeof name === 'string' && Object.hasOwn(cognitoErrorTable, name)) return name
  if (name === 'TimeoutError' || (typeof code === 'string' && timeoutCodes.has(code))) return 'timeout'
  const status = $metadata?.httpStatusCode
  if (typeof status === 'number' && status >= 500) return 'http-5xx'
  if (typeof code === 'string' && networkCodes.has(code)) return 'network'
  return undefined
}

/** Cognito seldom says how long to wait; when a `Retry-After` header is present, honour it. */
const retryAfterMs = (error: unknown): number | undefined => {
  const header = (error as SdkErrorShape).$response?.headers?.['retry-after']
  const seconds = header === undefined ? Number.NaN : Number(header)
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined
}

/** What the caller may be told; never SDK text, request ids, ARNs or host names. */
const messages = {
  AlreadyExists: (subject) => `User with email ${subject ?? ''} already exists`,
  NotFound: (subject) => `User ${subject ?? ''} is not registered.`,
  InvalidInput: () => 'The identity provider rejected the request as invalid',
  Throttled: () => 'The identity provider is busy; try again later',
  Unavailable: () => 'The identity provider is unavailable',
  Ambiguous: () => 'The identity provider did not confirm whether the user was created',
  ProviderError: (_subject, operation) => `Failed to ${operation}`,
} satisfies Record<IdentityErrorReason, (subject: string | undefined, operation: CognitoOperation) => string>

/**
 * Turns whatever the SDK threw into the taxonomy, keeping the original as `cause` (for logs).
 * Classification uses the exception name, HTTP status and Node error code, never message text.
 *
 * @param subject what the message names: the email for create, the id or username otherwise.
 */
export const translateCognitoError = (
  error: unknown,
  operation: CognitoOperation,
  subject?: string,
): IdentityProviderError => {
  if (error instanceof IdentityProviderError) return error
  const key = classifyCognitoError(error)
  const mapping = key === undefined ? undefined : cognitoErrorTable[key]
  const reason: IdentityErrorReason =
    (operation === 'create user' ? mapping?.onCreate : undefined) ?? mapping?.reason ?? 'ProviderError'
  return new IdentityProviderError(reason, messages[reason](subject, operation), {
    cause: error,
    ...(reason === 'Throttled' ? { retryAfterMs: retryAfterMs(error) } : {}),
  })
}
