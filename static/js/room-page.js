/*
 * Entry point of the room page (/r/<slug>): live updates over Socket.IO on top of
 * the server-rendered page, which works without this script (messages rendered
 * by the server, a plain form that posts). This file only wires the parts
 * together: the rules live in timeline.js, revs.js, outbox.js, gaps.js,
 * typing.js, session.js and originals.js (no DOM), the drawing in the views,
 * and what changes messages (edit, delete, react, reply, jump) in room-changes.js.
 */

import { byId } from './dom.js';
import { request } from './request.js';
import { Timeline, toSeq } from './timeline.js';
import { RevTracker } from './revs.js';
import { Originals } from './originals.js';
import { GapRepair } from './gaps.js';
import { Outbox } from './outbox.js';
import { OwnTyping, Typists, typingText } from './typing.js';
import { writeSeen } from './seen.js';
import { Session } from './session.js';
import { MessageList } from './message-list.js';
import { PendingView } from './pending-view.js';
import { MemberList } from './members.js';
import { Notices } from './notices.js';
import { Composer } from './composer.js';
import { wireLoadOlder } from './older.js';
import { wireChanges } from './room-changes.js';

const root = byId('room');
const ROOM = root.dataset.room;
const ME = root.dataset.username;

const timeline = new Timeline(ROOM, {
  lastSeq: toSeq(root.dataset.lastSeq),
  firstSeq: toSeq(root.dataset.firstSeq),
  hasOlder: root.dataset.hasMore === 'true',
});
// The page was rendered with every change up to this rev (read before its messages).
const revs = new RevTracker(toSeq(root.dataset.lastRev));
const notices = new Notices(root, byId('connection'), byId('send-error'));

let socket = null;    // once live
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
const messages = new MessageList(byId('messages'), timeline, { me: ME, quoteOf: (seq) => originals.quoteOf(seq) });

messages.adopt(pageMessages());   // room-seen.js has marked these seen already
// A link to one message (a search result, a quote without script) shows it; else the newest.
const target = toSeq((/^#m(\d+)$/.exec(window.location.hash) || [])[1]);
if (messages.itemOf(target)) {
  messages.reveal(target);
  // The browser scrolls to the #m<seq> anchor too, to the top of the list, until the page
  // has loaded: center it again then.
  if (document.readyState !== 'complete') window.addEventListener('load', () => messages.reveal(target), { once: true });
} else {
  messages.scrollToBottom();
}

if (typeof window.io === 'function') goLive(window.io);
// Else the client library did not load: the page stays a plain, working form.
else notices.connection('offline', 'offline: live updates unavailable, reload to see new messages');

// The message objects the server rendered the list from (the same wire form as the socket's).
function pageMessages() {
  try {
    const list = JSON.parse(byId('page-messages').textContent);
    return Array.isArray(list) ? list.filter((m) => timeline.accepts(m)) : [];
  } catch (e) {
    return [];   // the list is still shown; only its messages stay unknown to the timeline
  }
}

function goLive(io) {
  // WebSocket first so several server processes need no sticky sessions; fall back to polling.
  socket = io({ transports: ['websocket', 'polling'], tryAllTransports: true });
  const members = new MemberList(byId('members'), byId('members-count'), ME);
  const typingEl = byId('typing');
  const typists = new Typists((names) => {
    typingEl.textContent = typingText(names);
  });

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
    writeSeen(ME, ROOM, timeline.contiguous);
  }

  const ownTyping = new OwnTyping((typing) => {
    if (!online()) return false;
    request(socket, 'typing', { room: ROOM, typing });   // the answer does not matter
    return true;
  });

  socket.on('message', (m) => {
    if (!timeline.accepts(m)) return;   // other rooms and malformed events are ignored
    messages.keepingBottom(() => absorb([m]));
    typists.drop(m.username);
    gaps.note();
  });

  socket.on('message_changed', (m) => {
    if (!timeline.accepts(m)) return;
    messages.keepingBottom(() => absorb([m], { changes: true }));
    gaps.note();
  });

  socket.on('typing', (ev) => {
    if (!ev || ev.room !== ROOM || typeof ev.username !== 'string' || ev.username === ME) return;
    typists.set(ev.username, ev.typing);
  });

  socket.on('presence', (ev) => {
    if (!ev || ev.room !== ROOM || typeof ev.username !== 'string') return;
    members.set(ev.username, ev.online);
    if (!ev.online) typists.drop(ev.username);
  });

  new Composer(form, textarea, {
    onSend(text) {
      notices.clearError();
      ownTyping.stop();
      outbox.send(text, changes.takeReply());
      messages.scrollToBottom();
    },
    onInput: (hasText) => ownTyping.input(hasText),
    onEditLast: () => changes.editLast(),
    onEscape: () => changes.cancelReply(),
  });

  session = new Session(socket, ROOM, { timeline, revs }, {
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
      gaps.afterJoin(ack.has_more);
      outbox.resume();
      originals.fetchWanted();
    },
    onLeft() {
      outbox.disconnected();
      // The server ends our typing on disconnect; others' typing is re-learned live.
      ownTyping.forget();
      typists.clear();
    },
  });

  window.parley = { socket, timeline, revs, outbox };   // for tests and for debugging in the console
  notices.connection('connecting', 'connecting…');
}
