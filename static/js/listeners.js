/*
 * Event listeners that go with what added them. No DOM: anything with on/off
 * (a Socket.IO socket) or addEventListener/removeEventListener (window,
 * document) will do. A page's parts add theirs through one of these and drop them
 * all when Turbo takes the page away; the connection stays.
 */

export class Listeners {
  #added = [];

  on(target, event, handler) {
    if (typeof target.on === 'function') target.on(event, handler);
    else target.addEventListener(event, handler);
    this.#added.push([target, event, handler]);
    return handler;
  }

  // Removes every listener added here; the targets keep everyone else's.
  clear() {
    for (const [target, event, handler] of this.#added.splice(0)) {
      if (typeof target.off === 'function') target.off(event, handler);
      else target.removeEventListener(event, handler);
    }
  }

  get size() {
    return this.#added.length;
  }
}
