// SPDX-License-Identifier: Apache-2.0
// alerts.js - the alerts page (alerts.html): the alert engine's incidents
// (GET /api/v1/alerts, docs/design/alerts.md), acknowledging one
// (POST /api/v1/alerts/ID/ack, investigator or admin), and for admins a
// test alert through every configured channel (POST /api/v1/alerts/test).
// Every field is inserted as text.

import { getJSON, send, header, el, fmtDateTime, zoneLabel, session, show, showError, showNotice } from './common.js';

const fState = document.getElementById('state');
const tbody = document.querySelector('#alerts tbody');
const count = document.getElementById('count');
const channels = document.getElementById('channels');
const testBtn = document.getElementById('test');
const testResult = document.getElementById('test-result');

const STATE_TEXT = { open: 'open', acknowledged: 'acknowledged', resolved: 'resolved' };

function alertRow(a) {
  const ack = a.state !== 'resolved' && !a.acknowledged
    ? el('button', { type: 'button', class: 'ack', onclick: () => acknowledge(a.id) }, 'Acknowledge')
    : null;
  const flaps = a.flaps ? ` (flapped ${a.flaps}×)` : '';
  const who = a.acknowledged_by ? `acknowledged by ${a.acknowledged_by} ${fmtDateTime(Date.parse(a.acknowledged))}` : '';
  const resolved = a.resolved ? `resolved ${fmtDateTime(Date.parse(a.resolved))}` : '';
  return el(
    'tr',
    { 'data-id': String(a.id), 'data-state': a.state, 'data-kind': a.kind, 'data-camera': a.camera || '' },
    el('td', { class: 'time', 'data-label': 'Opened' }, fmtDateTime(Date.parse(a.opened))),
    el('td', { class: 'state', 'data-label': 'State' }, el('span', { class: `badge st-${a.state}` }, STATE_TEXT[a.state] || a.state)),
    el('td', { class: 'severity', 'data-label': 'Severity' }, el('span', { class: `badge sev-${a.severity}` }, a.severity)),
    el('td', { class: 'title', 'data-label': 'Alert' }, a.title + flaps),
    el('td', { class: 'detail', 'data-label': 'Detail' }, [a.detail, resolved, who].filter(Boolean).join(' · ')),
    el('td', { class: 'row-actions' }, ack),
  );
}

async function load() {
  const q = fState.value ? `?state=${encodeURIComponent(fState.value)}` : '';
  let doc;
  try {
    doc = await getJSON(`/alerts${q}`);
  } catch (e) {
    showError(e.status === 403 ? 'Only investigators and admins see alerts.' : `Cannot read the alerts: ${e.message}`);
    return;
  }
  tbody.replaceChildren(...doc.alerts.map(alertRow));
  count.textContent = doc.alerts.length === 0 ? 'No alert.' : `${doc.alerts.length} alert${doc.alerts.length === 1 ? '' : 's'}, newest first.`;
  const c = doc.channels;
  const on = [c.email ? `e-mail to ${c.email_to || '(routed)'}` : null, c.webhook ? 'webhook' : null, c.syslog ? 'syslog' : null].filter(Boolean);
  channels.textContent = on.length ? `Sent by ${on.join(', ')}.` : 'No channel is configured ([alerts] in the config file): alerts are only listed here.';
  if (doc.queued) channels.textContent += ` ${doc.queued} waiting to be delivered.`;
  document.body.dataset.loaded = String(Date.now());
}

async function acknowledge(id) {
  try {
    await send('POST', `/alerts/${id}/ack`, {});
    showNotice(`Alert ${id} acknowledged.`);
  } catch (e) {
    showError(`Cannot acknowledge: ${e.message}`);
  }
  load();
}

async function sendTest() {
  testBtn.disabled = true;
  show(testResult, '');
  testResult.hidden = true;
  try {
    const r = await send('POST', '/alerts/test', {});
    testResult.replaceChildren(...Object.entries(r).map(([ch, v]) =>
      el('li', { 'data-channel': ch, class: v === 'sent' ? 'ok' : v === 'not configured' ? 'muted' : 'bad' }, `${ch}: ${v}`)));
    testResult.hidden = false;
  } catch (e) {
    showError(`Cannot send a test alert: ${e.message}`);
  } finally {
    testBtn.disabled = false;
  }
}

header('alerts');
document.getElementById('time-head').textContent = `Opened (${zoneLabel()})`;
fState.addEventListener('change', load);
testBtn.addEventListener('click', sendTest);
session().then((u) => { testBtn.hidden = u.role !== 'admin'; }).catch(() => {});
load();
setInterval(load, 10000);
