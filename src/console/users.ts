import { type Api, describeError } from './api.js'
import { byId, confirmAction, h, replaceChildren, say, timeElement, warn } from './dom.js'

interface UserSummary {
  id: string
  email: string
  name: string
  organisation: string
  isDisabled: boolean
}
interface UserView extends UserSummary {
  roles: { id: string; rolename: string; roledescription: string }[]
  trustAdminOf: { id: string; code: string | null; name: string } | null
}
interface Page<T> {
  page: number
  totalPages: number
  totalRecords: number
  data: T[]
}
interface AccessRequest {
  id: string
  email: string
  fullName: string
  reasonForAccess: string
  status: 'PENDING' | 'ENROLLED' | 'DISMISSED'
  createdAt: string
}

const PAGE_SIZE = '20'

const pager = (
  parent: HTMLElement,
  what: string,
  answer: { page: number; totalPages: number; totalRecords: number },
  go: (page: number) => void,
) =>
  replaceChildren(
    parent,
    h(
      'button',
      { type: 'button', disabled: answer.page <= 1, onclick: () => go(answer.page - 1) },
      'Previous page',
    ),
    h(
      'span',
      {},
      `Page ${answer.page} of ${Math.max(answer.totalPages, 1)} (${answer.totalRecords} ${what})`,
    ),
    h(
      'button',
      { type: 'button', disabled: answer.page >= answer.totalPages, onclick: () => go(answer.page + 1) },
      'Next page',
    ),
  )

