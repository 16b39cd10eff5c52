/*
 * Entry point of the room page (/r/<slug>): live updates over Socket.IO on top of
 * the server-rendered page, which works without this script (messages rendered
 * by the server, a plain form that posts). This file only wires the parts
 * together: the rules live in timeline.js, outbox.js, gaps.js, typing.js and
 * session.js (no DOM), the drawing in the views.
 */

import { byId } from './dom.js';
import { request } from './request.js';
import { Timeline, toSeq } from './timeline.js';
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

const root = byId('room');
const ROOM = root.dataset.room;
const ME = root.dataset.username;

const timeline = new Timeline(ROOM, {
  lastSeq: toSeq(root.dataset.lastSeq),
  firstSeq: toSeq(root.dataset.firstSeq),
  hasOlder: root.dataset.hasMore === 'true',
});
const messages = new MessageList(byId('messages'), timeline, ME);
const notices = new Notices(root, byId('connection'), byId('send-error'));

messages.adopt();   // room-seen.js has marked these seen already
messages.scrollToBottom();

if (typeof window.io === 'function') goLive(window.io);
// Else the client library did not load: the page stays a plain, working form.
else notices.connection('offline', 'offline: live updates unavailable, reload to see new messages');

function goLive(io) {
  // WebSocket first so several server processes need no sticky sessions; fall back to polling.
  const socket = io({ transports: ['websocket', 'polling'], tryAllTransports: true });
  const members = new MemberList(byId('members'), byId('members-count'), ME);
  const typingEl = byId('typing');
  const typists = new Typists((names) => {
    typingEl.textContent = typingText(names);
  });

  let session = null;   // made last: its first join needs everything below
  const online = () => session.online();

  const gaps = new GapRepair({
    timeline,
    fetchAfter: (after, limit) => request(socket, 'history', { room: ROOM, after, limit }),
    absorb: (list) => messages.keepingBottom(() => absorb(list)),
    isJoined: () => session.joined,
  });

  const pendingView = new PendingView(messages.el, ME, {
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

  // Stores messages from any source into the timeline and draws what changed.
  function absorb(list) {
    if (!Array.isArray(list)) return;
    for (const m of list) {
      if (!timeline.accepts(m)) continue;
      // Our own message may come back through history or a join after a lost ack:
      // it replaces the copy being sent rather than showing twice.
      if (m.username === ME && m.client_id) outbox.settle(m.client_id);
      if (timeline.upsert(m)) messages.show(m);
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

  socket.on('typing', (ev) => {
    if (!ev || ev.room !== ROOM || typeof ev.username !== 'string' || ev.username === ME) return;
    typists.set(ev.username, ev.typing);
  });

  socket.on('presence', (ev) => {
    if (!ev || ev.room !== ROOM || typeof ev.username !== 'string') return;
    members.set(ev.username, ev.online);
    if (!ev.online) typists.drop(ev.username);
  });

  const form = byId('message-form');
  const textarea = form && form.querySelector('textarea');
  if (textarea) {
    new Composer(form, textarea, {
      onSend(text) {
        notices.clearError();
        ownTyping.stop();
        outbox.send(text);
        messages.scrollToBottom();
      },
      onInput: (hasText) => ownTyping.input(hasText),
    });
  }

  wireLoadOlder(byId('load-older'), {
    timeline,
    messages,
    fetchBefore: (before, limit) => request(socket, 'history', { room: ROOM, before, limit }),
    absorb,
    onError: (message) => notices.error(message),
  });

  session = new Session(socket, ROOM, timeline, {
    onStatus: (kind, text) => notices.connection(kind, text),
    onRefused: (message) => notices.error(message),
    onOutlived: () => window.location.reload(),   // start over from what the server has
    onJoined(ack) {
      if (Array.isArray(ack.members)) members.update(ack.members);
      messages.keepingBottom(() => absorb(ack.messages));
      timeline.noteLastSeq(ack.last_seq);
      gaps.afterJoin(ack.has_more);
      outbox.resume();
    },
    onLeft() {
      outbox.disconnected();
      // The server ends our typing on disconnect; others' typing is re-learned live.
      ownTyping.forget();
      typists.clear();
    },
  });

  window.parley = { socket, timeline, outbox };   // for tests and for debugging in the console
  notices.connection('connecting', 'connecting…');
}
