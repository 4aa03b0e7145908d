// The seated guest's page: follows the table's live events (Server-Sent Events through the
// gateway), re-fetches the cart/rounds fragment on each and announces what happened in the
// polite live region; sends the cart forms without leaving the page, keeping the keyboard's
// focus where the guest is (on the button pressed, or the part that changed) and never under
// the fixed cart bar or the notices.
import './filter.js';
import { format, liveMessage } from '../live.js';

const body = document.body;
const token = body.dataset.token;
const sessionId = body.dataset.session;
const me = body.dataset.guest;
const strings = JSON.parse(body.dataset.strings || '{}');
// The staff's amendments and refusals of a round change what the page shows too.
const eventTypes = [
  ...new Set([
    ...(body.dataset.events || '').split(',').filter(Boolean),
    'OrderAmended',
    'OrderRejected',
  ]),
];
// Events older than the page are already in it: they refresh nothing and announce nothing.
// (Those of the last two seconds may have been committed after the page read its data: they
// refresh it, silently.)
const renderedAt = Date.parse(body.dataset.rendered || '');
const REFRESH_GRACE_MS = 2000;
const fragmentUrl = `/t/${encodeURIComponent(token)}/fragments/cart`;
const notices = document.getElementById('notices');
const errorBox = document.getElementById('action-error');


function guestNumbers() {
  try {
    return JSON.parse(document.getElementById('live')?.dataset.numbers || '{}');
  } catch {
    return {};
  }
}

function who(guestId) {
  if (guestId && guestId === me) return strings.notice_who_you;
  const n = guestNumbers()[guestId];
  return n ? format(strings.notice_who_guest, { n }) : strings.notice_who_someone;
}

function notify(text) {
  if (!text || !notices) return;
  const item = document.createElement('p');
  item.className = 'notice';
  item.dataset.testid = 'notice';
  item.textContent = text;
  notices.append(item);
  while (notices.children.length > 2) notices.firstElementChild.remove();
  setTimeout(() => item.remove(), 8000);
  keepFocusInSight();
}

// What floats over the bottom of the page: the cart bar, and the notices while they show.
function coveredFrom() {
  let top = window.innerHeight;
  for (const part of document.querySelectorAll('.cart-bar, .notices')) {
    if (part.classList.contains('notices') && !part.children.length) continue;
    const box = part.getBoundingClientRect();
    if (box.height) top = Math.min(top, box.top);
  }
  return top;
}

// The focused element is scrolled above what floats over the page (WCAG 2.2, 2.4.11): CSS
// scroll-padding keeps it above the bar; the notices come and go, so this runs again then.
function keepFocusInSight() {
  const focused = document.activeElement;
  if (!focused || focused === document.body || focused.closest('.cart-bar, .notices')) return;
  const box = focused.getBoundingClientRect();
  const hidden = box.bottom - coveredFrom() + 8;
  if (hidden > 0) window.scrollBy({ top: hidden, behavior: 'instant' });
}

document.addEventListener('focusin', () => requestAnimationFrame(keepFocusInSight));

function showError(message) {
  if (!errorBox) return;
  errorBox.textContent = message;
  errorBox.hidden = false;
}

function clearError() {
  if (errorBox) {
    errorBox.hidden = true;
    errorBox.textContent = '';
  }
}

// Where the focus goes when its button is gone from a part the page re-read: the action just
// done names it (the new round after a confirmation); else the cart's heading.
let focusFallback = '#cart-title';

function swap(html) {
  const template = document.createElement('template');
  template.innerHTML = html;
  const before = document.activeElement;
  const focused = before?.dataset?.focusKey;
  let hadFocus = false;
  for (const fresh of template.content.querySelectorAll('[data-swap][id]')) {
    const old = document.getElementById(fresh.id);
    if (!old) continue;
    hadFocus ||= Boolean(before && old.contains(before));
    old.replaceWith(fresh);
  }
  if (!hadFocus) return;
  // Back on the same control, else on a heading of what changed: never dropped to the page.
  const again = focused && document.querySelector(`[data-focus-key="${CSS.escape(focused)}"]`);
  if (again && !again.disabled) again.focus();
  else (document.querySelector(focusFallback) || document.querySelector('#cart-title'))?.focus();
}

let running = null;
let again = false;

