import {
  AliasExistsException,
  CodeDeliveryFailureException,
  InternalErrorException,
  InvalidParameterException,
  LimitExceededException,
  NotAuthorizedException,
  ResourceNotFoundException,
  TooManyRequestsException,
  UserNotFoundException,
  UsernameExistsException,
} from '@aws-sdk/client-cognito-identity-provider'
import { describe, expect, it } from 'vitest'
import type { IdentityErrorReason } from '../identity-errors.js'
import {
  type CognitoOperation,
  classifyCognitoError,
  cognitoErrorTable,
  translateCognitoError,
} from './cognito-errors.js'

// Text no client may ever see: it stands for SDK messages, request ids, ARNs and hosts.
const SECRET = 'arn:aws:cognito-idp:eu-west-2:123456789012:userpool/eu-west-2_X req 8f1c cognito-idp.internal'

const metadata = (httpStatusCode: number) => ({ httpStatusCode, requestId: SECRET, attempts: 1 })

/** Errors shaped as the SDK throws them; the transport ones as observed through the fault proxy. */
const sdk = {
  usernameExists: () => new UsernameExistsException({ message: SECRET, $metadata: metadata(400) }),
  aliasExists: () => new AliasExistsException({ message: SECRET, $metadata: metadata(400) }),
  userNotFound: () => new UserNotFoundException({ message: SECRET, $metadata: metadata(400) }),
  invalidParameter: () => new InvalidParameterException({ message: SECRET, $metadata: metadata(400) }),
  tooManyRequests: () => new TooManyRequestsException({ message: SECRET, $metadata: metadata(400) }),
  limitExceeded: () => new LimitExceededException({ message: SECRET, $metadata: metadata(400) }),
  internalError: () => new InternalErrorException({ message: SECRET, $metadata: metadata(500) }),
  codeDeliveryFailure: () => new CodeDeliveryFailureException({ message: SECRET, $metadata: metadata(400) }),
  notAuthorized: () => new NotAuthorizedException({ message: SECRET, $metadata: metadata(400) }),
  resourceNotFound: () => new ResourceNotFoundException({ message: SECRET, $metadata: metadata(400) }),
  // A 503 from a load balancer: plain text, so the SDK fails to parse it and throws a SyntaxError.
  http503: () => Object.assign(new SyntaxError(SECRET), { $metadata: metadata(503) }),
  http502: () => Object.assign(new Error(SECRET), { name: 'BadGateway', $metadata: metadata(502) }),
  refused: () => Object.assign(new Error(SECRET), { code: 'ECONNREFUSED', $metadata: { attempts: 1 } }),
  unresolvable: () => Object.assign(new Error(SECRET), { code: 'ENOTFOUND', $metadata: { attempts: 1 } }),
  requestTimeout: () =>
    Object.assign(new Error(SECRET), { name: 'TimeoutError', code: 'ETIMEDOUT', $metadata: { attempts: 1 } }),
  connectTimeout: () =>
    Object.assign(new Error(SECRET), { name: 'TimeoutError', $metadata: { attempts: 1 } }),
  reset: () =>
    Object.assign(new Error(SECRET), {
      name: 'TimeoutError',
      code: 'ECONNRESET',
      $metadata: { attempts: 1 },
    }),
  unknown: () => new Error(SECRET),
}

type Row = [
  tableKey: string | undefined,
  error: keyof typeof sdk,
  operation: CognitoOperation,
  reason: IdentityErrorReason,
]

// One row per table entry and operation that behaves differently, plus the fall-through.
const rows: Row[] = [
  ['UsernameExistsException', 'usernameExists', 'create user', 'AlreadyExists'],
  ['AliasExistsException', 'aliasExists', 'create user', 'AlreadyExists'],
  ['UserNotFoundException', 'userNotFound', 'delete user', 'NotFound'],
  ['InvalidParameterException', 'invalidParameter', 'create user', 'InvalidInput'],
  ['TooManyRequestsException', 'tooManyRequests', 'list users', 'Throttled'],
  ['LimitExceededException', 'limitExceeded', 'update user', 'Throttled'],
  ['InternalErrorException', 'internalError', 'get user', 'Unavailable'],
  ['InternalErrorException', 'internalError', 'create user', 'Unavailable'],
  ['CodeDeliveryFailureException', 'codeDeliveryFailure', 'create user', 'Ambiguous'],
  ['CodeDeliveryFailureException', 'codeDeliveryFailure', 'update user', 'ProviderError'],
  ['http-5xx', 'http503', 'get user', 'Unavailable'],
  ['http-5xx', 'http503', 'create user', 'Unavailable'],
  ['http-5xx', 'http502', 'delete user', 'Unavailable'],
  ['network', 'refused', 'get user', 'Unavailable'],
  ['network', 'refused', 'create user', 'Unavailable'],
  ['network', 'unresolvable', 'list users', 'Unavailable'],
  ['timeout', 'requestTimeout', 'get user', 'Unavailable'],
  ['timeout', 'requestTimeout', 'create user', 'Ambiguous'],
  ['timeout', 'connectTimeout', 'create user', 'Ambiguous'],
  ['timeout', 'reset', 'update user', 'Unavailable'],
  ['timeout', 'reset', 'create user', 'Ambiguous'],
  [undefined, 'notAuthorized', 'get user', 'ProviderError'],
  [undefined, 'resourceNotFound', 'create user', 'ProviderError'],
  [undefined, 'unknown', 'list users', 'ProviderError'],
]

describe('translateCognitoError', () => {
  it.each(rows)('maps %s (%s) on "%s" to %s', (tableKey, error, operation, reason) => {
    const original = sdk[error]()
    expect(classifyCognitoError(original)).toBe(tableKey)
    const translated = translateCognitoError(original, operation, 'someone@example.org')
    expect(translated.reason).toBe(reason)
    expect(translated.cause).toBe(original)
  })

  it('has a row for every entry of the table', () => {
    const covered = new Set(rows.map(([key]) => key))
    expect(Object.keys(cognitoErrorTable).filter((key) => !covered.has(key))).toEqual([])
  })

  it.each(rows)(
    'never lets SDK text, request ids, ARNs or hosts into the message (%s, %s)',
    (_key, error) => {
      const { message } = translateCognitoError(sdk[error](), 'create user', 'someone@example.org')
      expect(message).not.toContain('arn:')
      expect(message).not.toContain('req 8f1c')
      expect(message).not.toContain('cognito-idp')
    },
  )

  it("keeps FLIP's wording for an existing user and for a generic failure", () => {
    expect(translateCognitoError(sdk.usernameExists(), 'create user', 'a@b.org').message).toBe(
      'User with email a@b.org already exists',
    )
    expect(translateCognitoError(sdk.unknown(), 'delete user').message).toBe('Failed to delete user')
  })

  it('carries a Retry-After the provider sent on a throttling answer, in milliseconds', () => {
    const throttled = Object.assign(sdk.tooManyRequests(), {
      $response: { statusCode: 400, headers: { 'retry-after': '2' } },
    })
    expect(translateCognitoError(throttled, 'list users').retryAfterMs).toBe(2000)
    expect(translateCognitoError(sdk.tooManyRequests(), 'list users').retryAfterMs).toBeUndefined()
  })
})
