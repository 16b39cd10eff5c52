/*
 * Session: the page's Socket.IO connection and its place in the room. No DOM:
 * what it has to say goes through the hooks.
 *
 * A new connection is a new socket in no room, so every connect joins again with
 * `since` = the timeline's contiguous seq and `since_rev` = the last rev without
 * a hole (docs/protocol.md §11 steps 4 and 6); the answer's `last_rev` becomes
 * the page's. A busy server (`timeout`, `unavailable`) is retried with back-off;
 * a refusal is final. Only one join counts: an answer to a join from an older
 * connection is dropped.
 */

import { request, errorText } from './request.js';
import { Listeners } from './listeners.js';

const JOIN_TIMEOUT_MS = 10000;
const MAX_JOIN_DELAY_MS = 30000;
const SERVER_DISCONNECT_RETRY_MS = 2000;

export class Session {
  joined = false;
  #generation = 0;
  #failures = 0;
  #retryTimer = null;

  // timeline: the room's messages (timeline.js); revs: its RevTracker (revs.js).
  // Hooks: onStatus(kind, text) with kind connecting | online | reconnecting | offline;
  // onJoined(ack) once the room is joined; onLeft() when the connection drops;
  // onRefused(message) when the server will not have us; onStartOver() when what
  // the page holds cannot be brought up to date: the room's history is shorter
  // than it (a restored database), or more changed while away than a join lists.
  // listeners (listeners.js): the socket's listeners go with the page; the socket
  // may already be connected (the shell's, kept across pages), then it joins at once.
  constructor(socket, room, { timeline, revs, listeners = new Listeners() }, hooks) {
    Object.assign(this, { socket, room, timeline, revs }, hooks);
    listeners.on(socket, 'connect', () => this.join());
    listeners.on(socket, 'disconnect', (reason) => this.#dropped(reason));
    listeners.on(socket, 'connect_error', (err) => {
      // socket.active: the manager keeps retrying (network trouble). Otherwise the
      // server refused us (the session ended, say) and retrying cannot help.
      if (socket.active) this.onStatus('reconnecting', 'you are offline, reconnecting…');
      else this.onStatus('offline', 'offline: ' + ((err && err.message) || 'connection refused') + '. Log in again, then reload.');
    });
  }

  // A page shown on a connection that is already up joins at once.
  start() {
    if (this.socket.connected) this.join();
  }

  // The page goes (another one is shown): no more joins; the socket leaves the room,
  // so that its activity reaches this tab's sidebar again. The connection stays.
  close() {
    this.#generation += 1;
    clearTimeout(this.#retryTimer);
    this.closed = true;
    if (this.joined && this.socket.connected) request(this.socket, 'leave', { room: this.room });
    this.joined = false;
  }

  // Joined on a live connection: events for the room may be sent.
  online() {
    return this.joined && this.socket.connected;
  }

  async join() {
    if (this.closed) return;
    const generation = ++this.#generation;
    clearTimeout(this.#retryTimer);
    this.joined = false;
    this.onStatus('connecting', 'connecting…');
    const payload = { room: this.room, since: this.timeline.contiguous, since_rev: this.revs.last };
    const ack = await request(this.socket, 'join', payload, { timeout: JOIN_TIMEOUT_MS });
    if (generation !== this.#generation || !this.socket.connected) return;   // a newer connection took over
    if (!ack.ok) {
      this.#refused(ack);
      return;
    }
    this.#failures = 0;
    if (this.timeline.outlives(ack.last_seq) || ack.changes_truncated === true) {
      this.onStartOver();
      return;
    }
    this.revs.joined(ack.last_rev);
    this.joined = true;
    this.onStatus('online', 'online');
    this.onJoined(ack);
  }

  #refused(ack) {
    const code = ack.error && ack.error.code;
    if (code === 'timeout' || code === 'unavailable') {
      const delay = Math.min(MAX_JOIN_DELAY_MS, 1000 * 2 ** this.#failures++);
      this.onStatus('reconnecting', 'server busy: retrying in ' + Math.round(delay / 1000) + 's…');
      this.#retryTimer = setTimeout(() => {
        if (this.socket.connected) this.join();
      }, delay);
      return;
    }
    const message = errorText(ack, 'Could not join this room.');
    this.onStatus('offline', 'offline: ' + message);
    this.onRefused(message);
  }

  #dropped(reason) {
    this.joined = false;
    this.#generation += 1;
    clearTimeout(this.#retryTimer);
    this.onLeft();
    if (reason === 'io server disconnect') {
      // The server closed us on purpose; socket.io will not retry by itself. Try once more shortly.
      this.onStatus('reconnecting', 'disconnected by the server, reconnecting…');
      setTimeout(() => {
        if (!this.closed && !this.socket.connected) this.socket.connect();
      }, SERVER_DISCONNECT_RETRY_MS);
    } else {
      this.onStatus('reconnecting', 'you are offline, reconnecting…');
    }
  }
}
