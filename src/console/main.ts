import { createApi, describeError } from './api.js'
import { byId, say, warn } from './dom.js'
import { createRegistrationsView } from './registrations.js'
import {
  type ConsoleConfig,
  finishHostedUiSignIn,
  forgetToken,
  redeemLinkCode,
  signedOutUrl,
  startHostedUiSignIn,
  storedToken,
  storeToken,
} from './session.js'
import { createUsersView } from './users.js'

type View = 'registrations' | 'users'

const signInSection = byId('sign-in')
const nav = byId('nav')

const api = createApi(storedToken, () => {
  forgetToken()
  showSignIn('Your session has ended or the token was refused: sign in again.')
})
const views = { registrations: createRegistrationsView(api), users: createUsersView(api) }
let config: ConsoleConfig = { backend: 'local', hostedUi: null }

const showSignIn = (message?: string) => {
  for (const view of Object.keys(views)) byId(view).hidden = true
  nav.hidden = true
  byId('signed-in-as').textContent = ''
  signInSection.hidden = false
  if (message) warn(message)
}

const currentView = (): View => (location.hash === '#users' ? 'users' : 'registrations')

const show = async (view: View): Promise<void> => {
  signInSection.hidden = true
  nav.hidden = false
  for (const name of Object.keys(views) as View[]) {
    byId(name).hidden = name !== view
    byId(`nav-${name}`).setAttribute('aria-current', name === view ? 'page' : 'false')
  }
  await views[view].show()
}

/** Checks a token by asking who it belongs to, then keeps it for this tab. */
const signIn = async (token: string): Promise<void> => {
  storeToken(token)
  try {
    const me = await api.get<{ email: string }>('/api/users/me')
    byId('signed-in-as').textContent = `Signed in as ${me.email}`
    say(`Signed in as ${me.email}.`)
    await show(currentView())
  } catch (error) {
    forgetToken()
    showSignIn(describeError(error, 'sign in with that token'))
  }
}

byId<HTMLFormElement>('token-form').addEventListener('submit', (event) => {
  event.preventDefault()
  const input = byId<HTMLTextAreaElement>('token-input')
  const token = input.value.trim().replace(/^Bearer\s+/i, '')
  input.value = ''
  if (token) void signIn(token)
})
byId('cognito-button').addEventListener('click', () => {
  if (config.hostedUi) void startHostedUiSignIn(config.hostedUi)
})
byId('sign-out').addEventListener('click', () => {
  forgetToken()
  location.assign(signedOutUrl(config))
})
window.addEventListener('hashchange', () => {
  if (storedToken()) void show(currentView())
})

const start = async (): Promise<void> => {
  try {
    config = await api.get<ConsoleConfig>('/console/config.json')
  } catch (error) {
    warn(describeError(error, 'read the console settings'))
  }
  byId('cognito-sign-in').hidden = !config.hostedUi
  try {
    const token = (await redeemLinkCode()) ?? (await finishHostedUiSignIn(config.hostedUi))
    if (token) return await signIn(token)
  } catch (error) {
    showSignIn(error instanceof Error ? error.message : String(error))
    return
  }
  const token = storedToken()
  if (token) await signIn(token)
  else showSignIn()
}

void start()
