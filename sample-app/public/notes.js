// "My notes": demo sign-in and the signed-in user's private notes, followed over Mercure.
//
// - `POST /login` sets the session cookie and the HttpOnly `mercureAuthorization` cookie, which
//   the browser sends to the hub (same host, path of the hub): the page never sees the token.
// - `POST /login/refresh` renews that cookie and says when it expires; the page renews it when
//   two thirds of its lifetime have passed, then reopens its stream with `lastEventID` so that the
//   hub replays what the switch could have missed.
// - The hub ends a stream when its token expires (a tab asleep may miss its renewal). The browser
//   then reconnects by itself, resending `Last-Event-ID`; if the hub refuses (401), the page renews
//   the cookie and reopens from its last event id, or shows the sign-in box when the session is over.
// - Whenever the stream opens, the list is refetched and the events received meanwhile are
//   applied on top, so even a hub without that history leaves nothing out.
(() => {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const el = {
    panel: $('notes-panel'),
    status: $('notes-status'),
    signin: $('signin-form'),
    user: $('signin-user'),
    signinError: $('signin-error'),
    signedIn: $('signed-in'),
    signedInUser: $('signed-in-user'),
    signout: $('signout'),
    form: $('note-form'),
    book: $('note-book'),
    body: $('note-body'),
    noteError: $('note-error'),
    list: $('note-list'),
  };

  const state = {
    user: null,
    hub: null,
    source: null,
    lastEventId: null,
    notes: new Map(), // @id -> JSON-LD document
    pending: null, // events received while the list is refetched
    renewTimer: null,
    retryTimer: null,
    generation: 0, // bumped on sign-in and sign-out; stale async work checks it
    renewing: null, // the renewal in flight: sign-out waits for it, or its answer would set the cookie again
  };

  async function call(path, { method = 'GET', body } = {}) {
    const headers = { Accept: 'application/ld+json, application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    const text = await response.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch (_) {
      json = null;
    }
    return { status: response.status, ok: response.ok, json, response };
  }

  function messageOf(result) {
    const message = result.json && result.json.message;
    return Array.isArray(message) ? message.join('; ') : message || `The API answered ${result.status}`;
  }

  function hubOf(response) {
    const match = /<([^>]*)>[^,]*rel="?mercure"?/i.exec(response.headers.get('Link') || '');
    return match ? new URL(match[1], response.url).href : null;
  }

  function setStatus(kind, text) {
    el.panel.dataset.state = kind;
    el.status.textContent = text;
  }

  // ---------------------------------------------------------------- session and token

  /** Renews the subscriber cookie; false when signed out. */
  function renewCookie() {
    const renewal = requestRenewal();
    state.renewing = renewal.catch(() => undefined);
    return renewal;
  }

  async function requestRenewal() {
    const result = await call('/login/refresh', { method: 'POST' });
    if (result.status === 401) return false;
    if (!result.ok) throw new Error(messageOf(result));
    state.user = result.json.user;
    state.hub = hubOf(result.response) || state.hub;
    const remaining = Date.parse(result.json.expiresAt) - Date.now();
    const margin = Math.min((result.json.lifetime * 1000) / 3, 60000);
    clearTimeout(state.renewTimer);
    state.renewTimer = setTimeout(renewAndReconnect, Math.max(0, remaining - margin));
    return true;
  }

  async function renewAndReconnect() {
    const generation = state.generation;
    try {
      const signedIn = await renewCookie();
      if (generation !== state.generation) return;
      if (!signedIn) return signedOut();
      connect(); // the new stream carries the new token; lastEventID bridges the switch
    } catch (_) {
      if (generation !== state.generation) return;
      setStatus('reconnecting', 'Renewing access…');
      clearTimeout(state.retryTimer);
      state.retryTimer = setTimeout(renewAndReconnect, 2000);
    }
  }

  // ---------------------------------------------------------------- stream

  function connect() {
    if (!state.hub || !state.user) return;
    if (state.source) state.source.close();
    const url = new URL(state.hub);
    url.searchParams.append('topic', `{+base}/users/${state.user}/notes`);
    if (state.lastEventId) url.searchParams.set('lastEventID', state.lastEventId);
    const source = new EventSource(url.href);
    state.source = source;
    source.addEventListener('open', () => {
      if (state.source !== source) return;
      setStatus('live', `Live · private to ${state.user}`);
      reload();
    });
    source.addEventListener('message', (event) => {
      if (state.source !== source) return;
      if (event.lastEventId) state.lastEventId = event.lastEventId;
      let doc;
      try {
        doc = JSON.parse(event.data);
      } catch (_) {
        return;
      }
      if (state.pending) state.pending.push(doc);
      else apply(doc);
    });
    source.addEventListener('error', () => {
      if (state.source !== source) return;
      if (source.readyState === EventSource.CLOSED) {
        // Refused, most likely an expired token: renew it and resume from the last event.
        state.source = null;
        source.close();
        setStatus('reconnecting', 'Reconnecting…');
        clearTimeout(state.retryTimer);
        state.retryTimer = setTimeout(renewAndReconnect, 500);
      } else {
        setStatus('reconnecting', 'Reconnecting…');
      }
    });
  }

  /** Refetches the list, buffering the stream meanwhile, then applies the buffered events on top. */
  async function reload() {
    const generation = state.generation;
    if (!state.pending) state.pending = [];
    const result = await call('/notes').catch(() => null);
    if (generation !== state.generation) return;
    if (!result || !result.ok) {
      setTimeout(() => generation === state.generation && reload(), 2000);
      return;
    }
    state.notes.clear();
    for (const doc of result.json.member) state.notes.set(doc['@id'], doc);
    const queued = state.pending;
    state.pending = null;
    for (const doc of queued) apply(doc, false);
    render();
  }

  function apply(doc, draw = true) {
    const deletion = Object.keys(doc).every((key) => key === '@id' || key === '@type');
    if (deletion) state.notes.delete(doc['@id']);
    else state.notes.set(doc['@id'], doc);
    if (draw) render();
  }

  // ---------------------------------------------------------------- rendering

  const idOf = (iri) => Number(iri.split('/').pop());

  function bookTitle(iri) {
    const option = [...el.book.options].find((o) => o.value === iri);
    return option ? option.textContent : iri;
  }

  function render() {
    const notes = [...state.notes.values()].sort((a, b) => idOf(b['@id']) - idOf(a['@id']));
    el.list.replaceChildren(
      ...notes.map((note) => {
        const li = document.createElement('li');
        li.className = 'note';
        li.dataset.iri = note['@id'];
        const body = document.createElement('p');
        body.className = 'note-body';
        body.textContent = note.body;
        const book = document.createElement('span');
        book.className = 'note-book';
        book.textContent = `on ${bookTitle(note.book)}`;
        const remove = document.createElement('button');
        remove.type = 'button';
        remove.className = 'ghost small danger';
        remove.dataset.action = 'delete-note';
        remove.textContent = 'Delete';
        remove.addEventListener('click', () => call(note['@id'], { method: 'DELETE' }));
        li.append(body, book, remove);
        return li;
      }),
    );
  }

  async function loadBooks() {
    const result = await call('/books').catch(() => null);
    if (!result || !result.ok) return;
    const selected = el.book.value;
    el.book.replaceChildren(
      ...result.json.member.map((book) => {
        const option = document.createElement('option');
        option.value = book['@id'];
        option.textContent = book.title;
        return option;
      }),
    );
    if (selected) el.book.value = selected;
  }

  // ---------------------------------------------------------------- signed in / out

  function signedIn() {
    el.signin.hidden = true;
    el.signedIn.hidden = false;
    el.signedInUser.textContent = state.user;
    loadBooks();
    connect();
  }

  function signedOut() {
    state.generation++;
    clearTimeout(state.renewTimer);
    clearTimeout(state.retryTimer);
    if (state.source) state.source.close();
    Object.assign(state, { user: null, source: null, lastEventId: null, pending: null });
    state.notes.clear();
    render();
    el.signin.hidden = false;
    el.signedIn.hidden = true;
    setStatus('signed-out', 'Sign in to keep private notes.');
  }

  el.signin.addEventListener('submit', async (event) => {
    event.preventDefault();
    el.signinError.hidden = true;
    const result = await call('/login', { method: 'POST', body: { user: el.user.value.trim() } });
    if (!result.ok) {
      el.signinError.textContent = messageOf(result);
      el.signinError.hidden = false;
      return;
    }
    state.generation++;
    if (await renewCookie()) signedIn();
  });

  el.signout.addEventListener('click', async () => {
    // No renewal may start now, and one already sent must be answered first: a cookie it sets
    // after the logout's expiry would outlive the session.
    state.generation++;
    if (state.source) state.source.close();
    state.source = null;
    clearTimeout(state.retryTimer);
    await state.renewing;
    clearTimeout(state.renewTimer); // set by that renewal's answer
    await call('/logout', { method: 'POST' });
    signedOut();
  });

  el.book.addEventListener('focus', loadBooks);

  el.form.addEventListener('submit', async (event) => {
    event.preventDefault();
    el.noteError.hidden = true;
    const result = await call('/notes', { method: 'POST', body: { book: el.book.value, body: el.body.value } });
    if (!result.ok) {
      el.noteError.textContent = messageOf(result);
      el.noteError.hidden = false;
      return;
    }
    el.body.value = '';
  });

  // On load: a session may already be open.
  signedOut();
  renewCookie()
    .then((ok) => ok && signedIn())
    .catch(() => setStatus('signed-out', 'Could not reach the API.'));
})();
