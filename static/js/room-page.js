/*
 * The room page (/r/<slug>) while it is shown: live updates over the shell's
 * Socket.IO connection on top of the server-rendered page, which works without
 * this script (messages rendered by the server, a plain form that posts).
 * mountRoom() wires the parts together and returns what takes them apart again
 * when Turbo shows another page; the connection stays (app.js). The rules live in
 * timeline.js, revs.js, outbox.js, gaps.js, typing.js, session.js, reading.js,
 * drafts.js and originals.js (no DOM), the drawing in the views, and what changes
 * messages (edit, delete, react, reply, jump) in room-changes.js.
 */

import { byId } from './dom.js';
import { request } from './request.js';
import { Timeline, toSeq } from './timeline.js';
import { RevTracker } from './revs.js';
import { Originals } from './originals.js';
import { GapRepair } from './gaps.js';
import { Outbox } from './outbox.js';
import { OwnTyping, Typists, typingText } from './typing.js';
import { ReadMarker } from './reading.js';
import { readDraft, writeDraft } from './drafts.js';
import { mentionsMe } from './mentions.js';
import { Listeners } from './listeners.js';
import { Session } from './session.js';
import { MessageList } from './message-list.js';
import { PendingView } from './pending-view.js';
import { MemberList } from './members.js';
import { presenceChanges } from './presence.js';
import { Notices } from './notices.js';
import { Composer } from './composer.js';
import { MentionPicker } from './mention-picker.js';
import { wireLoadOlder } from './older.js';
import { wireChanges } from './room-changes.js';
import { wireRoomState } from './room-state.js';

