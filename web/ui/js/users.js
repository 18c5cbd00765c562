// SPDX-License-Identifier: Apache-2.0
// users.js - the admin's page of staff accounts (users.html): who may sign
// in, with which role, which cameras each may see, and their API tokens.
//
// Everything goes through the API (docs/ref/http-api.md): GET/POST/PUT/
// DELETE /api/v1/users, POST /api/v1/users/{name}/tokens, DELETE
// /api/v1/tokens/{id}; the camera and group choices come from GET
// /api/v1/cameras.  The server decides: it refuses the last admin's removal
// or demotion, a taken name, a short password, and this page shows its
// {"error"} message as it is.  Every name, label and error is inserted as
// text (el() with text children), never as HTML.

import { getJSON, send, header, el, fmtDateTime, listCameras, showError, showNotice, show } from './common.js';

const tbody = document.querySelector('#users tbody');

let cameras = []; // GET /api/v1/cameras
let users = [];


// "lobby" -> "Main lobby (lobby)"; "group:south" -> "group south"; "*" -> "all cameras".
function grantText(g) {
  if (g === '*') return 'all cameras';
  if (g.startsWith('group:')) return `group ${g.slice(6)}`;
  const cam = cameras.find((c) => c.id === g);
  return cam && cam.name && cam.name !== g ? `${cam.name} (${g})` : g;
}

function groupsOf(list) {
  return [...new Set(list.map((c) => c.group).filter((g) => g))].sort();
}

// ---- the table ----

function tokenList(u) {
  const toks = u.tokens || [];
  if (!toks.length) return el('span', { class: 'muted' }, 'none');
  return el(
    'ul',
    { class: 'tokens' },
    ...toks.map((t) =>
      el(
        'li',
        { 'data-token': String(t.id) },
        el('span', { class: 'token-label' }, t.label || '(no label)'),
        ' ',
        el('span', { class: 'muted', title: t.created }, `made ${fmtDateTime(Date.parse(t.created))}`),
        ' ',
        el('span', { class: 'muted token-used', title: t.last_used || '' },
           t.last_used ? `last used ${fmtDateTime(Date.parse(t.last_used))}` : 'never used'),
        ' ',
        el('button', { type: 'button', class: 'small danger revoke', onclick: () => revokeToken(u, t) }, 'Revoke'),
      ),
    ),
  );
}

function row(u) {
  // a directory account (ldap, oidc): its password, role and cameras come from the directory at each sign-in
  const grants =
    u.role === 'admin'
      ? el('span', { class: 'muted' }, 'all (admin)')
      : u.cameras.length
        ? el('ul', { class: 'grants-list' }, ...u.cameras.map((g) => el('li', { 'data-grant': g }, grantText(g))))
        : el('span', { class: 'muted' }, 'none');
  // a directory account (ldap, oidc): the directory owns its password, and its
  // role and cameras are replaced at its next sign-in
  const directory = u.source && u.source !== 'local';
  // a person of the district's catalog: changed there only (the server answers 409 here)
  const catalog = u.source === 'catalog';
  const actions = el(
    'div',
    { class: 'row-actions' },
    catalog ? null : el('button', { type: 'button', class: 'small edit', onclick: () => openUser(u) }, 'Change'),
    directory ? null : el('button', { type: 'button', class: 'small password', onclick: () => openPassword(u) }, 'New password'),
    el('button', { type: 'button', class: 'small token', onclick: () => openToken(u) }, 'New API token'),
    catalog ? null : el('button', { type: 'button', class: 'small danger delete', onclick: () => deleteUser(u) }, 'Delete'),
  );
  if (u.totp) {
    actions.append(el('button', { type: 'button', class: 'small danger totp-reset', onclick: () => resetTotp(u) },
      'Reset second factor'));
  }
  return el(
    'tr',
    { 'data-user': u.name },
    el(
      'td',
      { class: 'name', 'data-label': 'Name' },
      u.name,
      directory
        ? el('span', {
          class: 'muted source',
          title: catalog
            ? 'a person of the district catalog: add, change and remove them there (nvr district user)'
            : 'signs in through the directory; its groups set the role and cameras at each sign-in',
        }, ` (${u.source})`)
        : null,
    ),
    el('td', { class: 'role', 'data-label': 'Role' }, u.role),
    el('td', { class: 'cameras', 'data-label': 'Cameras' }, grants),
    el('td', { class: 'created', 'data-label': 'Created', title: u.created }, fmtDateTime(Date.parse(u.created))),
    el('td', { class: 'totp', 'data-label': 'Second factor' }, u.totp ? 'on' : 'off'),
    el('td', { class: 'api-tokens', 'data-label': 'API tokens' }, tokenList(u)),
    el('td', { class: 'actions' }, actions),
  );
}

