import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { challengeOf } from '../../src/console/pkce.js'
import { RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { consoleContentSecurityPolicy } from '../../src/features/console/console-assets.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import { registrationById } from '../register-user/saga-assertions.js'
import { repoRoot } from '../support/built-cli.js'
import { clearDatabaseFaults, injectDatabaseFault } from '../support/database-faults.js'
import { createUser, uniqueEmail } from '../support/factories.js'
import { registerAsAdmin, useScriptedTestApp } from '../support/scripted-test-app.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

/** Debian's chromium (`apt-get install -y chromium`; .ci/run installs it). */
const CHROMIUM = '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
const underCi = Boolean(process.env.CI) // as test/support/global-setup.ts reads it
if (!haveChromium && !underCi)
  console.warn(`SKIPPED the console's browser tests: no ${CHROMIUM} (apt-get install -y chromium)`)

/**
 * The README's screenshots: into docs/ with UPDATE_SCREENSHOTS=1, else a scratch directory (taken
 * all the same, so the run that refreshes them is the run that always passes, and an ordinary test
 * run leaves the working tree clean).
 */
const screenshotDir = process.env.UPDATE_SCREENSHOTS
  ? path.join(repoRoot, 'docs')
  : path.join(os.tmpdir(), 'flip-users-console-screenshots')
const screenshot = (page: Page, name: string, fullPage = false) =>
  page.screenshot({ path: path.join(screenshotDir, `console-${name}.png`), fullPage })

/** Waits (bounded) for what a locator shows; playwright-core has no assertions of its own. */
const text = (locator: Locator) =>
  expect.poll(async () => (await locator.textContent())?.trim(), { timeout: 15_000 })
const count = (locator: Locator) => expect.poll(() => locator.count(), { timeout: 15_000 })
const focused = (locator: Locator) =>
  expect.poll(() => locator.evaluate((element) => element.matches(':focus')), { timeout: 15_000 })
const visible = (locator: Locator) => locator.waitFor({ state: 'visible', timeout: 15_000 })

const unavailable = () => new IdentityProviderError('Unavailable', 'The identity provider is unavailable')
const deleteFails = () => new IdentityProviderError('ProviderError', 'Failed to delete user')

/**
 * The console in a real browser against the app in this process (so faults can be scripted):
 * sign-in by one-time link, by pasted token and through the Hosted UI (PKCE), a needs_attention
 * registration retried to rolled_back, an API error shown in words, user search and disable. The
 * page is the same on every database and its API is tested on both (test/http, test/console), so
 * this runs on PGlite only.
 * Takes the README's screenshots (docs/console-*.png with UPDATE_SCREENSHOTS=1).
 */
describe.skipIf(!haveChromium && !underCi)('the console in Chromium', () => {
  const database = useTestDatabase(databaseTargets()[0]!)
  const s = useScriptedTestApp(database, { faults: true, saga: { compensationBudget: 1 } })
  let context: BrowserContext
  let profile: string
  let url: string

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`CI is set and there is no ${CHROMIUM}: .ci/run installs it`)
    url = await s.t.app.listen({ host: '127.0.0.1', port: 0 })
    profile = await mkdtemp(path.join(os.tmpdir(), 'flip-users-chromium-'))
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 800 },
    })
  })
  afterAll(async () => {
    await context?.close()
    if (profile) await rm(profile, { recursive: true, force: true })
  })

  /** A fresh tab: its own sessionStorage, so signed out. CSP violations and page errors fail the test. */
  const openTab = async () => {
    const page = await context.newPage()
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 40\d/.test(message.text())) problems.push(message.text())
    })
    return { page, problems }
  }

  const register = (email: string) =>
    registerAsAdmin(s, email, { name: 'Grace Hopper', organisation: 'Trust A' })

  it('signs in with the one-time link and retries a needs_attention registration to rolled_back', async () => {
    // Roles cannot be granted, and deleting the IdP user fails past the budget of one: stuck.
    const email = uniqueEmail('grace')
    await injectDatabaseFault(database(), 'user_role', 'P0001', 1)
    s.idp.fail('deleteUser', deleteFails)
    const stuck = await register(email)
    expect(stuck.status).toBe(500)
    await clearDatabaseFaults(database())
    expect((await registrationById(database(), stuck.id)).state).toBe('needs_attention')
    await register(uniqueEmail('ada'))

    const { page, problems } = await openTab()
    const code = s.t.app.consoleSignIn.issueCode(s.admin)
    await page.goto(`${url}/console#code=${code}`)
    await visible(page.getByText(`Signed in as ${s.admin.email}`).first())
    expect(page.url()).not.toContain('code=')

    const attention = page.locator('.count.urgent')
    await text(attention).toContain('needs_attention')
    await text(attention).toContain('1')
    await attention.getByRole('button').click()
    await count(page.locator('#registration-rows tr')).toBe(1)
    await page.getByRole('button', { name: `Open the registration of ${email}` }).click()
    const timeline = page.locator('table.timeline tbody tr')
    await text(timeline.last()).toContain('compensating → needs_attention')
    await screenshot(page, 'registrations', true)

    // The fault clears; retry by keyboard: Enter on Retry, Tab to Confirm in the dialog, Enter.
    s.idp.heal()
    await page.getByRole('button', { name: 'Retry', exact: true }).press('Enter')
    const dialog = page.getByRole('dialog')
    await text(dialog).toContain('Retry this registration?')
    await page.keyboard.press('Tab')
    await focused(dialog.getByRole('button', { name: 'Retry' })).toBe(true)
    await page.keyboard.press('Enter')
    await text(page.getByRole('status')).toContain(`the registration of ${email} is now rolled_back`)
    await text(page.locator('#registration-state')).toBe('rolled_back')
    await text(timeline.last()).toContain('compensating → rolled_back')
    await text(timeline.last()).toContain(s.admin.id)
    expect((await registrationById(database(), stuck.id)).state).toBe('rolled_back')

    // An API refusal in words: abandoning a registration whose create attempt is seconds old.
    s.idp.fail('createUser', unavailable)
    const pendingEmail = uniqueEmail('pending')
    expect((await register(pendingEmail)).status).toBe(202)
    s.idp.heal()
    await page.getByLabel('State', { exact: true }).selectOption('pending')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.getByRole('button', { name: `Open the registration of ${pendingEmail}` }).click()
    await page.getByRole('button', { name: 'Abandon' }).click()
    await dialog.getByRole('button', { name: 'Abandon' }).click()
    await text(page.getByRole('alert')).toContain(`Could not abandon the registration of ${pendingEmail}:`)
    await text(page.getByRole('alert')).toContain('Try again in')

    // A link works once: the same link in a fresh tab is refused, in words.
    const again = await openTab()
    await again.page.goto(`${url}/console#code=${code}`)
    await text(again.page.getByRole('alert')).toContain(
      'The sign-in link did not work: This sign-in link is not valid',
    )
    await visible(again.page.getByLabel('Access token'))
    expect(problems).toEqual([])
  })

  it('signs in with a pasted token, searches users, disables one and triages an access request', async () => {
    const tag = `lovelace${Date.now().toString(36)}`
    await register(uniqueEmail('ada'))
    const ada = await createUser(s.t.deps, [RESEARCHER_ROLE_ID], `ada.${tag}@example.org`)
    await createUser(s.t.deps, [RESEARCHER_ROLE_ID], `charles.${tag}@example.org`)
    await s.t.app.inject({
      method: 'POST',
      url: '/api/users/access',
      payload: {
        email: `mary.${tag}@example.org`,
        fullName: 'Mary Somerville',
        reasonForAccess: 'Imaging study',
      },
    })

    const { page, problems } = await openTab()
    await page.goto(`${url}/console`)
    await page.getByLabel('Access token').fill(s.headers.authorization!)
    await page.getByRole('button', { name: 'Sign in with this token' }).click()
    await visible(page.getByText(`Signed in as ${s.admin.email}`).first())

    await page.getByRole('link', { name: 'Users' }).click()
    await page.getByLabel('Search by email or name').fill(`ada.${tag}`)
    await page.getByRole('button', { name: 'Search' }).click()
    await count(page.locator('#user-rows tr')).toBe(1)
    await page.getByRole('button', { name: `Open ada.${tag}@example.org` }).click()
    await text(page.locator('#user-detail .roles')).toContain('Researcher')
    await text(page.locator('#access-rows')).toContain(`mary.${tag}@example.org`)
    await screenshot(page, 'users')

    await page.getByRole('button', { name: 'Disable user' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Disable' }).click()
    await text(page.getByRole('status')).toContain(`ada.${tag}@example.org is now disabled`)
    await text(page.locator('#user-status')).toBe('Disabled')
    await text(page.locator('#user-rows')).toContain('Disabled')
    expect((await s.t.deps.idp.getUserById(ada.id)).enabled).toBe(false)

    await page.getByRole('button', { name: `Mark mary.${tag}@example.org enrolled` }).click()
    await text(page.getByRole('status')).toContain('is now ENROLLED')

    // Phone width: the same page, tables as stacked cards.
    await page.setViewportSize({ width: 390, height: 844 })
    await page.getByRole('link', { name: 'Registrations' }).click()
    await visible(page.locator('#registrations'))
    await screenshot(page, 'phone')
    expect(problems).toEqual([])
  })

  it('signs in through the Hosted UI with PKCE and refuses a return it did not start', async () => {
    // No Hosted UI emulator exists: the browser's requests to it are answered here, at that
    // boundary, and the page is told (as COGNITO_DOMAIN would tell it) where the Hosted UI is.
    const hostedUi = 'https://flip-test.auth.eu-west-2.amazoncognito.com'
    const clientId = 'console-client'
    const { page, problems } = await openTab()
    await page.route(`${url}/console/config.json`, (route) =>
      route.fulfill({ json: { backend: 'cognito', hostedUi: { domain: hostedUi, clientId } } }),
    )
    await page.route(
      (address) => address.pathname === '/console',
      async (route) => {
        const response = await route.fetch()
        const headers = {
          ...response.headers(),
          'content-security-policy': consoleContentSecurityPolicy(hostedUi),
        }
        await route.fulfill({ response, headers })
      },
    )
    let authorize: URLSearchParams | undefined
    await page.route(
      (address) => address.href.startsWith(`${hostedUi}/oauth2/authorize?`),
      (route) => {
        authorize = new URL(route.request().url()).searchParams
        return route.fulfill({ contentType: 'text/html', body: '<h1>Hosted UI</h1>' })
      },
    )
    let exchange: URLSearchParams | undefined
    await page.route(`${hostedUi}/oauth2/token`, (route) => {
      exchange = new URLSearchParams(route.request().postData() ?? '')
      return route.fulfill({
        headers: { 'access-control-allow-origin': new URL(url).origin },
        json: {
          access_token: s.headers.authorization!.replace('Bearer ', ''),
          token_type: 'Bearer',
          expires_in: 3600,
        },
      })
    })

    await page.goto(`${url}/console`)
    await page.getByRole('button', { name: 'Sign in with Cognito' }).click()
    await page.waitForURL((address) => address.origin === hostedUi)
    // The user signs in there; the Hosted UI sends the browser back with a code and the state.
    await page.goto(`${url}/console?code=the-code&state=${encodeURIComponent(authorize!.get('state')!)}`)
    await visible(page.getByText(`Signed in as ${s.admin.email}`).first())
    expect(Object.fromEntries(authorize!)).toMatchObject({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: `${url}/console`,
      code_challenge_method: 'S256',
    })
    expect(Object.fromEntries(exchange!)).toMatchObject({
      grant_type: 'authorization_code',
      client_id: clientId,
      code: 'the-code',
      redirect_uri: `${url}/console`,
    })
    // The verifier the page kept is the one its challenge was made from.
    expect(await challengeOf(exchange!.get('code_verifier')!)).toBe(authorize!.get('code_challenge'))
    expect(page.url()).not.toContain('code=')

    const forged = await openTab()
    await forged.page.route(`${url}/console/config.json`, (route) =>
      route.fulfill({ json: { backend: 'cognito', hostedUi: { domain: hostedUi, clientId } } }),
    )
    await forged.page.goto(`${url}/console?code=stolen&state=not-mine`)
    await text(forged.page.getByRole('alert')).toContain('does not match a sign-in started in this tab')
    expect(problems).toEqual([])
  })
})
