// SPDX-License-Identifier: Apache-2.0
// login.js - the sign-in page: POST /api/v1/session, then back to the page
// that sent us here (?next=, same-origin paths only).  The session cookie is
// HttpOnly; the CSRF token the answer carries is kept in sessionStorage for
// the state-changing requests of the other pages (common.js).
import { API, CSRF_KEY, plainHttpWarning } from './common.js';

const form = document.getElementById('login');
const msg = document.getElementById('message');
plainHttpWarning();

function nextPage() {
  const n = new URLSearchParams(location.search).get('next') || './';
  // only a path of this site: never an absolute or protocol-relative URL
  return /^\/(?!\/)[^\s]*$/.test(n) || n === './' ? n : './';
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  msg.hidden = true;
  const body = JSON.stringify({ user: form.user.value, password: form.password.value });
  let resp;
  try {
    resp = await fetch(API + '/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  } catch (e) {
    msg.textContent = 'The server cannot be reached.';
    msg.hidden = false;
    return;
  }
  const doc = await resp.json().catch(() => null);
  if (!resp.ok) {
    msg.textContent = (doc && doc.error) || resp.statusText; // textContent: never HTML
    msg.hidden = false;
    form.password.value = '';
    return;
  }
  sessionStorage.setItem(CSRF_KEY, doc.csrf_token);
  location.replace(nextPage());
});