async function load() {
  try {
    const [doc, cams] = await Promise.all([getJSON('/users'), listCameras()]);
    users = doc.users;
    cameras = cams;
  } catch (e) {
    showError(e.status === 403 ? 'Only admins manage users.' : `Cannot read the users: ${e.message}`);
    return;
  }
  tbody.replaceChildren(...users.map(row));
  document.body.dataset.loaded = String(Date.now());
}

// ---- add / change ----

const userDialog = document.getElementById('user-dialog');
const userForm = document.getElementById('user-form');
const userError = document.getElementById('user-error');
const fName = document.getElementById('f-name');
const fRole = document.getElementById('f-role');
const fPw = document.getElementById('f-password');
const fPw2 = document.getElementById('f-password2');
const gAll = document.getElementById('g-all');
const gGroups = document.getElementById('g-groups');
const gCameras = document.getElementById('g-cameras');
let editing = null; // the user being changed, null when adding

function checkbox(value, text, checked, cls) {
  const box = el('input', { type: 'checkbox', value, class: cls });
  box.checked = checked;
  return el('label', { class: 'grant' }, box, text);
}

// Fills the grant choices: all cameras, each group, each camera, and any
// grant the user has that is none of those (kept unless unticked).
function fillGrants(have) {
  const set = new Set(have);
  gAll.checked = set.has('*');
  const groups = groupsOf(cameras);
  for (const g of have) if (g.startsWith('group:') && !groups.includes(g.slice(6))) groups.push(g.slice(6));
  gGroups.replaceChildren(
    ...(groups.length ? [el('span', { class: 'grant-head' }, 'Groups')] : []),
    ...groups.map((g) => checkbox(`group:${g}`, `group ${g}`, set.has(`group:${g}`), 'g-group')),
  );
  const ids = cameras.map((c) => c.id);
  const gone = have.filter((g) => g !== '*' && !g.startsWith('group:') && !ids.includes(g));
  gCameras.replaceChildren(
    el('span', { class: 'grant-head' }, 'Cameras'),
    ...cameras.map((c) => checkbox(c.id, c.name && c.name !== c.id ? `${c.name} (${c.id})` : c.id, set.has(c.id), 'g-camera')),
    ...gone.map((id) => checkbox(id, `${id} (not configured now)`, true, 'g-camera')),
  );
  syncGrants();
}

function syncGrants() {
  const admin = fRole.value === 'admin';
  document.getElementById('admin-hint').hidden = !admin;
  for (const box of document.querySelectorAll('#g-groups input, #g-cameras input')) box.disabled = admin || gAll.checked;
  gAll.disabled = admin;
}

function chosenGrants() {
  if (gAll.checked) return ['*'];
  return [...document.querySelectorAll('#g-groups input:checked, #g-cameras input:checked')].map((b) => b.value);
}

function openUser(u) {
  editing = u || null;
  userForm.reset();
  show(userError, '');
  document.getElementById('user-title').textContent = u ? `Change ${u.name}` : 'Add a user';
  userForm.classList.toggle('editing', !!u);
  for (const n of userForm.querySelectorAll('.new-only')) n.hidden = !!u;
  const hint = document.getElementById('directory-hint');
  hint.hidden = !(u && u.source && u.source !== 'local');
  hint.textContent = hint.hidden
    ? ''
    : `${u.name} signs in through the directory (${u.source}): their groups there set the role and cameras again at every sign-in, so a change here lasts until then.`;
  fName.required = fPw.required = fPw2.required = !u;
  fRole.value = u ? u.role : 'viewer';
  fillGrants(u ? u.cameras : []);
  userDialog.showModal();
  (u ? fRole : fName).focus();
}

async function saveUser(ev) {
  ev.preventDefault();
  show(userError, '');
  const body = { role: fRole.value, cameras: chosenGrants() };
  if (!editing) {
    if (fPw.value !== fPw2.value) return show(userError, 'The two passwords differ.');
    if (fPw.value.length < 8) return show(userError, 'The password needs at least 8 characters.');
    body.name = fName.value.trim();
    body.password = fPw.value;
  }
  try {
    if (editing) await send('PUT', `/users/${encodeURIComponent(editing.name)}`, body);
    else await send('POST', '/users', body);
  } catch (e) {
    return show(userError, e.message);
  }
  const name = editing ? editing.name : body.name;
  userDialog.close();
  showNotice(editing ? `${name} changed.` : `${name} added.`);
  await load();
}

// ---- password ----

const pwDialog = document.getElementById('password-dialog');
const pwForm = document.getElementById('password-form');
const pwError = document.getElementById('password-error');
let pwUser = null;

function openPassword(u) {
  pwUser = u;
  pwForm.reset();
  show(pwError, '');
  document.getElementById('password-title').textContent = `New password for ${u.name}`;
  document.getElementById('password-note').textContent =
    `Setting a new password signs ${u.name} out everywhere: every browser where they are signed in ` +
    'has to sign in again, and their API tokens are revoked (a script keeps its token only if an ' +
    'admin sets the password with `nvr user passwd --keep-tokens` or `keep_tokens: true`).';
  pwDialog.showModal();
  document.getElementById('p-password').focus();
}

