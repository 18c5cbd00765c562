// SPDX-License-Identifier: Apache-2.0
// audit.js - the NDAA audit page (audit.html), for admins: the compliance
// report of every camera recording now (verdict, maker and label, the
// reason, when it was probed, and each piece of evidence with where the
// match came from), the summary counts, "Run the audit now", the report as
// a JSON file or a spreadsheet (CSV), and a printable view.
//
// Everything goes through the API (docs/ref/http-api.md): GET /api/v1/audit
// [?format=csv] (503 until the first report is built) and POST /api/v1/audit (202, or 409
// while a probe runs).  While a probe runs the page reloads the report every
// 2 s.  Every device string (maker, label, model, banner) is inserted as
// text: cameras are not trusted.
//
// Exposure (issue 22): what each camera exposes while it stays on the
// network -- cloud/P2P, UPnP, a default account name, firmware with a
// published vulnerability, services answering without credentials, time and
// name servers outside the site -- each with its evidence and source.
//
// For tests: body[data-loaded] changes after every load; each row is
// tr[data-camera=ID] with its .audit-badge[data-verdict] and one
// li.exposure[data-kind] per exposure; #summary li[data-verdict]
// holds the counts; body[data-running] is "true" while a probe runs.

import { getJSON, send, header, el, fmtDateTime, showError, showNotice } from './common.js';
import { VERDICTS, verdictBadge } from './verdicts.js';

const $ = (id) => document.getElementById(id);
const tbody = document.querySelector('#report tbody');
let timer = null;
let probing = false; // this page started a probe: say when it ends

const when = (t) => (t ? el('span', { title: t }, fmtDateTime(Date.parse(t))) : el('span', { class: 'muted' }, 'never'));

function evidenceItem(e) {
  const match = e.matched
    ? el('div', { class: e.covered ? 'match covered' : 'match' },
      `${e.covered ? 'covered: ' : e.oem ? 'OEM label: ' : ''}${e.matched}`,
      e.source ? el('span', { class: 'muted' }, ` (source: ${e.source})`) : null)
    : null;
  return el('li', { 'data-signal': e.signal }, el('code', {}, e.signal), ' ', e.value || '', match);
}

function evidence(a) {
  const list = a.evidence || [];
  if (!list.length) return el('span', { class: 'muted' }, 'none');
  const matched = list.filter((e) => e.matched).length;
  return el('details', { class: 'evidence' },
    el('summary', {}, `${list.length} signal${list.length === 1 ? '' : 's'}${matched ? `, ${matched} matched` : ''}`),
    el('ul', {}, ...list.map(evidenceItem)));
}

// A later probe that identified nothing (the verdict is from the one before).
function lastProbe(a) {
  const e = (a.evidence || []).find((x) => x.signal === 'last_probe');
  if (!e) return null;
  const t = Date.parse(e.value.slice(0, e.value.indexOf(': ')));
  return el('div', { class: 'muted detail last-probe', title: e.value },
    `probed again ${Number.isNaN(t) ? '' : fmtDateTime(t)}: no answer identified it`);
}

const KINDS = {
  cloud_p2p: 'Cloud / P2P on',
  upnp: 'UPnP on',
  default_account: 'Default account name',
  vulnerable_firmware: 'Vulnerable firmware',
  unauthenticated_service: 'Answers without a password',
  external_servers: 'Servers outside the site',
};

function exposure(a) {
  const list = a.exposure || [];
  if (!list.length) return el('span', { class: 'muted' }, a.probed_at ? 'none found' : 'not probed');
  return el('ul', { class: 'exposure-list' }, ...list.map((x) =>
    el('li', { class: 'exposure', 'data-kind': x.kind },
      el('strong', {}, KINDS[x.kind] || x.kind), ': ', x.detail,
      el('div', { class: 'muted detail' }, `evidence: ${x.evidence}`),
      el('div', { class: 'muted detail' }, `source: ${x.source}`))));
}

