/**
 * The web client: log in, find people, watch them live, set your own status. Plain DOM, no
 * framework; all presence logic lives in the client library (client/).
 */
import {
  type ConnectionState,
  PresenceApi,
  PresenceApiError,
  PresenceClient,
  type PresenceJson,
  type Session,
  type Status,
  type UserWithPresence,
  type WebSocketConstructor,
} from '../../client';
import { type WebConfig, resolveConfig } from './config';
import { describePresence } from './presence-text';
import { type WatchedUser, loadSession, loadWatchList, saveSession, saveWatchList } from './storage';

declare global {
  interface Window {
    PRESENCE_CONFIG?: Partial<WebConfig>;
  }
}

/** Relative times ("5 minutes ago") are redrawn this often. */
const REFRESH_MS = 15_000;
const SEARCH_LIMIT = 20;
// The browser's WebSocket is what the library's structural type describes; this line keeps it so.
const BrowserWebSocket: WebSocketConstructor = WebSocket;

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing from index.html`);
  return element as T;
};

const config = resolveConfig(
  window.PRESENCE_CONFIG,
  (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? undefined,
  window.location,
);
const api = new PresenceApi({ baseUrl: config.httpUrl });

const ui = {
  connection: $('connection'),
  auth: $('auth'),
  authForm: $<HTMLFormElement>('auth-form'),
  authName: $<HTMLInputElement>('auth-name'),
  authPassword: $<HTMLInputElement>('auth-password'),
  authError: $('auth-error'),
  app: $('app'),
  meName: $('me-name'),
  mePresence: $('me-presence'),
  myStatus: $<HTMLFieldSetElement>('my-status'),
  statusError: $('status-error'),
  logOut: $<HTMLButtonElement>('log-out'),
  searchForm: $<HTMLFormElement>('search-form'),
  searchQuery: $<HTMLInputElement>('search-query'),
  searchStatus: $('search-status'),
  searchResults: $<HTMLUListElement>('search-results'),
  watchEmpty: $('watch-empty'),
  watchList: $<HTMLUListElement>('watch-list'),
  announcer: $('announcer'),
};

/** Everything about the signed-in user's page; null when signed out. */
interface Signed {
  readonly session: Session;
  readonly client: PresenceClient;
  readonly watched: Map<string, WatchedUser>;
  /** The newest presence known per user, from the live connection or, before it, from HTTP. */
  readonly presences: Map<string, PresenceJson>;
  /** Users whose presence came from the live connection: HTTP answers no longer overwrite them. */
  readonly live: Set<string>;
  results: UserWithPresence[];
  readonly stop: () => void;
}

let signed: Signed | null = null;

// ---------------------------------------------------------------------------------------------
// Presence badges: status as text and shape (colour only adds to them), last seen as relative time.

const renderPresence = (element: HTMLElement, presence: Pick<PresenceJson, 'status' | 'lastSeen'> | undefined): void => {
  const { status, lastSeen } = describePresence(presence, Date.now());
  element.dataset.status = presence?.status ?? 'unknown';
  element.replaceChildren();
  const shape = document.createElement('span');
  shape.className = 'shape';
  shape.setAttribute('aria-hidden', 'true');
  const text = document.createElement('span');
  text.className = 'status-text';
  text.textContent = lastSeen === null ? status : `${status}, `;
  element.append(shape, text);
  if (lastSeen !== null) {
    if (presence?.lastSeen) {
      const time = document.createElement('time');
      time.dateTime = presence.lastSeen;
      time.title = new Date(presence.lastSeen).toLocaleString();
      time.textContent = lastSeen;
      element.append(time);
    } else {
      element.append(lastSeen);
    }
  }
};

const refreshBadges = (): void => {
  if (signed === null) return;
  const { presences } = signed;
  for (const element of document.querySelectorAll<HTMLElement>('[data-presence-of]')) {
    renderPresence(element, presences.get(element.dataset.presenceOf ?? ''));
  }
};

const badge = (userId: string): HTMLElement => {
  const element = document.createElement('span');
  element.className = 'presence';
  element.dataset.presenceOf = userId;
  renderPresence(element, signed?.presences.get(userId));
  return element;
};

// ---------------------------------------------------------------------------------------------
// Lists

const watchButton = (user: WatchedUser): HTMLButtonElement => {
  const button = document.createElement('button');
  button.type = 'button';
  button.dataset.watchToggle = user.id;
  const update = () => {
    const watching = signed?.watched.has(user.id) ?? false;
    button.textContent = watching ? 'Stop watching' : 'Watch';
    button.setAttribute('aria-label', `${watching ? 'Stop watching' : 'Watch'} ${user.name}`);
  };
  update();
  button.addEventListener('click', () => {
    if (signed?.watched.has(user.id)) unwatch(user.id);
    else watch(user);
    update();
  });
  return button;
};

const personRow = (user: WatchedUser, isMe: boolean): HTMLLIElement => {
  const row = document.createElement('li');
  row.dataset.userId = user.id;
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = user.name;
  row.append(name, badge(user.id));
  if (isMe) {
    const you = document.createElement('span');
    you.className = 'you';
    you.textContent = '(you)';
    row.append(you);
  } else {
    row.append(watchButton(user));
  }
  return row;
};

const renderWatchList = (): void => {
  if (signed === null) return;
  const users = [...signed.watched.values()].sort((a, b) => a.name.localeCompare(b.name));
  const focusedId = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>('#watch-list li')?.dataset.userId;
  ui.watchList.replaceChildren(...users.map((user) => personRow(user, false)));
  ui.watchEmpty.hidden = users.length > 0;
  // Keep the keyboard where it was: on the same row, or the next one if that row went away.
  if (focusedId !== undefined) {
    const row = ui.watchList.querySelector<HTMLElement>(`li[data-user-id="${CSS.escape(focusedId)}"] button`);
    (row ?? ui.watchList.querySelector<HTMLElement>('button') ?? ui.searchQuery).focus();
  }
};

const syncWatchButtons = (): void => {
  for (const button of document.querySelectorAll<HTMLButtonElement>('#search-results [data-watch-toggle]')) {
    const id = button.dataset.watchToggle ?? '';
    const name = button.closest('li')?.querySelector('.name')?.textContent ?? '';
    const watching = signed?.watched.has(id) ?? false;
    button.textContent = watching ? 'Stop watching' : 'Watch';
    button.setAttribute('aria-label', `${watching ? 'Stop watching' : 'Watch'} ${name}`);
  }
};

const persistWatchList = (): void => {
  if (signed !== null) saveWatchList(localStorage, signed.session.user.id, [...signed.watched.values()]);
};

const watch = (user: WatchedUser): void => {
  if (signed === null) return;
  const current = signed;
  current.watched.set(user.id, { id: user.id, name: user.name });
  persistWatchList();
  renderWatchList();
  syncWatchButtons();
  current.client.watch([user.id]).catch((error: Error) => {
    ui.searchStatus.textContent = `Could not watch ${user.name}: ${error.message}`;
  });
};

const unwatch = (userId: string): void => {
  if (signed === null) return;
  signed.watched.delete(userId);
  persistWatchList();
  void signed.client.unwatch([userId]);
  renderWatchList();
  syncWatchButtons();
};

// ---------------------------------------------------------------------------------------------
// Connection and own status

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
};

const showConnection = (state: ConnectionState): void => {
  ui.connection.dataset.state = state;
  const text = ui.connection.querySelector('.text');
  if (text !== null) text.textContent = CONNECTION_TEXT[state];
};

const setMyStatusControl = (status: Status): void => {
  const radio = ui.myStatus.querySelector<HTMLInputElement>(`input[value="${status}"]`);
  if (radio !== null) radio.checked = true;
};

const onPresence = (current: Signed, presence: PresenceJson & { source: 'snapshot' | 'event' }): void => {
  const before = current.presences.get(presence.userId);
  current.presences.set(presence.userId, { userId: presence.userId, status: presence.status, lastSeen: presence.lastSeen });
  current.live.add(presence.userId);
  for (const element of document.querySelectorAll<HTMLElement>(`[data-presence-of="${CSS.escape(presence.userId)}"]`)) {
    renderPresence(element, presence);
  }
  if (presence.userId === current.session.user.id) {
    // While this page is connected, "offline" can only mean the manual setting (here or on another device).
    if (current.client.state === 'connected') setMyStatusControl(presence.status);
    return;
  }
  const user = current.watched.get(presence.userId);
  if (presence.source === 'event' && user !== undefined && before?.status !== presence.status) {
    ui.announcer.textContent = `${user.name} is now ${presence.status}`;
  }
};

// ---------------------------------------------------------------------------------------------
// Session

const showSignedOut = (message = ''): void => {
  ui.app.hidden = true;
  ui.auth.hidden = false;
  ui.authError.textContent = message;
  showConnection('idle');
};

const logOut = (message = ''): void => {
  signed?.stop();
  signed = null;
  api.token = null;
  saveSession(localStorage, null);
  showSignedOut(message);
  ui.authName.focus();
};

const onApiError = (error: unknown, target: HTMLElement, what: string): void => {
  if (error instanceof PresenceApiError && error.status === 401) {
    logOut('Your session has ended; please log in again.');
    return;
  }
  target.textContent = `${what}: ${error instanceof Error ? error.message : String(error)}`;
};

const start = (session: Session): void => {
  api.token = session.token;
  saveSession(localStorage, session);
  const client = new PresenceClient({ url: config.wsUrl, token: session.token, WebSocket: BrowserWebSocket });
  const watched = new Map(loadWatchList(localStorage, session.user.id).map((user) => [user.id, user]));
  const refresh = setInterval(refreshBadges, REFRESH_MS);
  const expiry = setTimeout(() => logOut('Your session has ended; please log in again.'), Math.max(0, Date.parse(session.expiresAt) - Date.now()));
  const current: Signed = {
    session,
    client,
    watched,
    presences: new Map(),
    live: new Set(),
    results: [],
    stop: () => {
      clearInterval(refresh);
      clearTimeout(expiry);
      client.close();
    },
  };
  signed = current;

  client.on('presence', (presence) => onPresence(current, presence));
  client.on('connection-state', ({ state }) => showConnection(state));
  client.on('unknown', ({ userIds }) => {
    for (const id of userIds) current.watched.delete(id);
    persistWatchList();
    renderWatchList();
  });
  client.on('error', (error) => console.warn(`presence: ${error.message}`));
  // Your own presence too, to show how others see you; it stays out of the visible watch list.
  void client.watch([session.user.id, ...watched.keys()]);
  client.connect();

  ui.meName.textContent = session.user.name;
  ui.mePresence.dataset.presenceOf = session.user.id;
  renderPresence(ui.mePresence, undefined);
  ui.auth.hidden = true;
  ui.app.hidden = false;
  ui.statusError.textContent = '';
  ui.searchResults.replaceChildren();
  ui.searchStatus.textContent = '';
  renderWatchList();

  // Until the live connection answers, show what HTTP knows.
  if (watched.size > 0) {
    api.getPresence([...watched.keys()]).then(
      (presences) => {
        for (const presence of presences) {
          if (signed !== current || current.live.has(presence.userId)) continue;
          current.presences.set(presence.userId, presence);
        }
        refreshBadges();
      },
      (error: unknown) => onApiError(error, ui.searchStatus, 'Could not load the watch list'),
    );
  }
};

// ---------------------------------------------------------------------------------------------
// Forms

ui.authForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const mode = (event.submitter as HTMLButtonElement | null)?.value === 'sign-up' ? 'sign-up' : 'log-in';
  const name = ui.authName.value.trim();
  const password = ui.authPassword.value;
  ui.authError.textContent = '';
  const buttons = ui.authForm.querySelectorAll('button');
  buttons.forEach((button) => (button.disabled = true));
  try {
    const session = mode === 'sign-up' ? await api.signUp(name, password) : await api.logIn(name, password);
    ui.authPassword.value = '';
    start(session);
    ui.searchQuery.focus();
  } catch (error) {
    ui.authError.textContent = error instanceof Error ? error.message : String(error);
  } finally {
    buttons.forEach((button) => (button.disabled = false));
  }
});

ui.searchForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (signed === null) return;
  const current = signed;
  const q = ui.searchQuery.value.trim();
  if (q === '') return;
  ui.searchStatus.textContent = 'Searching…';
  try {
    const page = await api.searchUsers(q, { limit: SEARCH_LIMIT });
    if (signed !== current) return;
    current.results = [...page.users];
    for (const user of page.users) {
      if (!current.live.has(user.id)) current.presences.set(user.id, { userId: user.id, status: user.status, lastSeen: user.lastSeen });
    }
    ui.searchResults.replaceChildren(...page.users.map((user) => personRow(user, user.id === current.session.user.id)));
    const count = page.users.length;
    ui.searchStatus.textContent =
      count === 0 ? `Nobody's name starts with “${q}”.` : `${count}${page.nextCursor === null ? '' : '+'} ${count === 1 ? 'person' : 'people'} found.`;
  } catch (error) {
    onApiError(error, ui.searchStatus, 'Search failed');
  }
});

ui.myStatus.addEventListener('change', async (event) => {
  const input = event.target as HTMLInputElement;
  const status: Status = input.value === 'offline' ? 'offline' : 'online';
  ui.statusError.textContent = '';
  try {
    await api.setStatus(status);
  } catch (error) {
    setMyStatusControl(status === 'online' ? 'offline' : 'online');
    onApiError(error, ui.statusError, 'Could not change your status');
  }
});

ui.logOut.addEventListener('click', () => logOut());

const stored = loadSession(localStorage, Date.now());
if (stored === null) showSignedOut();
else start(stored);
