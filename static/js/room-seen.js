/*
 * Marks what the server rendered into the room page as seen, for the unread
 * markers on the room list (seen.js). An async entry point of its own, with one
 * small import the page preloads: it runs as soon as it has loaded, as room.js
 * used to, rather than after the live client's many modules, so someone who
 * opens a room and leaves at once has still seen what it showed.
 */

import { writeSeen } from './seen.js';

const root = document.getElementById('room');
if (root) writeSeen(root.dataset.username, root.dataset.room, Number.parseInt(root.dataset.lastSeq, 10) || 0);
