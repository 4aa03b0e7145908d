// The POS console: follows the venue's live feed (Server-Sent Events through the gateway, which
// adds this device's credential), re-reads the parts of the console an event touches, and sends
// the console's forms without leaving the page. Without this script every link and form still
// works, one page load at a time.
import { format, liveMessage } from './live.js';

const body = document.body;
const venue = body.dataset.venue;
const myDevice = body.dataset.device;
const csrf = body.dataset.csrf;
const strings = JSON.parse(body.dataset.strings || '{}');
const eventTypes = (body.dataset.events || '').split(',').filter(Boolean);
// Events older than the page are already in it (those of the last seconds may have been
// committed after the page read its data: they refresh it, without a notice).
const renderedAt = Date.parse(body.dataset.rendered || '');
const REFRESH_GRACE_MS = 3000;
const LAST_EVENT_KEY = `convive.pos.last-event.${venue}.${myDevice}`;
const notices = document.getElementById('notices');
const liveState = document.getElementById('live-state');


// --- what the console shows: its state is its URL ------------------------------------------------

const state = {
  view: body.dataset.view || 'orders',
  order: body.dataset.order || '',
  show: body.dataset.show || 'open',
  station: body.dataset.station || '',
  split: body.dataset.split || '', // an equal split being paid: its number of shares…
  paid: body.dataset.paid || '', // …and how many of them are paid
};

function query(extra = {}) {
  const params = new URLSearchParams();
  const all = { ...state, ...extra };
  if (all.view && all.view !== 'orders') params.set('view', all.view);
  if (all.order) params.set('order', all.order);
  if (all.show === 'all') params.set('show', 'all');
  if (all.station) params.set('station', all.station);
  if (all.split) params.set('split', all.split);
  if (all.split && all.paid) params.set('paid', all.paid);
  const text = params.toString();
  return text ? `?${text}` : '';
}

// --- notices, messages ---------------------------------------------------------------------------

function notify(text) {
  if (!text || !notices) return;
  const item = document.createElement('p');
  item.className = 'notice';
  item.dataset.testid = 'notice';
  item.textContent = text;
  notices.append(item);
  while (notices.children.length > 3) notices.firstElementChild.remove();
  setTimeout(() => item.remove(), 8000);
}

function orderMessage(text, kind) {
  const box = document.getElementById('order-message');
  if (!box) {
    notify(text);
    return;
  }
  box.textContent = text;
  box.className = `message message-${kind}`;
  box.hidden = !text;
}

function setLive(mode) {
  if (!liveState) return;
  liveState.dataset.state = mode;
  const label = liveState.querySelector('.live-text');
  if (label) {
    label.textContent = { live: strings.live_on, revoked: strings.live_revoked }[mode] || strings.live_off;
  }
}

let revoked = false;

function showRevoked() {
  if (revoked) return;
  revoked = true;
  setLive('revoked');
  if (source) source.close();
  const box = document.getElementById('revoked');
  if (box) {
    box.hidden = false;
    // Nothing behind the notice can be used any more: the device's calls are refused.
    for (const part of document.querySelectorAll('main, .tabs')) part.inert = true;
    box.querySelector('a')?.focus(); // the alert is read out, and the way on is at hand
  }
}

// --- re-reading parts of the console -------------------------------------------------------------

function cardTokens(root) {
  for (const form of root.querySelectorAll('form')) {
    const token = form.querySelector('[data-card-token]');
    if (!token) continue;
    const method = form.querySelector('input[name="method"]:checked');
    token.hidden = !method || method.value !== 'card';
    const input = token.querySelector('input');
    if (input) input.required = !token.hidden;
  }
}

function keyOf(element) {
  const round = element.closest('[data-round]')?.dataset.round || '';
  const share = element.closest('[data-share]')?.dataset.share || '';
  return `${element.dataset.testid || element.className}|${round}|${share}`;
}