function refresh() {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    do {
      again = false;
      try {
        const answer = await fetch(fragmentUrl, {
          headers: { Accept: 'text/html' },
          credentials: 'same-origin',
          cache: 'no-store',
        });
        if (answer.ok) swap(await answer.text());
      } catch {
        // offline for a moment: the next event or reconnection refreshes again
      }
    } while (again);
  })().finally(() => {
    running = null;
  });
  return running;
}

function productName(data) {
  const name = data.product_name;
  if (!name) return '';
  return name[document.documentElement.lang] || name.en || name.fr || '';
}

function describe(type, data) {
  switch (type) {
    case 'CartItemAdded':
      return data.guest_id === me
        ? ''
        : format(strings.notice_added, { who: who(data.guest_id), item: productName(data) });
    case 'CartItemChanged':
      return data.guest_id === me ? '' : format(strings.notice_changed, { who: who(data.guest_id) });
    case 'CartItemRemoved':
      return data.guest_id === me ? '' : format(strings.notice_removed, { who: who(data.guest_id) });
    case 'OrderPlaced':
    case 'RoundAdded':
      return format(strings.notice_round, { n: data.round_number });
    case 'OrderValidated':
      return format(strings.notice_validated, { n: data.round_number });
    case 'OrderAmended':
      return format(strings.notice_amended, { n: data.round_number });
    case 'OrderRejected':
      return format(strings.notice_rejected, { n: data.round_number });
    case 'SentToProduction':
      return format(strings.notice_production, { n: data.round_number });
    case 'GuestJoined':
      return data.guest_id === me ? '' : format(strings.notice_joined, { who: who(data.guest_id) });
    case 'PaymentSettled':
      return strings.notice_paid;
    case 'PinRotated':
      return body.dataset.role === 'host' ? strings.notice_pin : '';
    default:
      return '';
  }
}

// The POS's decisions reach ordering (which serves the page's order) by its own consumer, maybe
// a moment after the notifier relayed them here: the page is read again shortly after.
const LATE_VIEWS = new Set(['OrderAmended', 'OrderRejected', 'OrderValidated', 'PaymentSettled']);

const seen = new Set();

async function onEvent(event) {
  const message = liveMessage(event, seen);
  if (message === null) return;
  const time = Date.parse(message.time || '');
  if (time < renderedAt - REFRESH_GRACE_MS) return;
  await refresh();
  if (LATE_VIEWS.has(event.type)) {
    for (const delay of [1500, 4000]) setTimeout(refresh, delay);
  }
  if (!(time < renderedAt)) notify(describe(event.type, message.data || {}));
}

function follow() {
  if (!sessionId || !window.EventSource) return;
  const source = new EventSource(`/events/sessions/${encodeURIComponent(sessionId)}`);
  for (const type of eventTypes) source.addEventListener(type, onEvent);
  // After a reconnection the fragment may have missed nothing, but costs little to re-read.
  source.addEventListener('open', () => refresh());
  window.addEventListener('pagehide', () => source.close());
}

function addedProduct(form) {
  return form.closest('[data-testid="product"]')?.querySelector('.product-name')?.textContent || '';
}

const FOCUS_AFTER = { confirm: '#rounds-title' };

document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.action) return;
  event.preventDefault();
  // The button stays focusable while the request runs (a disabled button drops the focus to
  // the page): it says it is busy, and a second press is ignored.
  if (form.dataset.busy) return;
  const button = event.submitter;
  form.dataset.busy = 'true';
  button?.setAttribute('aria-disabled', 'true');
  let done = false;
  try {
    const answer = await fetch(form.action, {
      method: 'POST',
      body: new URLSearchParams(new FormData(form)),
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
    });
    if (answer.ok) {
      clearError();
      done = true;
    } else {
      let message = answer.statusText;
      try {
        message = (await answer.json()).error || message;
      } catch {
        // not JSON: keep the status text
      }
      showError(message);
    }
  } catch {
    showError(errorBox?.dataset.offline || 'Network error');
  } finally {
    delete form.dataset.busy;
    button?.removeAttribute('aria-disabled');
  }
  focusFallback = FOCUS_AFTER[form.dataset.action] || '#cart-title';
  await refresh();
  focusFallback = '#cart-title';
  if (done && form.dataset.action === 'add') {
    notify(format(strings.notice_you_added, { item: addedProduct(form) }));
  }
});

follow();
