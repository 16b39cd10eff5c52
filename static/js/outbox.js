/*
 * Outbox: the messages typed here that the server has not confirmed yet. No DOM:
 * the page draws each entry from what this says (`onChange`), and
 * tests/js/outbox.test.mjs checks the rules.
 *
 * The rules (docs/protocol.md §8 and §11 step 5):
 * - each message gets its client_id once and keeps it on every attempt, so the
 *   server stores it once however often it is resent;
 * - one message is on its way at a time, oldest first, so a retried or
 *   rate-limited message never lands after one typed later;
 * - no answer or `unavailable`: retry after 1, 2, 4, 8, 16 s, then give up until
 *   the next join; `rate_limited`: wait a little longer each time; `not_joined`:
 *   join again and resend once; any other refusal is final;
 * - after every (re-)join, everything not refused for good goes again with fresh
 *   retry budgets.
 *
 * An entry's phase is queued (waiting its turn), inflight, waiting (backing off),
 * failed, or gone (stored or discarded: the page drops it). `note` is the short
 * status to show, `error` the reason a failed one gave.
 */

import { NO_ANSWER, errorText } from './request.js';

export const MAX_SEND_ATTEMPTS = 6;
export const MAX_RATE_RETRIES = 20;

const WAITING_FOR_CONNECTION = 'waiting for the connection…';

