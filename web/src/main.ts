/**
 * The web client: log in, find people, watch them live, set your own status. Plain DOM, no
 * framework; all presence logic lives in the client library (client/).
 */
import {
  type ConnectionStateChange,
  PresenceApi,
  PresenceApiError,
  PresenceClient,
  type PresenceJson,
  type Session,
  type Status,
  type UserWithPresence,
  type WebSocketConstructor,
} from '../../client';
import { resolveConfig, type WebConfig } from './config';
import { describeError, logInProblem, signUpProblem } from './messages';
import { describePresence } from './presence-text';
import { loadSession, loadWatchList, SESSION_KEY, saveSession, saveWatchList, type WatchedUser } from './storage';

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
  retryNow: $<HTMLButtonElement>('retry-now'),
  authNote: $('auth-note'),
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
  /** The connection was lost: what is shown may no longer be true until it is back. */
  stale: boolean;
  results: UserWithPresence[];
  readonly stop: () => void;
}

let signed: Signed | null = null;

// ---------------------------------------------------------------------------------------------
// Presence badges: status as text and shape (colour only adds to them), last seen as relative time.

const renderPresence = (element: HTMLElement, presence: Pick<PresenceJson, 'status' | 'lastSeen'> | undefined): void => {
  const stale = signed?.stale ?? false;
  const { status, lastSeen } = describePresence(presence, Date.now(), stale);
  element.dataset.status = stale ? 'unknown' : (presence?.status ?? 'unknown');
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

const CONNECTION_TEXT: Record<ConnectionStateChange['state'], string> = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Connection lost — retrying…',
  closed: 'Disconnected',
};

/** Redraws "retrying in N s" every second while a retry is pending. */
let countdown: ReturnType<typeof setInterval> | undefined;

const showConnection = (change: Pick<ConnectionStateChange, 'state' | 'nextAttemptAt'>): void => {
  const { state, nextAttemptAt } = change;
  ui.connection.dataset.state = state;
  const text = ui.connection.querySelector('.text');
  const draw = () => {
    const waitS = nextAttemptAt === undefined ? null : Math.max(0, Math.ceil((nextAttemptAt - Date.now()) / 1000));
    if (text !== null)
      text.textContent =
        state === 'reconnecting' && waitS !== null && waitS > 0 ? `Connection lost — retrying in ${waitS} s` : CONNECTION_TEXT[state];
  };
  clearInterval(countdown);
  draw();
  if (state === 'reconnecting' && nextAttemptAt !== undefined) countdown = setInterval(draw, 1000);
  ui.retryNow.hidden = state !== 'reconnecting';
};

/** Connected: presence is live again. Lost: everything shown is only what was last known. */
const onConnectionState = (current: Signed, change: ConnectionStateChange): void => {
  showConnection(change);
  const stale = change.state !== 'connected' && change.state !== 'connecting';
  if (stale === current.stale) return;
  current.stale = stale;
  for (const view of current.client.presences())
    current.presences.set(view.userId, { userId: view.userId, status: view.status, lastSeen: view.lastSeen });
  refreshBadges();
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
    // This page's own socket is open (a snapshot arrives on it, events while connected), so "offline"
    // can only mean the manual setting, here or on another device.
    if (presence.source === 'snapshot' || current.client.state === 'connected') setMyStatusControl(presence.status);
    return;
  }
  const user = current.watched.get(presence.userId);
  if (presence.source === 'event' && user !== undefined && before?.status !== presence.status) {
    ui.announcer.textContent = `${user.name} is now ${presence.status}`;
  }
};

// ---------------------------------------------------------------------------------------------
// Session

const showSignedOut = (error = '', note = ''): void => {
  ui.app.hidden = true;
  ui.auth.hidden = false;
  ui.authError.textContent = error;
  ui.authNote.textContent = note;
  showConnection({ state: 'idle' });
};

const SESSION_ENDED = 'Your session has ended; please log in again.';

