import {
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
} from '@aws-sdk/client-cognito-identity-provider'
import type { CognitoConfig } from '../../config.js'
import { uniqueOrigins, webOriginOf } from '../../domain/web-origin.js'
import { IdentityProviderError } from '../identity-errors.js'
import { cognitoClientConfig } from './cognito-config.js'
import { translateCognitoError } from './cognito-errors.js'

/**
 * The web origins FLIP's UI is served from, derived as FLIP derives them: the app client's
 * `CallbackURLs` then `LogoutURLs` (DescribeUserPoolClient), each reduced to
 * `scheme://host[:port]` with the default port dropped, each once, in that order. URLs that no
 * browser page has an origin for (an app's own scheme) are left out. Read once, at start.
 *
 * @throws IdentityProviderError (its reason from the error table: Unavailable, Throttled,
 *   NotFound for an unknown app client, ProviderError when access is denied), with a message that
 *   says how to do without the call.
 */
export const describeAppClientOrigins = async (
  cognito: Pick<
    CognitoConfig,
    'region' | 'endpoint' | 'timeoutMs' | 'connectTimeoutMs' | 'userPoolId' | 'appClientId'
  >,
): Promise<string[]> => {
  const client = new CognitoIdentityProviderClient(cognitoClientConfig(cognito))
  try {
    const { UserPoolClient: appClient } = await client.send(
      new DescribeUserPoolClientCommand({ UserPoolId: cognito.userPoolId, ClientId: cognito.appClientId }),
    )
    return uniqueOrigins(
      [...(appClient?.CallbackURLs ?? []), ...(appClient?.LogoutURLs ?? [])].map(webOriginOf),
    )
  } catch (error) {
    const translated = translateCognitoError(error, 'describe app client')
    throw new IdentityProviderError(
      translated.reason,
      'Could not read the Cognito app client (DescribeUserPoolClient) to derive the CORS origins: set CORS_ALLOWED_ORIGINS, or allow cognito-idp:DescribeUserPoolClient',
      { cause: error },
    )
  } finally {
    client.destroy()
  }
}
