// The live page: lists the books and their reviews, and keeps them current over Mercure.
//
// 1. Fetch the collections. The API's `Link: <...>; rel="mercure"` header names the hub.
// 2. Subscribe to the hub with an EventSource, to one URI template per collection, built from the
//    collection's `@id`: `{+base}/books/{id}` matches the topic of every book whatever the origin the
//    API puts in front of its IRIs (its PUBLIC_URL, which this page need not know).
// 3. Each event carries what `GET @id` returns (a deletion: only `@id` and `@type`); apply it.
//    A book lists its reviews' IRIs in `reviews`, and the API publishes the book again whenever a
//    review is added to it, moved away or deleted: a card shows the reviews its book lists.
// 4. Whenever the stream (re)opens, refetch the collections and apply the events received meanwhile
//    on top: the browser resends `Last-Event-ID` and a hub that kept its history replays what was
//    missed, but a restarted hub may have forgotten it, and the lists then fill the gap.
(() => {
  'use strict';

  const COLLECTIONS = { books: '/books', reviews: '/reviews' };
  const FEED_LENGTH = 8;

  const state = {
    books: new Map(), // @id -> JSON-LD document
    reviews: new Map(),
    /** Reviews deleted (a book update may still list one until it arrives). */
    goneReviews: new Set(),
    /** Reviews a book lists but whose document is being fetched. */
    fetchingReviews: new Set(),
    /** @id -> how many times its state was set; stale HTTP responses must not undo newer events. */
    versions: new Map(),
    hub: null,
    topics: [],
    source: null,
    lastEventId: null,
    /** Events received while the lists are being refetched, applied after them; null otherwise. */
    pending: null,
    syncGeneration: 0,
    opened: false,
    loaded: false,
    restartDelay: 1000,
    restartTimer: null,
    editing: null,
  };

  const $ = (id) => document.getElementById(id);
  const el = {
    connection: $('connection'),
    connectionText: $('connection-text'),
    hub: $('hub'),
    feed: $('feed'),
    list: $('book-list'),
    empty: $('empty'),
    count: $('book-count'),
    form: $('book-form'),
    formTitle: $('form-title'),
    iri: $('book-iri'),
    title: $('book-title'),
    author: $('book-author'),
    isbn: $('book-isbn'),
    submit: $('book-submit'),
    cancel: $('book-cancel'),
    formError: $('form-error'),
    template: $('book-template'),
  };
  const cards = new Map(); // book @id -> <li>

  // ---------------------------------------------------------------- HTTP

  class ApiError extends Error {}

  async function api(path, { method = 'GET', body, contentType = 'application/json' } = {}) {
    const headers = { Accept: 'application/ld+json, application/json' };
    if (body !== undefined) headers['Content-Type'] = contentType;
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    const text = await response.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch (_) {
      json = null;
    }
    if (!response.ok) {
      const message = json && json.message;
      throw new ApiError(
        Array.isArray(message) ? message.join('; ') : message || `${method} ${path} failed (${response.status})`,
      );
    }
    return { response, json };
  }

  /** `Link` header values: `<url>; rel="a b"; ...`, comma-separated. */
  function parseLinks(header) {
    const links = [];
    const pattern = /<([^>]*)>([^<]*)/g;
    let match;
    while ((match = pattern.exec(header || ''))) {
      const rel = /(?:^|;)\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(match[2]);
      const rels = rel ? (rel[1] ?? rel[2]).toLowerCase().split(/\s+/) : [];
      links.push({ url: match[1], rels });
    }
    return links;
  }

  function discoverHub(response) {
    const link = parseLinks(response.headers.get('Link')).find((l) => l.rels.includes('mercure'));
    return link ? new URL(link.url, response.url).href : null;
  }

  // ---------------------------------------------------------------- state

  const isDeletion = (doc) => Object.keys(doc).every((key) => key === '@id' || key === '@type');
  const sameDocument = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const version = (iri) => state.versions.get(iri) || 0;

  function mapFor(iri) {
    if (iri.startsWith(COLLECTIONS.books + '/')) return state.books;
    if (iri.startsWith(COLLECTIONS.reviews + '/')) return state.reviews;
    return null;
  }

  /**
   * Sets (or, with null, removes) one resource and updates the page. Returns what changed:
   * 'created', 'updated', 'deleted', or null when nothing did.
   */
  function put(iri, doc) {
    const map = mapFor(iri);
    if (!map) return null;
    state.versions.set(iri, version(iri) + 1);
    const old = map.get(iri);
    let change;
    if (map === state.reviews) {
      if (doc === null) state.goneReviews.add(iri);
      else state.goneReviews.delete(iri); // an id SQLite gave out again
    }
    if (doc === null) {
      if (!old) return null;
      map.delete(iri);
      change = 'deleted';
    } else {
      if (old && sameDocument(old, doc)) return null;
      map.set(iri, doc);
      change = old ? 'updated' : 'created';
    }
    if (map === state.books) renderBook(iri, change);
    else renderReviewChange(old, doc);
    return change;
  }

  /** An update from the hub. */
  function applyUpdate(doc) {
    if (!doc || typeof doc['@id'] !== 'string') return;
    const iri = doc['@id'];
    const before = mapFor(iri) && mapFor(iri).get(iri);
    const change = put(iri, isDeletion(doc) ? null : doc);
    if (change) announce(change, iri, change === 'deleted' ? before : doc, before);
  }

  /** Replaces everything with fresh lists; returns how many resources changed. */
  function replaceAll(books, reviews) {
    let changes = 0;
    // Reviews first: the books' cards then find every review they list.
    for (const [map, members] of [
      [state.reviews, reviews],
      [state.books, books],
    ]) {
      const fresh = new Map(members.map((doc) => [doc['@id'], doc]));
      for (const iri of [...map.keys()]) if (!fresh.has(iri) && put(iri, null)) changes++;
      for (const [iri, doc] of fresh) if (put(iri, doc)) changes++;
    }
    state.loaded = true;
    updateCount();
    return changes;
  }

  // ---------------------------------------------------------------- Mercure

  /** `{+base}/books/{id}`: every item of the collection, whatever the base of the topic IRIs. */
  const itemTemplate = (collectionIri) => `{+base}${collectionIri}/{id}`;

  function connect(resume) {
    const url = new URL(state.hub);
    for (const topic of state.topics) url.searchParams.append('topic', topic);
    // A new EventSource does not send Last-Event-ID by itself; the query parameter does.
    if (resume && state.lastEventId) url.searchParams.set('lastEventID', state.lastEventId);
    const source = new EventSource(url.href);
    state.source = source;

    source.addEventListener('open', () => {
      if (state.source !== source) return;
      state.restartDelay = 1000;
      setConnection('live', 'Live');
      const reconnected = state.opened;
      state.opened = true;
      resync(reconnected);
    });
    source.addEventListener('message', (event) => {
      if (state.source !== source) return;
      if (event.lastEventId) state.lastEventId = event.lastEventId;
      showHub();
      let doc;
      try {
        doc = JSON.parse(event.data);
      } catch (_) {
        return;
      }
      if (state.pending) state.pending.push(doc);
      else applyUpdate(doc);
    });
    source.addEventListener('error', () => {
      if (state.source !== source) return;
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (the hub answered with an error); start over, hub discovery included.
        state.source = null;
        setConnection('offline', 'Offline, retrying…');
        scheduleRestart();
      } else {
        setConnection('reconnecting', 'Reconnecting…');
      }
    });
  }

  /**
   * Refetches the lists while buffering the stream, then applies the buffered events on top: the
   * stream is open, so every change after the lists were read arrives as an event.
   */
  async function resync(reconnected) {
    const generation = ++state.syncGeneration;
    if (!state.pending) state.pending = [];
    try {
      const [books, reviews] = await Promise.all([api(COLLECTIONS.books), api(COLLECTIONS.reviews)]);
      if (generation !== state.syncGeneration) return;
      const changes = replaceAll(books.json.member, reviews.json.member);
      const queued = state.pending;
      state.pending = null;
      if (reconnected && changes > 0) {
        log('sync', `Caught up on ${changes} change${changes === 1 ? '' : 's'} made while disconnected`);
      }
      for (const doc of queued) applyUpdate(doc);
    } catch (error) {
      if (generation !== state.syncGeneration) return;
      // Keep buffering and try again.
      setTimeout(() => {
        if (generation === state.syncGeneration) resync(reconnected);
      }, 2000);
    }
  }

  function scheduleRestart() {
    clearTimeout(state.restartTimer);
    state.restartTimer = setTimeout(() => start(true), state.restartDelay);
    state.restartDelay = Math.min(state.restartDelay * 2, 15000);
  }

  /** Loads the lists, finds the hub from their `Link` header, and subscribes. */
  async function start(resume) {
    try {
      const [books, reviews] = await Promise.all([api(COLLECTIONS.books), api(COLLECTIONS.reviews)]);
      const changes = replaceAll(books.json.member, reviews.json.member);
      if (resume && changes > 0) log('sync', `Caught up on ${changes} change${changes === 1 ? '' : 's'}`);
      const hub = discoverHub(books.response) || discoverHub(reviews.response);
      if (!hub) {
        setConnection('offline', 'No hub advertised');
        el.hub.textContent = 'The API sent no Link: rel="mercure" header, so this page cannot follow changes.';
        return;
      }
      state.hub = hub;
      state.topics = [itemTemplate(books.json['@id'] || COLLECTIONS.books), itemTemplate(reviews.json['@id'] || COLLECTIONS.reviews)];
      showHub();
      connect(resume);
    } catch (error) {
      setConnection('offline', 'API unreachable, retrying…');
      scheduleRestart();
    }
  }

  // ---------------------------------------------------------------- rendering

  function numericId(doc, iri) {
    if (doc && typeof doc.id === 'number') return doc.id;
    const match = /(\d+)$/.exec(iri);
    return match ? Number(match[1]) : 0;
  }

  const bookTitle = (doc) => (doc && doc.title) || 'Untitled';

  function renderBook(iri, change) {
    const doc = state.books.get(iri);
    let card = cards.get(iri);
    if (!doc) {
      if (card) {
        cards.delete(iri);
        card.remove();
      }
      if (state.editing === iri) {
        resetForm();
        showFormError('The book you were editing was deleted.');
      }
      updateCount();
      return;
    }
    if (!card) {
      card = el.template.content.firstElementChild.cloneNode(true);
      card.dataset.iri = iri;
      wireCard(card, iri);
      cards.set(iri, card);
      insertSorted(card, numericId(doc, iri));
    }
    card.querySelector('.book-title').textContent = bookTitle(doc);
    card.querySelector('.book-author').textContent = doc.author || 'Unknown author';
    const isbn = card.querySelector('.book-isbn');
    isbn.textContent = doc.isbn ? `ISBN ${doc.isbn}` : '';
    isbn.hidden = !doc.isbn;
    renderReviews(iri);
    if (state.loaded && change) flash(card);
    updateCount();
  }

  /** Newest first. */
  function insertSorted(card, id) {
    card.dataset.order = String(id);
    const next = [...el.list.children].find((other) => Number(other.dataset.order) < id);
    el.list.insertBefore(card, next || null);
  }

  function renderReviewChange(oldDoc, newDoc) {
    const books = new Set([oldDoc && oldDoc.book, newDoc && newDoc.book].filter(Boolean));
    for (const book of books) {
      renderReviews(book);
      const card = cards.get(book);
      if (!card || !state.loaded) continue;
      const item = newDoc && newDoc.book === book && card.querySelector(`li.review[data-iri="${CSS.escape(newDoc['@id'])}"]`);
      flash(item || card.querySelector('.reviews-summary'));
    }
  }

  /**
   * The reviews a book lists, by ascending id, with their documents. One the page has not seen yet
   * (its own update is still on the way) is fetched, and shown once it arrives.
   */
  function reviewsOf(bookIri) {
    const book = state.books.get(bookIri);
    if (!book || !Array.isArray(book.reviews)) {
      // An API without `reviews` on its books: each review names its book.
      return [...state.reviews.entries()]
        .filter(([, review]) => review.book === bookIri)
        .sort(([a, x], [b, y]) => numericId(x, a) - numericId(y, b));
    }
    const reviews = [];
    for (const iri of book.reviews) {
      if (typeof iri !== 'string' || state.goneReviews.has(iri)) continue;
      const review = state.reviews.get(iri);
      if (review) reviews.push([iri, review]);
      else fetchReview(iri);
    }
    return reviews;
  }

  function fetchReview(iri) {
    if (!state.loaded || state.fetchingReviews.has(iri) || mapFor(iri) !== state.reviews) return;
    state.fetchingReviews.add(iri);
    const before = version(iri);
    api(iri)
      .then(({ json }) => applyResponse(json, before))
      .catch(() => {
        // Gone meanwhile (its deletion is on the way too), or unreachable: the next sync settles it.
      })
      .finally(() => state.fetchingReviews.delete(iri));
  }

  function renderReviews(bookIri) {
    const card = cards.get(bookIri);
    if (!card) return;
    const reviews = reviewsOf(bookIri);
    const list = card.querySelector('.review-list');
    list.replaceChildren(
      ...reviews.map(([iri, review]) => {
        const item = document.createElement('li');
        item.className = 'review';
        item.dataset.iri = iri;
        const stars = document.createElement('span');
        const rating = Math.max(0, Math.min(5, Number(review.rating) || 0));
        stars.className = 'stars';
        stars.textContent = '★'.repeat(rating) + '☆'.repeat(5 - rating);
        stars.setAttribute('aria-label', `${rating} out of 5`);
        const body = document.createElement('span');
        body.className = 'review-body';
        body.textContent = review.body || 'No comment.';
        item.append(stars, body);
        return item;
      }),
    );
    const summary = card.querySelector('.reviews-summary');
    if (reviews.length === 0) {
      summary.textContent = 'No reviews yet';
    } else {
      const average = reviews.reduce((sum, [, r]) => sum + (Number(r.rating) || 0), 0) / reviews.length;
      summary.textContent = `${reviews.length} review${reviews.length === 1 ? '' : 's'} · ${average.toFixed(1)} average`;
    }
  }

  function updateCount() {
    const n = state.books.size;
    el.count.textContent = state.loaded ? `${n} book${n === 1 ? '' : 's'}` : '';
    el.empty.hidden = !state.loaded || n > 0;
  }

  function flash(node) {
    node.classList.remove('flash');
    void node.offsetWidth; // restart the animation
    node.classList.add('flash');
  }

  function setConnection(kind, text) {
    el.connection.dataset.state = kind;
    el.connectionText.textContent = text;
  }

  function showHub() {
    el.hub.textContent = '';
    const label = document.createElement('span');
    label.textContent = 'Hub ';
    const code = document.createElement('code');
    code.textContent = state.hub;
    el.hub.append(label, code);
    if (state.lastEventId) {
      const last = document.createElement('span');
      last.className = 'last-event';
      last.textContent = `last event ${state.lastEventId}`;
      el.hub.append(last);
    }
  }

  function log(kind, text) {
    const item = document.createElement('li');
    item.className = `feed-${kind}`;
    const time = document.createElement('time');
    const now = new Date();
    time.dateTime = now.toISOString();
    time.textContent = now.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    const text_ = document.createElement('span');
    text_.textContent = text;
    item.append(time, text_);
    el.feed.prepend(item);
    while (el.feed.children.length > FEED_LENGTH) el.feed.lastElementChild.remove();
  }

  /** True when a book's update only changed which reviews it lists: the reviews' own events tell it. */
  function onlyReviewsChanged(before, doc) {
    if (!before || !doc) return false;
    const { reviews: a, ...restBefore } = before;
    const { reviews: b, ...rest } = doc;
    return sameDocument(restBefore, rest);
  }

  function announce(change, iri, doc, before) {
    if (!state.loaded) return;
    if (mapFor(iri) === state.books) {
      if (change === 'updated' && onlyReviewsChanged(before, doc)) return;
      const verb = { created: 'Added', updated: 'Edited', deleted: 'Deleted' }[change];
      log(change, `${verb} “${bookTitle(doc)}”`);
    } else {
      const book = doc && state.books.get(doc.book);
      const on = book ? ` of “${bookTitle(book)}”` : '';
      const verb = { created: 'New review', updated: 'Review edited', deleted: 'Review removed' }[change];
      log(change, `${verb}${on}`);
    }
  }

  // ---------------------------------------------------------------- forms

  /** Applies what the API answered, unless an event about that resource arrived meanwhile. */
  function applyResponse(doc, versionBefore) {
    if (doc && typeof doc['@id'] === 'string' && version(doc['@id']) === versionBefore) applyUpdate(doc);
  }

  function showFormError(message) {
    el.formError.textContent = message;
    el.formError.hidden = !message;
  }

  function resetForm() {
    state.editing = null;
    el.form.reset();
    el.iri.value = '';
    el.formTitle.textContent = 'Add a book';
    el.submit.textContent = 'Add book';
    el.cancel.hidden = true;
    el.form.closest('.panel').classList.remove('editing');
    showFormError('');
  }

  function editBook(iri) {
    const doc = state.books.get(iri);
    if (!doc) return;
    state.editing = iri;
    el.iri.value = iri;
    el.title.value = doc.title || '';
    el.author.value = doc.author || '';
    el.isbn.value = doc.isbn || '';
    el.formTitle.textContent = 'Edit book';
    el.submit.textContent = 'Save changes';
    el.cancel.hidden = false;
    el.form.closest('.panel').classList.add('editing');
    showFormError('');
    el.form.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    el.title.focus();
  }

  el.form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const title = el.title.value.trim();
    if (!title) {
      showFormError('A book needs a title.');
      el.title.focus();
      return;
    }
    const payload = { title, author: el.author.value.trim() || null, isbn: el.isbn.value.trim() || null };
    const iri = el.iri.value;
    el.submit.disabled = true;
    showFormError('');
    try {
      if (iri) {
        const before = version(iri);
        const { json } = await api(iri, { method: 'PATCH', body: payload, contentType: 'application/merge-patch+json' });
        applyResponse(json, before);
      } else {
        const { json } = await api(COLLECTIONS.books, { method: 'POST', body: payload });
        applyResponse(json, 0);
      }
      resetForm();
      el.title.focus();
    } catch (error) {
      showFormError(error instanceof ApiError ? error.message : 'The API could not be reached.');
    } finally {
      el.submit.disabled = false;
    }
  });

  el.cancel.addEventListener('click', resetForm);

  function wireCard(card, iri) {
    card.querySelector('[data-action="edit"]').addEventListener('click', () => editBook(iri));

    const del = card.querySelector('[data-action="delete"]');
    let armed = null;
    del.addEventListener('click', async () => {
      if (!armed) {
        // Two clicks, no dialog: the first one asks.
        del.textContent = 'Sure?';
        del.classList.add('armed');
        armed = setTimeout(() => {
          armed = null;
          del.textContent = 'Delete';
          del.classList.remove('armed');
        }, 3000);
        return;
      }
      clearTimeout(armed);
      armed = null;
      del.disabled = true;
      try {
        await api(iri, { method: 'DELETE' });
        applyUpdate({ '@id': iri, '@type': 'Book' });
      } catch (error) {
        del.disabled = false;
        del.textContent = 'Delete';
        del.classList.remove('armed');
        if (error instanceof ApiError) showFormError(error.message);
      }
    });

    const form = card.querySelector('.review-form');
    const error = form.querySelector('.form-error');
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const button = form.querySelector('button');
      button.disabled = true;
      error.hidden = true;
      try {
        const { json } = await api(COLLECTIONS.reviews, {
          method: 'POST',
          body: { book: iri, rating: Number(form.elements.rating.value), body: form.elements.body.value.trim() },
        });
        applyResponse(json, 0);
        form.reset();
        card.querySelector('details').open = false;
      } catch (e) {
        error.textContent = e instanceof ApiError ? e.message : 'The API could not be reached.';
        error.hidden = false;
      } finally {
        button.disabled = false;
      }
    });
  }

  start(false);
})();