/**
 * Log-out closes this page's socket at once, and, through the shared session in localStorage, every
 * other tab's: the browser session holds no connection any more. The server then reports the user
 * offline after the offline grace (lastSeen = now) unless another device is still connected. It
 * does not "appear offline" on the way out: that setting is the user's, sticks across log-ins and
 * would hide them on their other devices too.
 */
const logOut = (error = '', note = ''): void => {
  signed?.stop();
  signed = null;
  api.token = null;
  saveSession(localStorage, null);
  showSignedOut(error, note);
  ui.authName.focus();
};

const loggedOutNote = (): string => {
  const grace = config.offlineGraceSeconds;
  return grace === undefined
    ? 'Logged out. Others see you offline in a few seconds, unless you are signed in on another device.'
    : `Logged out. Others see you offline within ${grace} s, unless you are signed in on another device.`;
};

const onApiError = (error: unknown, target: HTMLElement, what: string): void => {
  if (error instanceof PresenceApiError && error.status === 401) {
    logOut(SESSION_ENDED);
    return;
  }
  target.textContent = `${what}: ${describeError(error)}`;
};

const start = (session: Session): void => {
  api.token = session.token;
  saveSession(localStorage, session);
  const client = new PresenceClient({
    url: config.wsUrl,
    token: session.token,
    api,
    heartbeatSeconds: config.heartbeatSeconds,
    WebSocket: BrowserWebSocket,
  });
  const watched = new Map(loadWatchList(localStorage, session.user.id).map((user) => [user.id, user]));
  const refresh = setInterval(refreshBadges, REFRESH_MS);
  const expiry = setTimeout(
    () => logOut('Your session has ended; please log in again.'),
    Math.max(0, Date.parse(session.expiresAt) - Date.now()),
  );
  const current: Signed = {
    session,
    client,
    watched,
    presences: new Map(),
    live: new Set(),
    stale: false,
    results: [],
    stop: () => {
      clearInterval(refresh);
      clearTimeout(expiry);
      client.close();
    },
  };
  signed = current;

  client.on('presence', (presence) => onPresence(current, presence));
  client.on('connection-state', (change) => onConnectionState(current, change));
  client.on('unauthorized', () => {
    if (signed === current) logOut(SESSION_ENDED);
  });
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
  ui.authNote.textContent = '';
  ui.statusError.textContent = '';
  ui.searchResults.replaceChildren();
  ui.searchStatus.textContent = '';
  renderWatchList();

  // The manual setting, also while the socket is not (yet) connected: the control starts out right.
  api.getMe().then(
    (me) => {
      if (signed === current) setMyStatusControl(me.setting);
    },
    (error: unknown) => onApiError(error, ui.statusError, 'Could not read your status'),
  );

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
  ui.authNote.textContent = '';
  const problem = mode === 'sign-up' ? signUpProblem(name, password) : logInProblem(name, password);
  if (problem !== null) {
    ui.authError.textContent = problem;
    return;
  }
  const buttons = ui.authForm.querySelectorAll('button');
  buttons.forEach((button) => (button.disabled = true));
  try {
    const session = mode === 'sign-up' ? await api.signUp(name, password) : await api.logIn(name, password);
    ui.authPassword.value = '';
    start(session);
    ui.searchQuery.focus();
  } catch (error) {
    ui.authError.textContent = describeError(error);
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
      count === 0
        ? `Nobody's name starts with “${q}”.`
        : `${count}${page.nextCursor === null ? '' : '+'} ${count === 1 ? 'person' : 'people'} found.`;
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

ui.logOut.addEventListener('click', () => logOut('', loggedOutNote()));
ui.retryNow.addEventListener('click', () => signed?.client.reconnectNow());

// Another tab logged out, or in as someone else: this one follows, so no tab keeps a dead session online.
window.addEventListener('storage', (event) => {
  if (event.key !== SESSION_KEY && event.key !== null) return;
  const session = loadSession(localStorage, Date.now());
  if (session?.token === signed?.session.token) return;
  if (session === null) {
    logOut('', loggedOutNote());
  } else {
    signed?.stop();
    start(session);
  }
});

const stored = loadSession(localStorage, Date.now());
if (stored === null) showSignedOut();
else start(stored);
