/*
 * What the page says about itself: the connection badge (#connection, mirrored
 * in #room[data-connection] for styles and tests) and the line under the
 * composer for a message that could not be sent or a room that could not be joined.
 */

export class Notices {
  constructor(root, connectionEl, errorEl) {
    Object.assign(this, { root, connectionEl, errorEl });
  }

  // kind: connecting | online | reconnecting | offline. "reconnecting" carries the
  // "offline" class too, so the styles for being cut off apply to both.
  connection(kind, text) {
    this.root.dataset.connection = kind;
    this.connectionEl.className = 'connection ' + (kind === 'reconnecting' ? 'offline reconnecting' : kind);
    this.connectionEl.textContent = text;
  }

  error(message) {
    this.errorEl.textContent = message;
    this.errorEl.hidden = false;
  }

  clearError() {
    this.errorEl.textContent = '';
    this.errorEl.hidden = true;
  }
}
