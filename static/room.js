/*
 * Parley room page: live updates over Socket.IO on top of the server-rendered page.
 *
 * The page works without this script (messages rendered by the server, a plain
 * form that posts). This script adds: live messages ordered by seq with gap
 * repair, resumable joins after reconnects, exactly-once sending through a
 * client-chosen client_id, typing indicators, presence and older history.
 * Message data is only ever written with textContent, never parsed as HTML.
 */
(function () {
  'use strict';

  /* ---------- last-seen seqs (unread markers on the room list) ---------- */

  // The highest contiguous seq a user has had on screen in a room, per browser.
  // The room list compares it with the seq the server renders for each room.
  const seenKey = (user, slug) => 'parley:seen:' + user + ':' + slug;

  function readSeen(user, slug) {
    try {
      const raw = window.localStorage.getItem(seenKey(user, slug));
      return raw === null ? null : Number.parseInt(raw, 10) || 0;
    } catch (e) {
      return null;   // storage disabled: no markers rather than wrong ones
    }
  }

  function writeSeen(user, slug, seq) {
    try {
      const old = readSeen(user, slug);
      if (old === null || seq > old) window.localStorage.setItem(seenKey(user, slug), String(seq));
    } catch (e) { /* storage disabled or full: markers are a nicety */ }
  }

  const roomsEl = document.getElementById('rooms');
  if (roomsEl && roomsEl.dataset.username) {
    const user = roomsEl.dataset.username;
    for (const li of roomsEl.querySelectorAll('.room-list li[data-room]')) {
      const last = Number.parseInt(li.dataset.lastSeq, 10) || 0;
      const seen = readSeen(user, li.dataset.room) || 0;
      const badge = li.querySelector('.unread');
      if (!badge || last <= seen) continue;
      const count = last - seen;
      li.classList.add('has-unread');
      badge.textContent = count > 99 ? '99+' : String(count);
      badge.title = count + (count === 1 ? ' unread message' : ' unread messages');
      badge.setAttribute('aria-label', badge.title);
      badge.hidden = false;
    }
  }

  const root = document.getElementById('room');
  if (!root) return;

  const byId = (id) => document.getElementById(id);
  const list = byId('messages');
  const connectionEl = byId('connection');
  const typingEl = byId('typing');
  const form = byId('message-form');
  const sendErrorEl = byId('send-error');
  const membersEl = byId('members');
  const olderBtn = byId('load-older');
  const textarea = form ? form.querySelector('textarea') : null;

  const ROOM = root.dataset.room;
  const ME = root.dataset.username;
  const KIND = root.dataset.kind || 'public';
  const membersCountEl = byId('members-count');

  const ACK_TIMEOUT_MS = 5000;
  const JOIN_TIMEOUT_MS = 10000;
  const MAX_SEND_ATTEMPTS = 6;      // timeouts / `unavailable`: 1s, 2s, 4s, 8s, 16s, then give up until reconnect
  const MAX_RATE_RETRIES = 20;
  const PAGE_LIMIT = 200;           // the server's cap for history/join pages
  const MAX_FILL_PAGES = 25;        // bound one gap repair to 5000 messages; later events continue it
  const OLDER_LIMIT = 50;
  const GAP_GRACE_MS = 200;         // out-of-order live events usually close a gap by themselves
  const TYPING_RENEW_MS = 3000;
  const TYPING_IDLE_MS = 4000;
  const TYPING_TTL_MS = 5000;
  const NEAR_BOTTOM_PX = 80;

  const toSeq = (value) => {
    const n = Number.parseInt(value, 10);
    return Number.isFinite(n) && n > 0 ? n : 0;
  };

  const state = {
    room: ROOM,
    username: ME,
    messages: new Map(),   // seq -> message object
    pending: new Map(),    // client_id -> pending send (insertion order = send order)
    lastContiguous: toSeq(root.dataset.lastSeq),
    highestSeen: toSeq(root.dataset.lastSeq),
    joined: false,
    connection: 'connecting',
  };

  /* ---------- rendering helpers ---------- */

  function make(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  const pad = (n) => String(n).padStart(2, '0');

  // The server renders HH:MM in UTC; readers want their own clock.
  function setTime(timeEl, iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return;
    timeEl.dateTime = iso;
    timeEl.textContent = pad(date.getHours()) + ':' + pad(date.getMinutes());
    timeEl.title = date.toLocaleString();
  }

  function showSendError(message) {
    if (!sendErrorEl) return;
    sendErrorEl.textContent = message;
    sendErrorEl.hidden = false;
  }

  function clearSendError() {
    if (!sendErrorEl) return;
    sendErrorEl.textContent = '';
    sendErrorEl.hidden = true;
  }

  // kind: connecting | online | reconnecting | offline. "reconnecting" also carries
  // the "offline" class so styles for being cut off apply to both.
  function setConnection(kind, text) {
    state.connection = kind;
    root.dataset.connection = kind;
    if (!connectionEl) return;
    connectionEl.className = 'connection ' + (kind === 'reconnecting' ? 'offline reconnecting' : kind);
    connectionEl.textContent = text;
  }

  /* ---------- scrolling ---------- */

  const nearBottom = () => list.scrollHeight - list.scrollTop - list.clientHeight < NEAR_BOTTOM_PX;
  const scrollToBottom = () => { list.scrollTop = list.scrollHeight; };

  // Follow new messages only if the reader was already at the bottom; someone
  // reading older messages must not be yanked down.
  function keepingBottom(change) {
    const stick = nearBottom();
    change();
    if (stick) scrollToBottom();
  }

  // Prepending grows the list above the viewport: keep the same message in view.
  function keepingPosition(change) {
    const fromBottom = list.scrollHeight - list.scrollTop;
    change();
    list.scrollTop = list.scrollHeight - fromBottom;
  }

  /* ---------- the ordered message list ---------- */

  function isMessage(m) {
    return m !== null && typeof m === 'object' && m.room === ROOM && Number.isInteger(m.seq) && m.seq > 0;
  }

  function buildMessage(m) {
    const li = make('li', 'message');
    if (m.username === ME) li.classList.add('mine');
    li.id = 'm' + m.seq;
    li.dataset.seq = String(m.seq);
    const time = make('time');
    setTime(time, m.created_at);
    li.append(make('span', 'author', String(m.username)), time, make('span', 'text', String(m.text)));
    return li;
  }

  // Stored messages sit in seq order; pending ones (no data-seq) always stay last.
  function placeBySeq(li, seq) {
    const first = list.querySelector('li[data-seq]');
    if (first && toSeq(first.dataset.seq) > seq) {
      list.insertBefore(li, first);   // fast path for "load older"
      return;
    }
    let before = null;                // walk back from the end: new messages are usually newest
    for (let node = list.lastElementChild; node; node = node.previousElementSibling) {
      if (node.dataset.seq && toSeq(node.dataset.seq) < seq) break;
      before = node;
    }
    list.insertBefore(li, before);
  }

  function advanceContiguous() {
    while (state.messages.has(state.lastContiguous + 1)) state.lastContiguous += 1;
    writeSeen(ME, ROOM, state.lastContiguous);
  }

  // Adds one stored message unless its seq is already shown. Returns true if new.
  function addMessage(m) {
    if (!isMessage(m)) return false;
    // Our own message may come back through history or a join after a lost ack:
    // it replaces the pending copy rather than showing twice.
    if (m.username === ME && m.client_id && state.pending.has(m.client_id)) settlePending(state.pending.get(m.client_id));
    if (state.messages.has(m.seq)) return false;
    state.messages.set(m.seq, m);
    placeBySeq(buildMessage(m), m.seq);
    if (m.seq > state.highestSeen) state.highestSeen = m.seq;
    advanceContiguous();
    return true;
  }

  function merge(messages) {
    if (Array.isArray(messages)) messages.forEach(addMessage);
  }

  function firstSeq() {
    const first = list.querySelector('li[data-seq]');
    return first ? toSeq(first.dataset.seq) : toSeq(root.dataset.firstSeq);
  }

  // Adopt what the server rendered, and show its times on the local clock.
  for (const li of list.querySelectorAll('li[data-seq]')) {
    const seq = toSeq(li.dataset.seq);
    const time = li.querySelector('time');
    const author = li.querySelector('.author');
    const text = li.querySelector('.text');
    const m = {
      room: ROOM, seq,
      username: author ? author.textContent.trim() : '',
      text: text ? text.textContent : '',
      created_at: time ? time.getAttribute('datetime') : '',
    };
    if (!seq) continue;
    state.messages.set(seq, m);
    if (m.username === ME) li.classList.add('mine');
    if (time) setTime(time, m.created_at);
  }
  advanceContiguous();
  scrollToBottom();

  if (typeof window.io !== 'function') {
    // The client library did not load: the page stays a plain, working form.
    setConnection('offline', 'offline: live updates unavailable, reload to see new messages');
    return;
  }

  // WebSocket first so several server processes need no sticky sessions; fall back to polling.
  const socket = window.io({ transports: ['websocket', 'polling'], tryAllTransports: true });
  window.parley = { state, socket };

  // An emit with an acknowledgement, as a promise that always resolves to an ack-shaped object.
  // Nothing is emitted while disconnected: buffered emits would reach the server before our re-join.
  function request(event, payload, timeout) {
    if (!socket.connected) {
      return Promise.resolve({ ok: false, error: { code: 'offline', message: 'Not connected.' } });
    }
    return new Promise((resolve) => {
      socket.timeout(timeout || ACK_TIMEOUT_MS).emit(event, payload, (err, ack) => {
        if (err) resolve({ ok: false, error: { code: 'timeout', message: 'The server did not answer in time.' } });
        else if (!ack || typeof ack !== 'object') resolve({ ok: false, error: { code: 'bad_response', message: 'Unexpected answer from the server.' } });
        else resolve(ack);
      });
    });
  }

  const errorText = (ack, fallback) => (ack && ack.error && ack.error.message) || fallback;

  /* ---------- gap repair ---------- */

  let gapTimer = null;
  let filling = false;
  let refill = false;

  function noteGap() {
    if (!state.joined || state.lastContiguous >= state.highestSeen) return;
    if (filling) { refill = true; return; }
    if (!gapTimer) gapTimer = setTimeout(() => { gapTimer = null; fillGap(); }, GAP_GRACE_MS);
  }

  // Ask for everything after the last contiguous seq, page by page, while the server has more.
  async function fillGap() {
    if (filling || !state.joined) return;
    filling = true;
    try {
      for (let page = 0; page < MAX_FILL_PAGES; page += 1) {
        const from = state.lastContiguous;
        const ack = await request('history', { room: ROOM, after: from, limit: PAGE_LIMIT });
        if (!ack.ok) break;   // offline or failed: a re-join or the next live event tries again
        keepingBottom(() => merge(ack.messages));
        if (!ack.has_more || state.lastContiguous === from) break;
      }
    } finally {
      filling = false;
    }
    if (refill) { refill = false; noteGap(); }
  }

  /* ---------- joining ---------- */

  let joinGeneration = 0;
  let joinFailures = 0;
  let joinRetryTimer = null;

  async function join() {
    const generation = ++joinGeneration;
    clearTimeout(joinRetryTimer);
    setConnection('connecting', 'connecting…');
    const ack = await request('join', { room: ROOM, since: state.lastContiguous }, JOIN_TIMEOUT_MS);
    if (generation !== joinGeneration || !socket.connected) return;   // a newer connection took over
    if (!ack.ok) {
      const code = ack.error && ack.error.code;
      if (code === 'timeout' || code === 'unavailable') {
        const delay = Math.min(30000, 1000 * 2 ** joinFailures++);
        setConnection('reconnecting', 'server busy: retrying in ' + Math.round(delay / 1000) + 's…');
        joinRetryTimer = setTimeout(() => { if (socket.connected) join(); }, delay);
        return;
      }
      const message = errorText(ack, 'Could not join this room.');
      setConnection('offline', 'offline: ' + message);
      showSendError(message);
      return;
    }
    joinFailures = 0;
    if (Number.isInteger(ack.last_seq) && ack.last_seq < state.lastContiguous) {
      // The room's history is shorter than what this page holds (a restored database):
      // some of what is shown no longer exists, and new messages will reuse those seqs.
      // Start over from what the server has.
      window.location.reload();
      return;
    }
    state.joined = true;
    setConnection('online', 'online');
    if (Array.isArray(ack.members)) updateMembers(ack.members);
    keepingBottom(() => merge(ack.messages));
    if (Number.isInteger(ack.last_seq) && ack.last_seq > state.highestSeen) state.highestSeen = ack.last_seq;
    if (ack.has_more || state.lastContiguous < state.highestSeen) {
      if (filling) refill = true;   // a repair from before the reconnect is still finishing
      else fillGap();
    }
    flushPending();
  }

  /* ---------- sending ---------- */

  // Pending sends go out one at a time, oldest first, so a retried or
  // rate-limited message never lands after one typed later. A phase is one of:
  // queued (waiting its turn), inflight, waiting (back-off timer), failed.

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
    const bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
    else for (let i = 0; i < bytes.length; i += 1) bytes[i] = Math.floor(Math.random() * 256);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  const online = () => state.joined && socket.connected;

  function createPending(text) {
    const id = newClientId();
    const li = make('li', 'message mine pending');
    li.dataset.clientId = id;
    const time = make('time');
    setTime(time, new Date().toISOString());
    const status = make('span', 'status', online() ? 'sending…' : 'waiting for the connection…');
    li.append(make('span', 'author', ME), time, make('span', 'text', text), status);
    list.appendChild(li);
    const p = { id, text, li, status, phase: 'queued', attempts: 0, rateRetries: 0, timer: null, token: 0, retriable: true, rejoined: false };
    state.pending.set(id, p);
    return p;
  }

  // The pending copy is no longer needed (stored, or discarded): forget it and its timers.
  function settlePending(p) {
    clearTimeout(p.timer);
    p.token += 1;   // ignore any acknowledgement still on its way
    state.pending.delete(p.id);
    p.li.remove();
    pump();
  }

  // Back to the queue: an answer still on its way for the old attempt is ignored.
  function requeue(p, note) {
    clearTimeout(p.timer);
    p.token += 1;
    p.phase = 'queued';
    p.status.textContent = note;
  }

  // Send the oldest queued message unless one is already on its way or backing off.
  function pump() {
    if (!online()) return;
    let next = null;
    for (const p of state.pending.values()) {
      if (p.phase === 'inflight' || p.phase === 'waiting') return;
      if (!next && p.phase === 'queued') next = p;
    }
    if (next) transmit(next);
  }

  function transmit(p) {
    clearTimeout(p.timer);
    if (!state.pending.has(p.id)) return;
    if (!online()) { requeue(p, 'waiting for the connection…'); return; }
    p.phase = 'inflight';
    p.li.classList.remove('failed');
    p.li.classList.add('pending');
    p.status.textContent = p.attempts || p.rateRetries ? 'retrying…' : 'sending…';
    const token = ++p.token;
    // The same client_id on every attempt: the server stores it once and answers retries with the stored message.
    socket.timeout(ACK_TIMEOUT_MS).emit('message', { room: ROOM, text: p.text, client_id: p.id }, (err, ack) => {
      if (token !== p.token || !state.pending.has(p.id)) return;
      if (err || !ack || typeof ack !== 'object') { backOff(p, 'the server did not answer'); return; }
      if (ack.ok) { confirmPending(p, ack.message); return; }
      const code = ack.error && ack.error.code;
      if (code === 'unavailable') backOff(p, errorText(ack, 'the server is unavailable'));
      else if (code === 'rate_limited') slowDown(p);
      else if (code === 'not_joined' && !p.rejoined) {
        // The server forgot this socket's rooms (e.g. it restarted): join again, then resend once.
        p.rejoined = true;
        state.joined = false;
        requeue(p, 'rejoining…');
        join();
      } else failPending(p, errorText(ack, 'The message was refused.'), false);
    });
  }

  function wait(p, delay, note) {
    p.phase = 'waiting';
    p.status.textContent = note;
    p.timer = setTimeout(() => transmit(p), delay);
  }

  function backOff(p, reason) {
    if (!online()) { requeue(p, 'waiting for the connection…'); return; }   // the re-join resends it
    p.attempts += 1;
    if (p.attempts >= MAX_SEND_ATTEMPTS) {
      failPending(p, 'Not sent: ' + reason + '. It will be retried when the connection comes back.', true);
      return;
    }
    const delay = 1000 * 2 ** (p.attempts - 1);
    wait(p, delay, 'not sent yet, retrying in ' + delay / 1000 + 's…');
  }

  function slowDown(p) {
    p.rateRetries += 1;
    if (p.rateRetries > MAX_RATE_RETRIES) {
      failPending(p, 'Not sent: you are sending too fast.', true);
      return;
    }
    wait(p, Math.min(5000, 500 * p.rateRetries) + Math.floor(Math.random() * 250), 'sending too fast, waiting…');
  }

  function confirmPending(p, message) {
    settlePending(p);
    if (!isMessage(message)) return;
    addMessage(message);
    scrollToBottom();   // the sender wants to see their own message
    noteGap();          // others' messages may lie between ours and what we have
  }

  function failPending(p, message, retriable) {
    clearTimeout(p.timer);
    p.phase = 'failed';
    p.retriable = retriable;
    p.li.classList.remove('pending');
    p.li.classList.add('failed');
    p.status.textContent = 'not sent ';
    if (retriable) {
      const retry = make('button', 'link', 'Retry');
      retry.type = 'button';
      retry.addEventListener('click', () => {
        p.attempts = 0;
        p.rateRetries = 0;
        clearSendError();
        requeue(p, 'sending…');
        pump();
      });
      p.status.append(retry, ' ');
    }
    const discard = make('button', 'link', 'Discard');
    discard.type = 'button';
    discard.addEventListener('click', () => settlePending(p));
    p.status.append(discard);
    showSendError(message);
    pump();   // the next message may still go through
  }

  // After every (re-)join: what waits, or failed for want of a connection, goes again
  // with fresh attempt budgets, oldest first.
  function flushPending() {
    for (const p of state.pending.values()) {
      if (p.phase === 'failed' && !p.retriable) continue;
      p.attempts = 0;
      p.rateRetries = 0;
      requeue(p, 'sending…');
    }
    pump();
  }

  function send() {
    const text = textarea.value.trim();
    if (!text) return;
    textarea.value = '';
    fitTextarea();
    clearSendError();
    stopTyping();
    createPending(text);
    scrollToBottom();
    pump();
  }

  /* ---------- typing ---------- */

  let typingActive = false;
  let typingSentAt = 0;
  let typingIdleTimer = null;

  function emitTyping(flag) {
    if (!state.joined || !socket.connected) return false;
    socket.timeout(ACK_TIMEOUT_MS).emit('typing', { room: ROOM, typing: flag }, () => {});
    return true;
  }

  function stopTyping() {
    clearTimeout(typingIdleTimer);
    typingIdleTimer = null;
    if (typingActive) emitTyping(false);
    typingActive = false;
  }

  // The message box grows with its text (up to the CSS max-height), then scrolls.
  function fitTextarea() {
    textarea.style.height = 'auto';
    textarea.style.height = textarea.scrollHeight + 2 + 'px';
  }

  function onInput() {
    fitTextarea();
    if (!textarea.value.trim()) { stopTyping(); return; }
    const now = Date.now();
    // Renew well inside the others' 5 s expiry, but no more often than that.
    if ((!typingActive || now - typingSentAt >= TYPING_RENEW_MS) && emitTyping(true)) {
      typingActive = true;
      typingSentAt = now;
    }
    clearTimeout(typingIdleTimer);
    typingIdleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  const typists = new Map();   // username -> expiry timer

  function renderTypists() {
    if (!typingEl) return;
    const names = Array.from(typists.keys());
    let text = '';
    if (names.length === 1) text = names[0] + ' is typing…';
    else if (names.length === 2) text = names[0] + ' and ' + names[1] + ' are typing…';
    else if (names.length === 3) text = names[0] + ', ' + names[1] + ' and ' + names[2] + ' are typing…';
    else if (names.length > 3) text = 'Several people are typing…';
    typingEl.textContent = text;
  }

  function dropTypist(name) {
    if (!typists.has(name)) return;
    clearTimeout(typists.get(name));
    typists.delete(name);
    renderTypists();
  }

  function onTyping(ev) {
    if (!ev || ev.room !== ROOM || typeof ev.username !== 'string' || ev.username === ME) return;
    if (!ev.typing) { dropTypist(ev.username); return; }
    clearTimeout(typists.get(ev.username));
    typists.set(ev.username, setTimeout(() => dropTypist(ev.username), TYPING_TTL_MS));
    renderTypists();
  }

  /* ---------- members and presence ---------- */

  function findMember(name) {
    if (!membersEl) return null;
    for (const li of membersEl.children) if (li.dataset.username === name) return li;
    return null;
  }

  // The same "Message" button the server renders: a POST to /dm/<name> with this page's CSRF token.
  function directForm(name) {
    const dm = make('form', 'inline dm');
    dm.method = 'post';
    dm.action = '/dm/' + encodeURIComponent(name);
    const token = document.querySelector('input[name="csrf_token"]');
    const hidden = make('input');
    hidden.type = 'hidden';
    hidden.name = 'csrf_token';
    hidden.value = token ? token.value : '';
    const button = make('button', 'small', 'Message');
    button.type = 'submit';
    button.setAttribute('aria-label', 'Message ' + name);
    dm.append(hidden, button);
    return dm;
  }

  function setMember(name, online) {
    if (!membersEl || typeof name !== 'string' || !name) return;
    let li = findMember(name);
    if (!li) {
      li = make('li');
      li.dataset.username = name;
      const dot = make('span', 'dot');
      dot.setAttribute('aria-hidden', 'true');
      li.append(dot, make('span', 'name', name), make('span', 'visually-hidden state'));
      if (name === ME) li.append(make('span', 'you muted', 'you'));
      else if (KIND !== 'direct') li.append(directForm(name));
      let before = null;   // keep the list alphabetical
      for (const other of membersEl.children) {
        if ((other.dataset.username || '').localeCompare(name) > 0) { before = other; break; }
      }
      membersEl.insertBefore(li, before);
      if (membersCountEl) membersCountEl.textContent = String(membersEl.children.length);
    }
    li.classList.toggle('online', !!online);
    li.classList.toggle('offline', !online);
    const stateEl = li.querySelector('.state');
    if (stateEl) stateEl.textContent = online ? 'online' : 'offline';
  }

  // The join acknowledgement is the full picture: anyone it does not list is not here now.
  function updateMembers(members) {
    const listed = new Set();
    for (const member of members) {
      if (!member || typeof member.username !== 'string') continue;
      listed.add(member.username);
      setMember(member.username, !!member.online);
    }
    if (!membersEl) return;
    for (const li of membersEl.children) if (!listed.has(li.dataset.username)) setMember(li.dataset.username, false);
  }

  /* ---------- older history ---------- */

  let loadingOlder = false;

  async function loadOlder() {
    const first = firstSeq();
    if (first <= 1) { olderBtn.hidden = true; return; }
    if (loadingOlder) return;
    loadingOlder = true;
    olderBtn.disabled = true;
    const ack = await request('history', { room: ROOM, before: first, limit: OLDER_LIMIT });
    loadingOlder = false;
    olderBtn.disabled = false;
    if (!ack.ok) { showSendError(errorText(ack, 'Could not load older messages.')); return; }
    keepingPosition(() => merge(ack.messages));
    if (!ack.has_more || firstSeq() <= 1) olderBtn.hidden = true;
  }

  /* ---------- wiring ---------- */

  socket.on('connect', () => { join(); });

  socket.on('disconnect', (reason) => {
    state.joined = false;
    joinGeneration += 1;
    clearTimeout(joinRetryTimer);
    // In-flight sends lose their acknowledgements; they wait for the re-join (same client_id).
    for (const p of state.pending.values()) if (p.phase !== 'failed') requeue(p, 'waiting for the connection…');
    // The server ends our typing on disconnect; others' typing state is re-learned live.
    typingActive = false;
    for (const name of Array.from(typists.keys())) dropTypist(name);
    if (reason === 'io server disconnect') {
      // The server closed us on purpose; socket.io will not retry by itself. Try once more shortly.
      setConnection('reconnecting', 'disconnected by the server, reconnecting…');
      setTimeout(() => { if (!socket.connected) socket.connect(); }, 2000);
    } else {
      setConnection('reconnecting', 'reconnecting…');
    }
  });

  socket.on('connect_error', (err) => {
    // socket.active: the manager keeps retrying (network trouble). Otherwise the server
    // refused us (e.g. the session ended) and retrying cannot help.
    if (socket.active) setConnection('reconnecting', 'reconnecting…');
    else setConnection('offline', 'offline: ' + ((err && err.message) || 'connection refused') + '. Log in again, then reload.');
  });

  socket.on('message', (m) => {
    if (!isMessage(m)) return;   // other rooms and malformed events are ignored
    keepingBottom(() => addMessage(m));
    dropTypist(m.username);
    noteGap();
  });

  socket.on('typing', onTyping);

  socket.on('presence', (ev) => {
    if (!ev || ev.room !== ROOM || typeof ev.username !== 'string') return;
    setMember(ev.username, !!ev.online);
    if (!ev.online) dropTypist(ev.username);
  });

  if (form && textarea) {
    // After a click on Send, the caret goes back to the message box for the next one.
    form.addEventListener('submit', (ev) => { ev.preventDefault(); send(); textarea.focus(); });
    textarea.addEventListener('keydown', (ev) => {
      // Enter sends, Shift+Enter is a newline; never interrupt an IME composition.
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
        ev.preventDefault();
        send();
      }
    });
    textarea.addEventListener('input', onInput);
  }

  if (olderBtn) olderBtn.addEventListener('click', loadOlder);

  setConnection('connecting', 'connecting…');
})();