// What the cashier was doing in a part being replaced: open panels, typed values, the focus.
function keepWork(old, fresh) {
  const open = new Set([...old.querySelectorAll('details[open]')].map(keyOf));
  for (const details of fresh.querySelectorAll('details')) {
    if (open.has(keyOf(details))) details.open = true;
  }
  for (const form of old.querySelectorAll('form[data-dirty]')) {
    const twin = [...fresh.querySelectorAll('form')].find(
      (f) => f.getAttribute('action') === form.getAttribute('action') && keyOf(f) === keyOf(form),
    );
    if (!twin) continue;
    twin.dataset.dirty = 'true';
    for (const field of form.elements) {
      if (!field.name || field.name === 'csrf_token' || field.type === 'hidden') continue;
      const match = [...twin.elements].find(
        (f) => f.name === field.name && (f.type !== 'radio' && f.type !== 'checkbox' ? true : f.value === field.value),
      );
      if (!match) continue;
      if (field.type === 'radio' || field.type === 'checkbox') match.checked = field.checked;
      else match.value = field.value;
    }
  }
  // The answer to the cashier's last action stays while the same order is shown.
  const said = old.querySelector('#order-message');
  const slot = fresh.querySelector('#order-message');
  if (said && slot && !said.hidden && old.dataset.orderId === fresh.dataset.orderId) {
    slot.replaceWith(said.cloneNode(true));
  }
  const focused = document.activeElement;
  if (focused && old.contains(focused) && focused.id) {
    return focused.id;
  }
  return null;
}

function swap(html) {
  const template = document.createElement('template');
  template.innerHTML = html;
  for (const fresh of template.content.querySelectorAll('[data-swap][id]')) {
    const old = document.getElementById(fresh.id);
    if (!old) continue;
    const focusId = keepWork(old, fresh);
    old.replaceWith(fresh);
    cardTokens(fresh);
    if (focusId) document.getElementById(focusId)?.focus();
  }
}

const running = new Map();

