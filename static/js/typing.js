/*
 * Typing indicators, both ways (docs/protocol.md §11 step 6). No DOM here.
 *
 * Others' `typing: true` lapses after 5 s without renewal (the contract), so we
 * renew ours every 3 s while the user types, and say `typing: false` after 4 s
 * without a keystroke or when the box empties.
 */

export const TYPING_RENEW_MS = 3000;
export const TYPING_IDLE_MS = 4000;
export const TYPING_TTL_MS = 5000;

// Our own typing. emit(flag) sends it and returns whether it could.
export class OwnTyping {
  #active = false;
  #sentAt = 0;
  #idleTimer = null;

  constructor(emit) {
    this.emit = emit;
  }

  // A keystroke; `hasText`: whether the box holds anything but white space.
  input(hasText) {
    if (!hasText) {
      this.stop();
      return;
    }
    const now = Date.now();
    if ((!this.#active || now - this.#sentAt >= TYPING_RENEW_MS) && this.emit(true)) {
      this.#active = true;
      this.#sentAt = now;
    }
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.stop(), TYPING_IDLE_MS);
  }

  stop() {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    if (this.#active) this.emit(false);
    this.#active = false;
  }

  // The connection dropped: the server has ended our typing for us.
  forget() {
    this.#active = false;
  }
}

// Who else is typing, each until their `typing: true` lapses. onChange(names).
export class Typists {
  #expiry = new Map();   // username -> lapse timer

  constructor(onChange) {
    this.onChange = onChange;
  }

  set(name, typing) {
    if (!typing) {
      this.drop(name);
      return;
    }
    clearTimeout(this.#expiry.get(name));
    this.#expiry.set(name, setTimeout(() => this.drop(name), TYPING_TTL_MS));
    this.onChange(this.names());
  }

  drop(name) {
    if (!this.#expiry.has(name)) return;
    clearTimeout(this.#expiry.get(name));
    this.#expiry.delete(name);
    this.onChange(this.names());
  }

  clear() {
    for (const name of this.names()) this.drop(name);
  }

  names() {
    return Array.from(this.#expiry.keys());
  }
}

export function typingText(names) {
  if (names.length === 0) return '';
  if (names.length === 1) return names[0] + ' is typing…';
  if (names.length === 2) return names[0] + ' and ' + names[1] + ' are typing…';
  if (names.length === 3) return names[0] + ', ' + names[1] + ' and ' + names[2] + ' are typing…';
  return 'Several people are typing…';
}
