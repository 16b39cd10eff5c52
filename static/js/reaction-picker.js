/*
 * The emoji picker a message's React button opens (#reaction-picker, a popover:
 * the browser closes it on Escape and on a click elsewhere). A quick emoji, or
 * any one typed (the server checks it is one), goes to onPick(seq, emoji) for
 * the message it was opened for.
 */

const GAP_PX = 4;

export class ReactionPicker {
  #seq = 0;
  #opener = null;

  constructor(el, onPick) {
    Object.assign(this, { el, onPick });
    this.input = el.querySelector('input');
    el.addEventListener('click', (ev) => {
      const quick = ev.target.closest('button[data-emoji]');
      if (quick) this.#pick(quick.dataset.emoji);
    });
    el.querySelector('form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (this.input.value.trim()) this.#pick(this.input.value.trim());
    });
    // Closed by Escape or a pick: the focus goes back to the React button, not to the page's top.
    el.addEventListener('toggle', (ev) => {
      if (ev.newState !== 'closed') return;
      this.input.value = '';
      const focus = document.activeElement;
      if (this.#opener && this.#opener.isConnected && (!focus || focus === document.body || el.contains(focus))) {
        this.#opener.focus();
      }
    });
  }

  open(opener, seq) {
    this.#seq = seq;
    this.#opener = opener;
    this.el.showPopover();
    this.#place(opener.getBoundingClientRect());
    this.el.querySelector('button[data-emoji]').focus();
  }

  // Below the button (above it when there is no room below), kept inside the window.
  #place(anchor) {
    const { width, height } = this.el.getBoundingClientRect();
    const left = Math.min(Math.max(GAP_PX, anchor.right - width), window.innerWidth - width - GAP_PX);
    const below = anchor.bottom + GAP_PX;
    const top = below + height <= window.innerHeight ? below : Math.max(GAP_PX, anchor.top - height - GAP_PX);
    this.el.style.left = Math.max(GAP_PX, left) + 'px';
    this.el.style.top = top + 'px';
  }

  #pick(emoji) {
    const seq = this.#seq;
    this.el.hidePopover();
    this.onPick(seq, emoji);
  }
}