async function load(part, extra = {}) {
  const url = `/pos/fragments/${part}${query(extra)}`;
  const answer = await fetch(url, {
    // `X-Requested-With` makes a refusal JSON, not the login page.
    headers: { Accept: 'text/html', 'X-Requested-With': 'fetch' },
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (answer.status === 401) {
    let reason = '';
    try {
      reason = (await answer.json()).reason || '';
    } catch {
      // not JSON
    }
    if (reason === 'device_revoked') showRevoked();
    else window.location.reload(); // signed out: the page sends to the login
    return false;
  }
  if (!answer.ok) return false;
  swap(await answer.text());
  return true;
}

// One refresh of a part at a time; asked again while running, it runs once more after.
function refresh(part) {
  if (!document.getElementById(partId(part))) return Promise.resolve(false);
  const current = running.get(part);
  if (current) {
    current.again = true;
    return current.promise;
  }
  const entry = { again: false };
  entry.promise = (async () => {
    let ok = false;
    do {
      entry.again = false;
      try {
        ok = await load(part);
      } catch {
        ok = false; // offline for a moment: the next event or reconnection refreshes again
      }
    } while (entry.again && !revoked);
    return ok;
  })().finally(() => running.delete(part));
  running.set(part, entry);
  return entry.promise;
}

function partId(part) {
  return { orders: 'order-list', order: 'order-detail', tickets: 'tickets', tables: 'tables' }[part];
}

function listedOrders() {
  const list = document.getElementById('order-list');
  return new Set((list?.dataset.orderIds || '').split(' ').filter(Boolean));
}

function spotOf(orderId) {
  const item = orderId
    ? document.querySelector(`[data-testid="order-item"][data-order-id="${CSS.escape(orderId)}"]`)
    : null;
  return item?.dataset.spot || strings.unknown_spot;
}

// --- the live feed ---------------------------------------------------------------------------------

const ORDER_EVENTS = new Set([
  'OrderPlaced',
  'RoundAdded',
  'OrderValidated',
  'OrderAmended',
  'OrderRejected',
  'SentToProduction',
  'PaymentSettled',
  'OrderClosed',
]);
const TABLE_EVENTS = new Set(['SessionOpened', 'GuestJoined', 'PinRotated', 'SessionClosed', 'SpotReleased']);

const seen = new Set();
let waitingFor = new Set(); // orders an event named that the POS's list does not show yet
let pendingParts = new Set();
let pendingNotices = [];
let flushTimer = null;
let settleTimer = null;

function schedule(parts, notice) {
  for (const part of parts) pendingParts.add(part);
  if (notice) pendingNotices.push(notice);
  if (!flushTimer) flushTimer = setTimeout(flush, 120);
}

async function flush() {
  flushTimer = null;
  const parts = [...pendingParts];
  const words = pendingNotices;
  pendingParts = new Set();
  pendingNotices = [];
  await Promise.all(parts.map((part) => refresh(part)));
  for (const word of words) notify(word());
  // The services learn of an event a moment after the notifier relays it: read again shortly,
  // and keep reading while an order the feed named is not in the list yet.
  clearTimeout(settleTimer);
  settleTimer = setTimeout(() => settle(parts, 0), 1500);
}

async function settle(parts, tries) {
  await Promise.all(parts.map((part) => refresh(part)));
  const listed = listedOrders();
  waitingFor = new Set([...waitingFor].filter((id) => !listed.has(id)));
  if (waitingFor.size && tries < 10) {
    settleTimer = setTimeout(() => settle(['orders'], tries + 1), 1000);
  }
}

function describe(type, data) {
  const n = data.round_number;
  const spot = () => data.spot_name || spotOf(data.order_id);
  const mine = data.device_id && data.device_id === myDevice;
  switch (type) {
    case 'OrderPlaced':
      return () => format(strings.notice_new_order, { spot: spot() });
    case 'RoundAdded':
      return () => format(strings.notice_new_round, { spot: spot() });
    case 'OrderValidated':
      return mine ? null : () => format(strings.notice_validated, { n, who: data.validated_by || strings.notice_someone, spot: spot() });
    case 'OrderAmended':
      return mine ? null : () => format(strings.notice_amended, { n, who: data.amended_by || strings.notice_someone, spot: spot() });
    case 'OrderRejected':
      return mine ? null : () => format(strings.notice_rejected, { n, who: data.rejected_by || strings.notice_someone, spot: spot() });
    case 'PaymentSettled':
      return mine ? null : () => format(strings.notice_paid, { spot: spot() });
    default:
      return null;
  }
}

function onEvent(event) {
  if (event.lastEventId) {
    try {
      localStorage.setItem(LAST_EVENT_KEY, event.lastEventId);
    } catch {
      // private mode: resuming within this page still works (EventSource keeps the id)
    }
  }
  const message = liveMessage(event, seen);
  if (message === null) return;
  const type = event.type;
  const data = message.data || {};
  if (type === 'DeviceRevoked') {
    if (data.device_id === myDevice) showRevoked();
    return;
  }
  const time = Date.parse(message.time || '');
  if (time < renderedAt - REFRESH_GRACE_MS) return;
  const fresh = !(time < renderedAt);
  const parts = [];
  if (ORDER_EVENTS.has(type)) {
    parts.push('orders');
    if (data.order_id && data.order_id === state.order) parts.push('order');
    if (type === 'SentToProduction') parts.push('tickets');
    if ((type === 'OrderPlaced' || type === 'RoundAdded') && data.order_id) {
      waitingFor.add(data.order_id);
      highlight.add(data.order_id);
    }
  }
  if (TABLE_EVENTS.has(type)) {
    parts.push('tables');
    if (type === 'PinRotated' && state.order) parts.push('order');
  }
  schedule(parts, fresh ? describe(type, data) : null);
}

const highlight = new Set();
new MutationObserver(() => {
  for (const id of [...highlight]) {
    const item = document.querySelector(`[data-testid="order-item"][data-order-id="${CSS.escape(id)}"]`);
    if (item) {
      item.classList.add('fresh');
      highlight.delete(id);
    }
  }
}).observe(document.getElementById('main') || body, { childList: true, subtree: true });

let source = null;
let retryDelay = 1000;

function storedLastEvent() {
  try {
    return localStorage.getItem(LAST_EVENT_KEY) || '';
  } catch {
    return '';
  }
}

function follow() {
  if (!venue || !window.EventSource || revoked) return;
  const last = storedLastEvent();
  const url = `/events/venues/${encodeURIComponent(venue)}${last ? `?last_event_id=${encodeURIComponent(last)}` : ''}`;
  source = new EventSource(url);
  for (const type of eventTypes) source.addEventListener(type, onEvent);
  source.addEventListener('open', () => {
    setLive('live');
    retryDelay = 1000;
    // What happened while the stream was down is replayed, but re-reading costs little.
    schedule(['orders', ...(state.order ? ['order'] : [])]);
  });
  source.addEventListener('error', () => {
    if (revoked) return;
    setLive('connecting');
    if (source.readyState === EventSource.CLOSED) {
      // The gateway or the notifier refused the stream (not a dropped connection, which the
      // browser retries by itself): revoked, signed out, or a moment of unavailability.
      source.close();
      checkDevice();
    }
  });
}

async function checkDevice() {
  try {
    const answer = await fetch('/pos/device', { credentials: 'same-origin', cache: 'no-store' });
    const status = await answer.json();
    if (status.revoked || !status.paired) {
      showRevoked();
      return;
    }
    if (!status.signed_in) {
      window.location.reload();
      return;
    }
  } catch {
    // offline: try again below
  }
  setTimeout(follow, retryDelay);
  retryDelay = Math.min(retryDelay * 2, 30000);
}

// --- choosing an order (without reloading the page) -----------------------------------------------

async function openOrder(orderId, { push = true, split = '', paid = '' } = {}) {
  state.order = orderId;
  state.split = split;
  state.paid = paid;
  body.dataset.order = orderId;
  body.classList.toggle('has-order', Boolean(orderId));
  if (push) history.pushState({ order: orderId }, '', `/pos${query()}`);
  for (const item of document.querySelectorAll('[data-testid="order-item"]')) {
    const selected = item.dataset.orderId === orderId;
    item.classList.toggle('selected', selected);
    const link = item.querySelector('a');
    if (selected) link?.setAttribute('aria-current', 'true');
    else link?.removeAttribute('aria-current');
  }
  try {
    await load('order');
  } catch {
    orderMessage(strings.network_error, 'error');
  }
  const detail = document.getElementById('order-detail');
  if (detail && orderId) {
    detail.focus({ preventScroll: true });
    if (window.matchMedia('(max-width: 760px)').matches) window.scrollTo(0, 0);
  }
}

document.addEventListener('click', (event) => {
  const link = event.target.closest?.('a[data-order-link], a[data-back]');
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) return;
  event.preventDefault();
  if (link.dataset.back !== undefined) {
    openOrder('');
    document.querySelector('[data-testid="order-item"].selected a, [data-order-link]')?.focus();
  } else {
    openOrder(link.dataset.orderLink);
  }
});

window.addEventListener('popstate', () => {
  const params = new URLSearchParams(window.location.search);
  openOrder(params.get('order') || '', {
    push: false,
    split: params.get('split') || '',
    paid: params.get('paid') || '',
  });
});

// --- sending the console's forms ----------------------------------------------------------------

document.addEventListener('input', (event) => {
  const form = event.target.closest?.('form');
  if (form) form.dataset.dirty = 'true';
});

document.addEventListener('change', (event) => {
  if (event.target.name === 'method') cardTokens(event.target.form || document);
  // A filter applies as soon as it is chosen (its button stays for keyboards without scripts).
  if (event.target.form?.dataset.autosubmit !== undefined) event.target.form.requestSubmit();
});

document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.action || revoked) return;
  event.preventDefault();
  if (form.dataset.action === 'split') {
    const parts = new FormData(form).get('split') || '';
    openOrder(state.order, { split: String(parts) });
    return;
  }
  const button = event.submitter;
  if (button) button.disabled = true;
  let ok = false;
  try {
    const answer = await fetch(form.action, {
      method: 'POST',
      body: new URLSearchParams(new FormData(form)),
      headers: { Accept: 'application/json', 'X-CSRF-Token': csrf },
      credentials: 'same-origin',
    });
    let reply = {};
    try {
      reply = await answer.json();
    } catch {
      reply = { error: answer.statusText };
    }
    if (answer.status === 401 && reply.reason === 'device_revoked') {
      showRevoked();
      return;
    }
    if (answer.status === 401) {
      window.location.reload();
      return;
    }
    ok = answer.ok;
    if (ok) {
      // Spent: the re-read form shows what now stands (a refused one keeps what was typed).
      delete form.dataset.dirty;
      if (form.dataset.action === 'pay') {
        // Where the server sends the console next: the shares of a split still to pay, if any.
        const next = new URL(reply.next || '/pos', window.location.href).searchParams;
        state.split = next.get('split') || '';
        state.paid = next.get('paid') || '';
        history.replaceState({ order: state.order }, '', `/pos${query()}`);
      }
      if (!state.split) form.closest('details')?.removeAttribute('open');
    }
    // Said at once; the message stays while the order is re-read.
    orderMessage(ok ? reply.message || '' : reply.error || answer.statusText, ok ? 'ok' : 'error');
    await Promise.all([load('order'), refresh('orders')]);
  } catch {
    orderMessage(strings.network_error, 'error');
  } finally {
    if (button?.isConnected) button.disabled = false;
  }
});

cardTokens(document);
follow();
