/*
 * The app shell: the one module every page loads. Turbo (Hotwire's, vendored from
 * the lockfile) swaps server-rendered pages in place, so this module and its
 * Socket.IO connection live as long as the tab: switching rooms keeps the
 * connection, every URL and the back button still work, and a page is always
 * what the server rendered (no snapshot of a chat page is shown again).
 *
 * On each page it mounts what the page needs (the room, the directory's search
 * as you type, the drawers) and takes it apart before Turbo shows the next one.
 * Across pages it keeps the sidebar's counts live (activity, read), the title's
 * mention count and the notifications.
 */

import * as Turbo from '/vendor/turbo.js';
import { byId } from './dom.js';
import { Listeners } from './listeners.js';
import { Sidebar } from './sidebar.js';
import { Notifier } from './notify.js';
import { mountRoom } from './room-page.js';
import { wireDrawers } from './drawers.js';
import { wireDirectory } from './directory.js';

const sidebar = new Sidebar();
const notifier = new Notifier({ open: (url) => Turbo.visit(url) });
let socket = null;       // the tab's connection, for the user it was opened as
let socketUser = null;
let mounted = null;      // { body, listeners, unmount[] } of the page shown

function connect(user) {
  if (socket && socketUser === user) return socket;
  if (socket) socket.disconnect();   // another login in this tab: a connection of its own
  // WebSocket first so several server processes need no sticky sessions; fall back to polling.
  socket = window.io({ transports: ['websocket', 'polling'], tryAllTransports: true });
  socketUser = user;
  socket.on('activity', (ev) => {
    sidebar.activity(ev, user);
    if (ev && ev.mention === true && ev.username !== user && Number.isInteger(ev.last_seq)) {
      notifier.mention({
        room: ev.room,
        seq: ev.last_seq,
        title: 'You were mentioned in ' + sidebar.label(ev.room),
        body: 'Open Parley to read it.',
        openRoom: openRoom(),
      });
    }
  });
  // A membership ended, or a room was renamed, archived or restored: the lists follow.
  socket.on('membership_ended', (ev) => {
    if (ev && typeof ev.room === 'string') sidebar.ended(ev.room);
  });
  socket.on('room_changed', (ev) => sidebar.changed(ev));
  socket.on('read', (ev) => {
    if (ev && typeof ev.room === 'string') sidebar.read(ev.room, ev.last_read_seq);
  });
  socket.on('presence', (ev) => sidebar.presence(ev, user));
  socket.on('disconnect', () => sidebar.connection(false));
  // Events from before a connection (the page's render came first) or missed while cut
  // off are not sent again: on every connect the counts (and presence) are asked afresh.
  socket.on('connect', () => {
    sidebar.connection(true);
    sidebar.reload();
  });
  return socket;
}

const openRoom = () => (byId('room') ? byId('room').dataset.room : null);

// What the room page tells the shell.
const roomHooks = {
  read: (room, mark) => sidebar.read(room, mark),
  seen: (room, seq) => sidebar.seen(room, seq),
  announce(text) {
    const announcer = byId('announcer');
    if (announcer) announcer.textContent = text;
  },
  mentioned(m) {
    notifier.mention({
      room: m.room,
      seq: m.seq,
      title: m.username + ' mentioned you in ' + sidebar.label(m.room),
      body: String(m.text || '').slice(0, 200),
      openRoom: openRoom(),
    });
  },
};

function mountPage() {
  if (mounted && mounted.body === document.body) return;   // turbo:load after turbo:render
  unmountPage();
  const listeners = new Listeners();
  mounted = { body: document.body, listeners, unmount: [] };
  const user = document.body.dataset.user;
  const live = user && typeof window.io === 'function' ? connect(user) : null;
  if (!user && socket) {
    socket.disconnect();
    socket = null;
  }
  const nav = byId('sidebar');
  if (nav) {
    sidebar.attach(nav);
    notifier.attach(byId('enable-notifications'));
  }
  mounted.unmount.push(wireDrawers(listeners));
  const room = byId('room');
  if (room && live) mounted.unmount.push(mountRoom(room, live, roomHooks));
  else if (room) room.dataset.connection = 'offline';
  // The directory, and the settings page's "Add a member" search: the same search as you type.
  for (const id of ['people-search', 'member-search']) {
    const search = byId(id);
    if (search) mounted.unmount.push(wireDirectory(search, listeners));
  }
}

function unmountPage() {
  if (!mounted) return;
  for (const undo of mounted.unmount) undo();
  mounted.listeners.clear();
  mounted = null;
}

// For tests and for debugging in the console.
window.parleyShell = { socket: () => socket, sidebar };

document.addEventListener('turbo:before-render', unmountPage);
document.addEventListener('turbo:render', mountPage);
document.addEventListener('turbo:load', mountPage);