function row(a) {
  return el(
    'tr',
    { 'data-camera': a.id },
    el('td', { 'data-label': 'Camera' }, el('div', {}, a.name || a.id), el('div', { class: 'muted' }, a.id)),
    el('td', { 'data-label': 'Verdict' }, verdictBadge(a),
      a.review ? el('div', { class: 'muted detail' }, 'needs a person to check') : null),
    el('td', { 'data-label': 'Maker and label' },
      a.maker ? el('div', {}, a.maker) : el('div', { class: 'muted' }, 'maker not identified'),
      a.label && a.label !== a.maker ? el('div', { class: 'muted' }, `label: ${a.label}`) : null),
    el('td', { 'data-label': 'Why', class: 'reason' }, a.reason || ''),
    el('td', { 'data-label': 'Probed' }, when(a.probed_at), lastProbe(a)),
    el('td', { 'data-label': 'Exposure' }, exposure(a)),
    el('td', { 'data-label': 'Evidence' }, evidence(a)),
  );
}

function summary(doc) {
  const s = doc.summary || {};
  return Object.keys(VERDICTS).map((v) =>
    el('li', { 'data-verdict': v, 'data-count': String(s[v] || 0) },
      el('span', { class: `badge verdict-${v}` }, VERDICTS[v]), ` ${s[v] || 0}`));
}

function stateText(doc) {
  const parts = [];
  if (doc.running) parts.push(`Probing the cameras (started ${fmtDateTime(Date.parse(doc.probe_started))})...`);
  else if (doc.probe_finished) parts.push(`Last probe finished ${fmtDateTime(Date.parse(doc.probe_finished))}.`);
  else parts.push('No probe has run since the server started; the verdicts come from the stored observations.');
  if (doc.error) parts.push(`The last probe failed: ${doc.error}`);
  if (doc.generated) parts.push(`Report built ${fmtDateTime(Date.parse(doc.generated))}.`);
  return parts.join(' ');
}

async function load() {
  clearTimeout(timer);
  let doc;
  try {
    doc = await getJSON('/audit');
  } catch (e) {
    if (e.status === 503) {
      $('state').textContent = 'The first report is being built...';
      timer = setTimeout(load, 2000);
    } else {
      showError(e.status === 403 ? 'Only admins see the NDAA audit.' : `Cannot read the audit: ${e.message}`);
    }
    return;
  }
  $('state').textContent = stateText(doc);
  $('summary').replaceChildren(...summary(doc));
  tbody.replaceChildren(...(doc.cameras || []).map(row));
  if (!doc.cameras || !doc.cameras.length)
    tbody.append(el('tr', {}, el('td', { colspan: '7', class: 'muted' }, 'No cameras are recording.')));
  $('disclaimer').textContent = doc.notice || '';
  $('probe').disabled = !!doc.running;
  const day = (doc.generated || new Date().toISOString()).slice(0, 10);
  $('download').download = `ndaa-audit-${day}.json`;
  $('download-csv').download = `ndaa-audit-${day}.csv`;
  document.body.dataset.running = String(!!doc.running);
  document.body.dataset.loaded = String(Date.now());
  if (doc.running) timer = setTimeout(load, 2000);
  else if (probing) {
    probing = false;
    showNotice(doc.error ? '' : 'The audit finished; the report below is the new one.');
  }
}

$('probe').addEventListener('click', async () => {
  $('probe').disabled = true;
  try {
    await send('POST', '/audit');
    probing = true;
    showNotice('The audit is probing every camera (read-only, each camera\'s own address); this page updates when it ends.');
  } catch (e) {
    showError(e.status === 409 ? 'An audit is already running.' : `Cannot start the audit: ${e.message}`);
  }
  await load();
});

// The containment rules (GET /api/v1/audit/containment, admin): the links
// carry the format and the hosts to allow; the server accepts only address
// literals and answers 400 otherwise.
function rulesLinks() {
  const allow = $('allow').value.replace(/\s+/g, '');
  for (const f of ['nft', 'iptables', 'table']) {
    const q = new URLSearchParams({ format: f });
    if (allow) q.set('allow', allow);
    $(`rules-${f}`).href = `/api/v1/audit/containment?${q}`;
  }
}
$('allow').addEventListener('input', rulesLinks);

$('print').addEventListener('click', () => {
  for (const d of document.querySelectorAll('details.evidence')) d.open = true;
  window.print();
});

header('audit');
load();