async function savePassword(ev) {
  ev.preventDefault();
  const a = document.getElementById('p-password').value;
  const b = document.getElementById('p-password2').value;
  if (a !== b) return show(pwError, 'The two passwords differ.');
  if (a.length < 8) return show(pwError, 'The password needs at least 8 characters.');
  try {
    await send('PUT', `/users/${encodeURIComponent(pwUser.name)}`, { password: a });
  } catch (e) {
    return show(pwError, e.message);
  }
  pwDialog.close();
  showNotice(`New password set for ${pwUser.name}; they are signed out everywhere and their API tokens revoked.`);
  await load();
}

// ---- delete ----

async function deleteUser(u) {
  if (!confirm(`Delete the user ${u.name}? Their sessions and API tokens end at once. The access log keeps their entries.`)) return;
  try {
    await send('DELETE', `/users/${encodeURIComponent(u.name)}`);
  } catch (e) {
    showError(`Cannot delete ${u.name}: ${e.message}`);
    return;
  }
  showNotice(`${u.name} deleted.`);
  await load();
}

// A user who lost their authenticator and recovery codes: their TOTP goes,
// they sign in with the password alone (and enrol again if the policy says so).
async function resetTotp(u) {
  if (!confirm(`Remove the second factor of ${u.name}? They then sign in with the password alone.`)) return;
  try {
    await send('DELETE', `/users/${encodeURIComponent(u.name)}/totp`);
  } catch (e) {
    showError(`Cannot reset the second factor of ${u.name}: ${e.message}`);
    return;
  }
  showNotice(`The second factor of ${u.name} is removed.`);
  await load();
}

// ---- API tokens ----

const tokDialog = document.getElementById('token-dialog');
const tokForm = document.getElementById('token-form');
const tokResult = document.getElementById('token-result');
const tokError = document.getElementById('token-error');
const tokValue = document.getElementById('token-value');
let tokUser = null;

function openToken(u) {
  tokUser = u;
  tokForm.reset();
  tokForm.hidden = false;
  tokResult.hidden = true;
  tokValue.value = '';
  show(tokError, '');
  document.getElementById('token-copied').textContent = '';
  document.getElementById('token-for').textContent =
    `For ${u.name} (${u.role}): the token can do what ${u.name} can, on the same cameras.`;
  tokDialog.showModal();
  document.getElementById('t-label').focus();
}

async function makeToken(ev) {
  ev.preventDefault();
  show(tokError, '');
  let doc;
  try {
    doc = await send('POST', `/users/${encodeURIComponent(tokUser.name)}/tokens`, {
      label: document.getElementById('t-label').value.trim(),
    });
  } catch (e) {
    return show(tokError, e.message);
  }
  tokForm.hidden = true;
  tokResult.hidden = false;
  tokValue.value = doc.token;
  tokValue.dataset.id = String(doc.id);
  tokValue.focus();
  tokValue.select();
  load();
}

async function copyToken() {
  const out = document.getElementById('token-copied');
  tokValue.select();
  try {
    await navigator.clipboard.writeText(tokValue.value);
    out.textContent = 'Copied.';
  } catch (e) {
    // no clipboard API (plain HTTP from another host): the selection works
    out.textContent = document.execCommand && document.execCommand('copy') ? 'Copied.' : 'Press Ctrl+C to copy the selected token.';
  }
}

// The token is forgotten when the box closes: it cannot be shown again.
function closeToken() {
  tokValue.value = '';
  delete tokValue.dataset.id;
  tokDialog.close();
}

async function revokeToken(u, t) {
  const what = t.label ? `"${t.label}"` : `number ${t.id}`;
  if (!confirm(`Revoke ${u.name}'s API token ${what}? Scripts using it are refused from now on.`)) return;
  try {
    await send('DELETE', `/tokens/${encodeURIComponent(t.id)}`);
  } catch (e) {
    showError(`Cannot revoke the token: ${e.message}`);
    return;
  }
  showNotice(`${u.name}'s token ${what} revoked.`);
  await load();
}

// ---- wiring ----

header('users');
document.getElementById('add').addEventListener('click', () => openUser(null));
userForm.addEventListener('submit', saveUser);
document.getElementById('user-cancel').addEventListener('click', () => userDialog.close());
fRole.addEventListener('change', syncGrants);
userForm.addEventListener('input', () => show(userError, ''));
pwForm.addEventListener('input', () => show(pwError, ''));
gAll.addEventListener('change', syncGrants);
pwForm.addEventListener('submit', savePassword);
document.getElementById('password-cancel').addEventListener('click', () => pwDialog.close());
tokForm.addEventListener('submit', makeToken);
document.getElementById('token-cancel').addEventListener('click', () => tokDialog.close());
document.getElementById('token-copy').addEventListener('click', copyToken);
document.getElementById('token-done').addEventListener('click', closeToken);
tokDialog.addEventListener('close', () => {
  tokValue.value = '';
});
load();