/** The Users view: search and paging as `GET /api/users`, one user's roles, disable/enable, access requests. */
export const createUsersView = (api: Api) => {
  const searchInput = byId<HTMLInputElement>('user-search')
  const accessStatus = byId<HTMLSelectElement>('access-status')
  let userPage = 1
  let accessPage = 1
  let openId: string | undefined

  const loadUsers = async (pageNumber = userPage): Promise<void> => {
    const query = new URLSearchParams({ pageNumber: String(pageNumber), pageSize: PAGE_SIZE })
    if (searchInput.value.trim()) query.set('search', searchInput.value.trim())
    try {
      const answer = await api.get<Page<UserSummary>>('/api/users', query)
      userPage = answer.page
      replaceChildren(
        byId('user-rows'),
        ...(answer.data.length === 0
          ? [h('tr', {}, h('td', { colspan: 5 }, 'No users match.'))]
          : answer.data.map((user) =>
              h(
                'tr',
                { 'data-user-id': user.id },
                h('td', { 'data-label': 'Email' }, user.email),
                h('td', { 'data-label': 'Name' }, user.name || '—'),
                h('td', { 'data-label': 'Organisation' }, user.organisation || '—'),
                h('td', { 'data-label': 'Status' }, user.isDisabled ? 'Disabled' : 'Enabled'),
                h(
                  'td',
                  {},
                  h(
                    'button',
                    {
                      type: 'button',
                      'aria-label': `Open ${user.email}`,
                      onclick: () => void openUser(user.id),
                    },
                    'Open',
                  ),
                ),
              ),
            )),
      )
      pager(byId('user-pager'), 'users', answer, (next) => void loadUsers(next))
    } catch (error) {
      warn(describeError(error, 'list the users'))
    }
  }

  const setDisabled = async (user: UserView, disabled: boolean): Promise<void> => {
    const verb = disabled ? 'Disable' : 'Enable'
    const confirmed = await confirmAction(
      `${verb} ${user.email}?`,
      disabled
        ? 'They will no longer be able to sign in until enabled again.'
        : 'They will be able to sign in again.',
      verb,
    )
    if (!confirmed) return
    try {
      await api.send('PUT', `/api/users/${user.id}`, { disabled })
      say(`${user.email} is now ${disabled ? 'disabled' : 'enabled'}.`)
    } catch (error) {
      warn(describeError(error, `${verb.toLowerCase()} ${user.email}`))
    }
    await openUser(user.id, false)
    await loadUsers()
  }

  const openUser = async (id: string, focus = true): Promise<void> => {
    try {
      const user = await api.get<UserView>(`/api/users/${id}`)
      openId = user.id
      const section = byId('user-detail')
      replaceChildren(
        section,
        h('h3', { id: 'user-detail-title', tabindex: -1 }, user.email),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Name'),
          h('dd', {}, user.name || '—'),
          h('dt', {}, 'Organisation'),
          h('dd', {}, user.organisation || '—'),
          h('dt', {}, 'Status'),
          h('dd', { id: 'user-status' }, user.isDisabled ? 'Disabled' : 'Enabled'),
          h('dt', {}, 'Trust admin of'),
          h('dd', {}, user.trustAdminOf ? user.trustAdminOf.name : '—'),
        ),
        h('h4', {}, 'Roles'),
        user.roles.length === 0
          ? h('p', {}, 'No roles.')
          : h(
              'ul',
              { class: 'roles' },
              ...user.roles.map((role) =>
                h('li', {}, h('strong', {}, role.rolename), ` — ${role.roledescription}`),
              ),
            ),
        h(
          'div',
          { class: 'actions' },
          h(
            'button',
            {
              type: 'button',
              class: user.isDisabled ? '' : 'danger',
              onclick: () => void setDisabled(user, !user.isDisabled),
            },
            user.isDisabled ? 'Enable user' : 'Disable user',
          ),
        ),
      )
      section.hidden = false
      if (focus) byId('user-detail-title').focus()
    } catch (error) {
      warn(describeError(error, 'open the user'))
    }
  }

  const triage = async (request: AccessRequest, status: 'ENROLLED' | 'DISMISSED' | 'PENDING') => {
    try {
      await api.send('PATCH', `/api/users/access/${request.id}`, { status })
      say(`The access request of ${request.email} is now ${status}.`)
    } catch (error) {
      warn(describeError(error, `mark the access request of ${request.email} ${status}`))
    }
    await loadAccess()
  }

  const loadAccess = async (pageNumber = accessPage): Promise<void> => {
    const query = new URLSearchParams({ pageNumber: String(pageNumber), pageSize: PAGE_SIZE })
    if (accessStatus.value) query.set('status', accessStatus.value)
    try {
      const answer = await api.get<Page<AccessRequest>>('/api/users/access', query)
      accessPage = answer.page
      replaceChildren(
        byId('access-rows'),
        ...(answer.data.length === 0
          ? [h('tr', {}, h('td', { colspan: 5 }, 'No access requests.'))]
          : answer.data.map((request) =>
              h(
                'tr',
                {},
                h('td', { 'data-label': 'Received' }, timeElement(request.createdAt)),
                h('td', { 'data-label': 'Who' }, `${request.fullName} <${request.email}>`),
                h('td', { 'data-label': 'Reason' }, request.reasonForAccess),
                h('td', { 'data-label': 'Status' }, request.status),
                h(
                  'td',
                  { class: 'row-actions' },
                  ...(request.status === 'PENDING'
                    ? [
                        h(
                          'button',
                          {
                            type: 'button',
                            'aria-label': `Mark ${request.email} enrolled`,
                            onclick: () => void triage(request, 'ENROLLED'),
                          },
                          'Enrolled',
                        ),
                        h(
                          'button',
                          {
                            type: 'button',
                            'aria-label': `Dismiss the request of ${request.email}`,
                            onclick: () => void triage(request, 'DISMISSED'),
                          },
                          'Dismiss',
                        ),
                      ]
                    : [
                        h(
                          'button',
                          {
                            type: 'button',
                            'aria-label': `Reopen the request of ${request.email}`,
                            onclick: () => void triage(request, 'PENDING'),
                          },
                          'Reopen',
                        ),
                      ]),
                ),
              ),
            )),
      )
      pager(byId('access-pager'), 'requests', answer, (next) => void loadAccess(next))
    } catch (error) {
      warn(describeError(error, 'list the access requests'))
    }
  }

  byId<HTMLFormElement>('user-search-form').addEventListener('submit', (event) => {
    event.preventDefault()
    void loadUsers(1)
  })
  accessStatus.addEventListener('change', () => void loadAccess(1))

  return {
    show: async () => {
      await Promise.all([loadUsers(), loadAccess()])
      if (openId) await openUser(openId, false)
    },
  }
}