export function newClientId() {
  const { crypto } = globalThis;
  if (crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // randomUUID needs a secure context; a page on plain http still has getRandomValues.
  const bytes = new Uint8Array(16);
  if (crypto && crypto.getRandomValues) crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i += 1) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const noop = () => {};

export class Outbox {
  #entries = new Map();   // client_id -> entry; insertion order is send order

  // transmit(payload) -> Promise<ack>, the `message` event through request();
  // isOnline() says whether the room is joined on a live connection; onSent(entry,
  // message) gets the stored message; onRejoin() asks the page to join again.
  constructor({ room, transmit, isOnline, onChange = noop, onSent = noop, onRejoin = noop, newId = newClientId }) {
    Object.assign(this, { room, transmit, isOnline, onChange, onSent, onRejoin, newId });
  }

  // Queues a new message (a reply to the message at seq `replyTo`, if given) and
  // sends it as soon as it is its turn.
  send(text, replyTo = null) {
    const entry = {
      id: this.newId(), text, replyTo, phase: 'queued', note: this.isOnline() ? 'sending…' : WAITING_FOR_CONNECTION,
      error: '', attempts: 0, rateRetries: 0, retriable: true, rejoined: false, timer: null, token: 0,
    };
    this.#entries.set(entry.id, entry);
    this.onChange(entry);
    this.pump();
    return entry;
  }

  has(clientId) {
    return this.#entries.has(clientId);
  }

  entries() {
    return Array.from(this.#entries.values());
  }

  // The message is stored (its copy came back another way), or the user discards it.
  settle(clientId) {
    const entry = this.#entries.get(clientId);
    if (!entry) return false;
    this.#forget(entry);
    this.#entries.delete(clientId);
    entry.phase = 'gone';
    this.onChange(entry);
    this.pump();
    return true;
  }

  // The user asks for another try of a failed message.
  retry(clientId) {
    const entry = this.#entries.get(clientId);
    if (!entry) return;
    this.#freshBudget(entry);
    this.#requeue(entry, 'sending…');
    this.pump();
  }

  // The connection dropped: answers to what was on its way are lost; all of it
  // waits for the re-join (and goes again with the same client_id).
  disconnected() {
    for (const entry of this.#entries.values()) {
      if (entry.phase !== 'failed') this.#requeue(entry, WAITING_FOR_CONNECTION);
    }
  }

  // The room is joined (again): resend what waits or failed for want of a connection.
  resume() {
    for (const entry of this.#entries.values()) {
      if (entry.phase === 'failed' && !entry.retriable) continue;
      this.#freshBudget(entry);
      this.#requeue(entry, 'sending…');
    }
    this.pump();
  }

  // Sends the oldest queued message unless one is on its way or backing off.
  pump() {
    if (!this.isOnline()) return;
    let next = null;
    for (const entry of this.#entries.values()) {
      if (entry.phase === 'inflight' || entry.phase === 'waiting') return;
      if (!next && entry.phase === 'queued') next = entry;
    }
    if (next) this.#transmit(next);
  }

  #transmit(entry) {
    this.#forget(entry);
    if (this.#entries.get(entry.id) !== entry) return;
    if (!this.isOnline()) {
      this.#requeue(entry, WAITING_FOR_CONNECTION);
      return;
    }
    this.#set(entry, 'inflight', entry.attempts || entry.rateRetries ? 'retrying…' : 'sending…');
    const token = entry.token;
    // The same client_id on every attempt: the server answers a repeat with the stored message.
    const payload = { room: this.room, text: entry.text, client_id: entry.id };
    if (entry.replyTo) payload.reply_to = entry.replyTo;
    this.transmit(payload).then((ack) => {
      if (token === entry.token && this.#entries.get(entry.id) === entry) this.#answer(entry, ack);
    });
  }

  #answer(entry, ack) {
    if (ack.ok) {
      this.settle(entry.id);
      this.onSent(entry, ack.message);
      return;
    }
    const code = ack.error && ack.error.code;
    if (NO_ANSWER.has(code)) this.#backOff(entry, 'the server did not answer');
    else if (code === 'unavailable') this.#backOff(entry, errorText(ack, 'the server is unavailable'));
    else if (code === 'rate_limited') this.#slowDown(entry);
    else if (code === 'not_joined' && !entry.rejoined) {
      // The server forgot this socket's rooms (it restarted, say): join again, then resend once.
      entry.rejoined = true;
      this.#requeue(entry, 'rejoining…');
      this.onRejoin();
    } else this.#fail(entry, errorText(ack, 'The message was refused.'), false);
  }

  #backOff(entry, reason) {
    if (!this.isOnline()) {
      this.#requeue(entry, WAITING_FOR_CONNECTION);   // the re-join resends it
      return;
    }
    entry.attempts += 1;
    if (entry.attempts >= MAX_SEND_ATTEMPTS) {
      this.#fail(entry, 'Not sent: ' + reason + '. It will be retried when the connection comes back.', true);
      return;
    }
    const delay = 1000 * 2 ** (entry.attempts - 1);
    this.#wait(entry, delay, 'not sent yet, retrying in ' + delay / 1000 + 's…');
  }

  #slowDown(entry) {
    entry.rateRetries += 1;
    if (entry.rateRetries > MAX_RATE_RETRIES) {
      this.#fail(entry, 'Not sent: you are sending too fast.', true);
      return;
    }
    // Jitter, so tabs that were limited together do not all come back together.
    const delay = Math.min(5000, 500 * entry.rateRetries) + Math.floor(Math.random() * 250);
    this.#wait(entry, delay, 'sending too fast, waiting…');
  }

  #wait(entry, delay, note) {
    this.#set(entry, 'waiting', note);
    entry.timer = setTimeout(() => this.#transmit(entry), delay);
  }

  #fail(entry, message, retriable) {
    this.#forget(entry);
    entry.retriable = retriable;
    entry.error = message;
    this.#set(entry, 'failed', 'not sent');
    this.pump();   // the next message may still go through
  }

  // Back to the queue; an answer still on its way for the old attempt is ignored.
  #requeue(entry, note) {
    this.#forget(entry);
    this.#set(entry, 'queued', note);
  }

  // Stops the entry's timer and makes any answer still on its way stale.
  #forget(entry) {
    clearTimeout(entry.timer);
    entry.timer = null;
    entry.token += 1;
  }

  #freshBudget(entry) {
    entry.attempts = 0;
    entry.rateRetries = 0;
  }

  #set(entry, phase, note) {
    entry.phase = phase;
    entry.note = note;
    this.onChange(entry);
  }
}
