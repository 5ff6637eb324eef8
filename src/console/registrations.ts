import { type Api, describeError } from './api.js'
import { byId, confirmAction, h, replaceChildren, say, timeElement, warn } from './dom.js'

export const STATES = [
  'pending',
  'identity_created',
  'completed',
  'compensating',
  'rolled_back',
  'failed',
  'needs_attention',
] as const

interface RegistrationRow {
  registration_id: string
  state: string
  email: string
  name: string
  organisation: string
  attempts: number
  compensation_attempts: number
  last_error: string | null
  error_code?: string | null
  user_id: string | null
  requested_by: string
  created_at: string
  updated_at: string
}
interface RegistrationEvent {
  at: string
  from: string | null
  to: string
  actor: string
  reason: string
}
interface Registration extends RegistrationRow {
  events: RegistrationEvent[]
}
interface RegistrationPage {
  page: number
  totalPages: number
  totalRecords: number
  data: RegistrationRow[]
  counts: Record<string, number>
}
interface ActionAnswer {
  registration: Registration
  advanced: boolean
  queued: boolean
}

/** What each action means, said before the operator confirms it (docs/registrations-api.md). */
const ACTIONS = {
  retry: {
    label: 'Retry',
    says: 'Work it now. A needs_attention registration goes back to compensating with a fresh compensation budget.',
  },
  abandon: {
    label: 'Abandon',
    says: 'Give up on it and undo what it created at the identity provider and in the database.',
  },
} as const
const FINISHED = new Set(['completed', 'rolled_back', 'failed'])

const stateBadge = (state: string) => h('span', { class: `state state-${state}` }, state)

