/*
 * Drawers on small screens: the sidebar and the member list slide in from the
 * sides, each opened by its visible toggle (aria-controls, aria-expanded), closed
 * by the toggle, Escape, a click beside it, or a new page. On wide screens the
 * toggles are hidden and the panels always shown (app.css).
 */

export function wireDrawers(listeners) {
  const backdrop = document.querySelector('.drawer-backdrop');
  const toggles = () => Array.from(document.querySelectorAll('[data-drawer]'));

  function close() {
    for (const toggle of toggles()) {
      const panel = document.getElementById(toggle.dataset.drawer);
      if (panel) panel.classList.remove('open');
      toggle.setAttribute('aria-expanded', 'false');
    }
    if (backdrop) backdrop.hidden = true;
  }

  function open(toggle) {
    const panel = document.getElementById(toggle.dataset.drawer);
    if (!panel) return;
    close();
    panel.classList.add('open');
    toggle.setAttribute('aria-expanded', 'true');
    if (backdrop) backdrop.hidden = false;
    const first = panel.querySelector('a, button, input');
    if (first) first.focus();
  }

  listeners.on(document, 'click', (ev) => {
    const toggle = ev.target.closest('[data-drawer]');
    if (toggle) {
      if (toggle.getAttribute('aria-expanded') === 'true') close();
      else open(toggle);
    } else if (ev.target === backdrop) {
      close();
    }
  });
  listeners.on(document, 'keydown', (ev) => {
    if (ev.key !== 'Escape' || !document.querySelector('.open[id]')) return;
    const toggle = toggles().find((t) => t.getAttribute('aria-expanded') === 'true');
    close();
    if (toggle) toggle.focus();
  });
  return close;
}