// shell: { read(room, mark), seen(room, seq), mentioned(message), announce(text) }
// from app.js. Returns unmount().
export function mountRoom(root, socket, shell) {
  const ROOM = root.dataset.room;
  const ME = root.dataset.username;
  const listeners = new Listeners();
  const timeline = new Timeline(ROOM, {
    lastSeq: toSeq(root.dataset.lastSeq),
    firstSeq: toSeq(root.dataset.firstSeq),
    hasOlder: root.dataset.hasMore === 'true',
  });
  // The page was rendered with every change up to this rev (read before its messages).
  const revs = new RevTracker(toSeq(root.dataset.lastRev));
  const marker = new ReadMarker(toSeq(root.dataset.readSeq));
  const notices = new Notices(root, byId('connection'), byId('send-error'));
  let session = null;
  const online = () => Boolean(session && session.online());

  // Quotes of messages older than what is loaded: fetched once the room is joined.
  const originals = new Originals(timeline, {
    fetchOne: async (seq) => {
      const ack = await request(socket, 'history', { room: ROOM, before: seq + 1, limit: 1 });
      const m = ack.ok && Array.isArray(ack.messages) ? ack.messages[0] : null;
      if (m) revs.note(m.rev);
      return m;
    },
    onArrived: (seq) => messages.refreshQuotes(seq),
    isOnline: online,
  });
  const messages = new MessageList(byId('messages'), timeline, {
    me: ME,
    moderator: root.dataset.moderator === 'true',
    quoteOf: (seq) => originals.quoteOf(seq),
  });
  messages.adopt(pageMessages(timeline));
  openAtTheRightPlace(messages, listeners);

  const members = new MemberList(byId('members'), byId('members-count'), ME, byId('members-stale'));
  const typingEl = byId('typing');
  const typists = new Typists((names) => {
    typingEl.textContent = typingText(names);
  });

  // The room is read up to what it shows while it is in a visible tab, at the bottom.
  function markRead() {
    if (!online()) return;
    const seq = marker.target({
      visible: document.visibilityState === 'visible',
      atBottom: messages.nearBottom(),
      newest: timeline.contiguous,
    });
    if (!seq) return;
    marker.asking(seq);
    request(socket, 'read', { room: ROOM, seq }).then((ack) => {
      if (!ack.ok) return marker.failed(seq);
      marker.moved(ack.last_read_seq);
      shell.read(ROOM, marker.mark);
    });
  }
  let scrollPending = false;
  listeners.on(messages.el, 'scroll', () => {
    if (scrollPending) return;
    scrollPending = true;
    requestAnimationFrame(() => {
      scrollPending = false;
      markRead();
    });
  });
  listeners.on(document, 'visibilitychange', markRead);
  listeners.on(window, 'focus', markRead);

  const gaps = new GapRepair({
    timeline,
    fetchAfter: (after, limit) => request(socket, 'history', { room: ROOM, after, limit }),
    absorb: (list) => messages.keepingBottom(() => absorb(list)),
    isJoined: () => session.joined,
  });

  const pendingView = new PendingView(messages.el, messages.ctx, {
    onRetry(clientId) {
      notices.clearError();
      outbox.retry(clientId);
    },
    onDiscard: (clientId) => outbox.settle(clientId),
  });
  const outbox = new Outbox({
    room: ROOM,
    transmit: (payload) => request(socket, 'message', payload),
    isOnline: online,
    onChange(entry) {
      pendingView.render(entry);
      if (entry.phase === 'failed') notices.error(entry.error);
    },
    onSent(entry, message) {
      if (!timeline.accepts(message)) return;
      absorb([message]);
      marker.moved(message.seq);   // posting marks the room read up to one's message
      shell.read(ROOM, marker.mark);
      messages.scrollToBottom();   // the sender wants to see their own message
      gaps.note();                 // others' messages may lie between ours and what we hold
    },
    onRejoin: () => session.join(),
  });

  const loadOlder = wireLoadOlder(byId('load-older'), {
    timeline,
    messages,
    fetchBefore: (before, limit) => request(socket, 'history', { room: ROOM, before, limit }),
    absorb,
    onError: (message) => notices.error(message),
  });

  const form = byId('message-form');
  const textarea = form.querySelector('textarea');
  const changes = wireChanges({
    room: ROOM, me: ME, timeline, messages, notices, loadOlder, composerBox: textarea,
    send: (event, payload) => request(socket, event, payload),
    absorbChanged: (list) => messages.keepingBottom(() => absorb(list, { changes: true })),
  });

  // Stores message objects from any source and draws what they change. Each counts
  // for the rev (revs.js); a change (`changes`) is not a reason to load a message
  // older than what is shown (timeline.update).
  function absorb(list, { changes: changed = false } = {}) {
    if (!Array.isArray(list)) return;
    for (const m of list) {
      if (!timeline.accepts(m)) continue;
      revs.note(m.rev);
      originals.offer(m);
      // Our own message may come back through history or a join after a lost ack:
      // it replaces the copy being sent rather than showing twice.
      if (m.username === ME && m.client_id) outbox.settle(m.client_id);
      if (changed ? timeline.update(m) : timeline.upsert(m)) {
        messages.show(m);
        changes.shown(m);
      }
    }
    shell.seen(ROOM, timeline.contiguous);
  }

  // A message from someone else, live: announced to screen readers (history never
  // is), a mention of the reader notified if they are not looking, and the
  // "new messages" divider put above it if the room is not being read.
  function arrived(m) {
    if (m.username === ME) return;
    shell.announce(m.username + ': ' + (m.text || ''));
    if (mentionsMe(m.html, ME)) shell.mentioned(m);
    const reading = document.visibilityState === 'visible' && messages.nearBottom();
    if (!reading && m.seq > marker.mark) messages.markUnread(m.seq);
  }

  const ownTyping = new OwnTyping((typing) => {
    if (!online()) return false;
    request(socket, 'typing', { room: ROOM, typing });   // the answer does not matter
    return true;
  });

  listeners.on(socket, 'message', (m) => {
    if (!timeline.accepts(m)) return;   // other rooms and malformed events are ignored
    const fresh = !timeline.get(m.seq);
    messages.keepingBottom(() => absorb([m]));
    if (fresh) arrived(m);
    typists.drop(m.username);
    gaps.note();
    markRead();
  });

  listeners.on(socket, 'message_changed', (m) => {
    if (!timeline.accepts(m)) return;
    messages.keepingBottom(() => absorb([m], { changes: true }));
    gaps.note();
  });

  listeners.on(socket, 'typing', (ev) => {
    if (!ev || ev.room !== ROOM || typeof ev.username !== 'string' || ev.username === ME) return;
    typists.set(ev.username, ev.typing);
  });

  listeners.on(socket, 'presence', (ev) => {
    for (const { username, online: isOnline } of presenceChanges(ev, ROOM)) {
      members.set(username, isOnline);
      if (!isOnline) typists.drop(username);
    }
  });

  // Someone was added to the room or is no longer in it: the member list follows.
  listeners.on(socket, 'member', (ev) => {
    if (!ev || ev.room !== ROOM || typeof ev.username !== 'string') return;
    if (ev.member === true) members.set(ev.username, false);
    else if (ev.member === false) {
      members.remove(ev.username);
      typists.drop(ev.username);
    }
  });

  // Another tab or device read the room: this page's mark follows.
  listeners.on(socket, 'read', (ev) => {
    if (ev && ev.room === ROOM) marker.moved(ev.last_read_seq);
  });

  // The draft of this room comes back, and is kept as it is typed (unless the
  // server brought back a refused text).
  if (!textarea.value) textarea.value = readDraft(ME, ROOM);
  const picker = new MentionPicker(byId('mention-picker'), textarea, {
    me: ME,
    names: () => Array.from(document.querySelectorAll('#members li[data-username]'), (li) => li.dataset.username),
  });
  const composer = new Composer(form, textarea, {
    onSend(text) {
      notices.clearError();
      ownTyping.stop();
      writeDraft(ME, ROOM, '');
      outbox.send(text, changes.takeReply());
      messages.scrollToBottom();
    },
    onInput(hasText) {
      ownTyping.input(hasText);
      writeDraft(ME, ROOM, textarea.value);
    },
    onEditLast: () => changes.editLast(),
    onEscape: () => changes.cancelReply(),
  });
  composer.fit();
  textarea.focus({ preventScroll: true });   // a room opens ready to write in

  session = new Session(socket, ROOM, { timeline, revs, listeners }, {
    onStatus: (kind, text) => notices.connection(kind, text),
    onRefused: (message) => notices.error(message),
    onStartOver: () => window.location.reload(),   // start over from what the server has
    onJoined(ack) {
      if (Array.isArray(ack.members)) members.update(ack.members);
      messages.keepingBottom(() => {
        absorb(ack.messages);
        absorb(ack.changed, { changes: true });   // what changed while away, each once
      });
      timeline.noteLastSeq(ack.last_seq);
      marker.moved(ack.last_read_seq);
      gaps.afterJoin(ack.has_more);
      outbox.resume();
      originals.fetchWanted();
      markRead();
    },
    onLeft() {
      members.disconnected();
      outbox.disconnected();
      // The server ends our typing on disconnect; others' typing is re-learned live.
      ownTyping.forget();
      typists.clear();
    },
  });
  wireRoomState(socket, listeners, { room: ROOM, onEnded: () => session.close() });
  notices.connection(socket.connected ? 'connecting' : 'reconnecting', socket.connected ? 'connecting…' : 'reconnecting…');
  session.start();

  window.parley = { socket, timeline, revs, outbox, marker };   // for tests and for debugging in the console
  return function unmount() {
    ownTyping.stop();
    session.close();
    listeners.clear();
    picker.close();
    if (window.parley && window.parley.timeline === timeline) delete window.parley;
  };
}

// The message objects the server rendered the list from (the same wire form as the socket's).
function pageMessages(timeline) {
  try {
    const list = JSON.parse(byId('page-messages').textContent);
    return Array.isArray(list) ? list.filter((m) => timeline.accepts(m)) : [];
  } catch (e) {
    return [];   // the list is still shown; only its messages stay unknown to the timeline
  }
}

// A link to one message (a search result, a quote without script) shows it; else
// the first unread, under its divider; else the newest.
function openAtTheRightPlace(messages, listeners) {
  const target = toSeq((/^#m(\d+)$/.exec(window.location.hash) || [])[1]);
  const divider = byId('unread-divider');
  if (messages.itemOf(target)) {
    messages.reveal(target);
    // The browser scrolls to the #m<seq> anchor too, to the top of the list, until the page
    // has loaded: center it again then.
    if (document.readyState !== 'complete') listeners.on(window, 'load', () => messages.reveal(target));
  } else if (divider) {
    messages.scrollToBottom();
    if (!messages.nearBottom()) divider.scrollIntoView({ block: 'start' });
  } else {
    messages.scrollToBottom();
  }
}