/** The Registrations view: counts per state, a filtered table, one registration's timeline and actions. */
export const createRegistrationsView = (api: Api) => {
  const filter = byId<HTMLFormElement>('registration-filter')
  const stateSelect = byId<HTMLSelectElement>('filter-state')
  const emailInput = byId<HTMLInputElement>('filter-email')
  let page = 1
  let openId: string | undefined

  for (const state of STATES) stateSelect.append(h('option', { value: state }, state))

  const renderCounts = (counts: Record<string, number>) => {
    replaceChildren(
      byId('state-counts'),
      ...STATES.map((state) => {
        const count = counts[state] ?? 0
        const urgent = state === 'needs_attention' && count > 0
        return h(
          'li',
          { class: urgent ? 'count urgent' : 'count' },
          h(
            'button',
            {
              type: 'button',
              'aria-pressed': stateSelect.value === state ? 'true' : 'false',
              onclick: () => {
                stateSelect.value = stateSelect.value === state ? '' : state
                page = 1
                void load()
              },
            },
            h('span', { class: 'count-number' }, count),
            h('span', { class: 'count-state' }, state),
          ),
        )
      }),
    )
  }

  const renderRows = (rows: RegistrationRow[]) => {
    replaceChildren(
      byId('registration-rows'),
      ...(rows.length === 0
        ? [h('tr', {}, h('td', { colspan: 6 }, 'No registrations match.'))]
        : rows.map((row) =>
            h(
              'tr',
              { 'data-registration-id': row.registration_id },
              h('td', { 'data-label': 'Created' }, timeElement(row.created_at)),
              h('td', { 'data-label': 'Email' }, row.email),
              h('td', { 'data-label': 'State' }, stateBadge(row.state)),
              h('td', { 'data-label': 'Attempts' }, `${row.attempts} / ${row.compensation_attempts}`),
              h('td', { 'data-label': 'Last error' }, row.last_error ?? '—'),
              h(
                'td',
                {},
                h(
                  'button',
                  {
                    type: 'button',
                    'aria-label': `Open the registration of ${row.email}`,
                    onclick: () => void open(row.registration_id),
                  },
                  'Open',
                ),
              ),
            ),
          )),
    )
  }

  const renderPager = (current: number, totalPages: number, totalRecords: number) => {
    replaceChildren(
      byId('registration-pager'),
      h(
        'button',
        { type: 'button', disabled: current <= 1, onclick: () => void load(current - 1) },
        'Previous page',
      ),
      h('span', {}, `Page ${current} of ${Math.max(totalPages, 1)} (${totalRecords} registrations)`),
      h(
        'button',
        { type: 'button', disabled: current >= totalPages, onclick: () => void load(current + 1) },
        'Next page',
      ),
    )
  }

  const load = async (pageNumber = page): Promise<void> => {
    const query = new URLSearchParams({ pageNumber: String(pageNumber), pageSize: '20' })
    if (stateSelect.value) query.append('state', stateSelect.value)
    if (emailInput.value.trim()) query.set('email', emailInput.value.trim())
    try {
      const answer = await api.get<RegistrationPage>('/api/step/users', query)
      page = answer.page
      renderCounts(answer.counts)
      renderRows(answer.data)
      renderPager(answer.page, answer.totalPages, answer.totalRecords)
    } catch (error) {
      warn(describeError(error, 'list the registrations'))
    }
  }

  const act = async (registration: Registration, verb: keyof typeof ACTIONS): Promise<void> => {
    const action = ACTIONS[verb]
    const confirmed = await confirmAction(
      `${action.label} this registration?`,
      `${registration.email} (${registration.state}). ${action.says}`,
      action.label,
    )
    if (!confirmed) return
    try {
      const answer = await api.send<ActionAnswer>(
        'POST',
        `/api/step/users/${registration.registration_id}/${verb}`,
      )
      const now = answer.registration.state
      const more = answer.queued ? ' What is left was queued for the background.' : ''
      const held = answer.advanced ? '' : ' Another process holds it and carries on from here.'
      say(`${action.label}: the registration of ${registration.email} is now ${now}.${held}${more}`)
      renderDetail(answer.registration)
    } catch (error) {
      warn(describeError(error, `${verb} the registration of ${registration.email}`))
    }
    await load()
  }

  const renderDetail = (registration: Registration) => {
    openId = registration.registration_id
    const section = byId('registration-detail')
    const actions = FINISHED.has(registration.state)
      ? [h('p', {}, `Nothing to do: the registration is ${registration.state}.`)]
      : (Object.keys(ACTIONS) as (keyof typeof ACTIONS)[]).map((verb) =>
          h(
            'button',
            {
              type: 'button',
              class: verb === 'abandon' ? 'danger' : '',
              onclick: () => void act(registration, verb),
            },
            ACTIONS[verb].label,
          ),
        )
    replaceChildren(
      section,
      h('h3', { id: 'registration-detail-title', tabindex: -1 }, `Registration of ${registration.email}`),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'State'),
        h('dd', { id: 'registration-state' }, stateBadge(registration.state)),
        h('dt', {}, 'Registration id'),
        h('dd', {}, h('code', {}, registration.registration_id)),
        h('dt', {}, 'Name, organisation'),
        h('dd', {}, `${registration.name}, ${registration.organisation}`),
        h('dt', {}, 'User id'),
        h('dd', {}, registration.user_id ?? '—'),
        h('dt', {}, 'Attempts (create / compensation)'),
        h('dd', {}, `${registration.attempts} / ${registration.compensation_attempts}`),
        h('dt', {}, 'Last error'),
        h('dd', {}, registration.last_error ?? '—'),
      ),
      h('div', { class: 'actions' }, ...actions),
      h(
        'table',
        { class: 'timeline' },
        h('caption', {}, 'Timeline'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Time'),
            h('th', { scope: 'col' }, 'From → to'),
            h('th', { scope: 'col' }, 'Actor'),
            h('th', { scope: 'col' }, 'Reason'),
          ),
        ),
        h(
          'tbody',
          {},
          ...registration.events.map((event) =>
            h(
              'tr',
              {},
              h('td', { 'data-label': 'Time' }, timeElement(event.at)),
              h('td', { 'data-label': 'From → to' }, `${event.from ?? '(new)'} → ${event.to}`),
              h('td', { 'data-label': 'Actor' }, event.actor),
              h('td', { 'data-label': 'Reason' }, event.reason),
            ),
          ),
        ),
      ),
    )
    section.hidden = false
  }

  const open = async (id: string): Promise<void> => {
    try {
      renderDetail(await api.get<Registration>(`/api/step/users/${id}`))
      byId('registration-detail-title').focus()
    } catch (error) {
      warn(describeError(error, 'open the registration'))
    }
  }

  filter.addEventListener('submit', (event) => {
    event.preventDefault()
    page = 1
    void load(1)
  })

  return {
    show: async () => {
      await load()
      if (openId) await open(openId)
    },
  }
}
