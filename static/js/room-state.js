/*
 * What the room page shows of the room itself, kept live: its name and topic
 * (room_changed), archived (read-only: the composer goes, a note says why), and
 * the reader's membership ending (membership_ended: removed, left in another
 * tab, or the room deleted), after which the page stops joining the room and
 * says so. Names and topics are written as text.
 */

import { byId } from './dom.js';

const ENDED = {
  removed: 'You were removed from this room: you are no longer a member.',
  left: 'You left this room: you are no longer a member.',
  deleted: 'This room was deleted: you are no longer a member.',
};

// room: the slug; onEnded(): the page stops its session (no more joins).
export function wireRoomState(socket, listeners, { room, onEnded }) {
  listeners.on(socket, 'room_changed', (ev) => {
    if (!ev || ev.slug !== room) return;
    showRoom(ev);
  });
  listeners.on(socket, 'membership_ended', (ev) => {
    if (!ev || ev.room !== room) return;
    const note = byId('membership-ended');
    note.textContent = ENDED[ev.reason] || ENDED.removed;
    note.hidden = false;
    byId('message-form').hidden = true;
    onEnded();
  });
}

export function showRoom(ev) {
  if (typeof ev.name === 'string') {
    const title = byId('room-title');
    const old = title.textContent;
    title.textContent = ev.name;
    if (document.title.includes(old)) document.title = document.title.replace(old, ev.name);
  }
  if (typeof ev.topic === 'string') {
    const topic = byId('room-topic');
    topic.textContent = ev.topic;
    topic.hidden = !ev.topic;
  }
  if (typeof ev.archived === 'boolean') {
    byId('archived-note').hidden = !ev.archived;
    // A page whose membership ended keeps its composer hidden.
    if (byId('membership-ended').hidden) byId('message-form').hidden = ev.archived;
  }
}
