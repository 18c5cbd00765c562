// SPDX-License-Identifier: Apache-2.0
// login.js - the sign-in page: POST /api/v1/session, then back to the page
// that sent us here (?next=, same-origin paths only).  The session cookie is
// HttpOnly; the CSRF token the answer carries is kept in sessionStorage for
// the state-changing requests of the other pages (common.js).
// An account with a second factor answers the password with 202 and a ticket:
// the page then asks for the authenticator's code (or a recovery code) and
// POSTs it with the ticket to /api/v1/session/totp, which makes the session.
// A session that must still enrol a second factor goes to account.html.
// On a recorder with no account yet (GET /api/v1/setup says open) it shows the
// first-run form instead: the setup token from the server log, the first
// administrator's name and password (POST /api/v1/setup, which signs them in).
// With [oidc] configured (GET /api/v1/auth/methods) it also shows the single
// sign-on button: a plain link to /api/v1/oidc/start?return=PATH, which sends
// the browser to the provider and, through the callback, back to PATH signed
// in; a failed directory sign-in comes back here with ?error=CODE.
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
  form.password.value = '';
  if (resp.status === 202 && doc && doc.ticket) {
    askSecondFactor(doc.ticket);
    return;
  }
  signedIn(doc);
});

// Keeps the session's CSRF token and leaves: to enrolment when the policy
// wants a second factor this account does not have yet.
function signedIn(doc) {
  sessionStorage.setItem(CSRF_KEY, doc.csrf_token);
  const t = doc.totp || {};
  location.replace(t.required && !t.enabled ? 'account.html?enrol=1' : nextPage());
}

const second = document.getElementById('second');
const secondMsg = document.getElementById('second-message');
const useRecovery = document.getElementById('use-recovery');
let ticket = '';
let recoveryMode = false;

function askSecondFactor(t) {
  ticket = t;
  form.hidden = true;
  second.hidden = false;
  document.getElementById('code').focus();
}

useRecovery.addEventListener('click', () => {
  recoveryMode = !recoveryMode;
  const code = document.getElementById('code');
  const rec = document.getElementById('recovery');
  document.getElementById('code-label').hidden = recoveryMode;
  document.getElementById('recovery-label').hidden = !recoveryMode;
  code.required = !recoveryMode;
  rec.required = recoveryMode;
  document.getElementById('second-hint').textContent = recoveryMode
    ? 'Enter one of the recovery codes you saved when you set up the second factor. Each works once.'
    : 'Enter the 6-digit code your authenticator app shows for this recorder.';
  useRecovery.textContent = recoveryMode ? 'Use the authenticator code instead' : 'Use a recovery code instead';
  (recoveryMode ? rec : code).focus();
});

second.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  secondMsg.hidden = true;
  const body = { ticket };
  if (recoveryMode) body.recovery_code = second.recovery.value.trim();
  else body.code = second.code.value.replace(/\s/g, '');
  let resp;
  try {
    resp = await fetch(API + '/session/totp', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body) });
  } catch (e) {
    secondMsg.textContent = 'The server cannot be reached.';
    secondMsg.hidden = false;
    return;
  }
  const doc = await resp.json().catch(() => null);
  if (!resp.ok) {
    secondMsg.textContent = (doc && doc.error) || resp.statusText; // textContent: never HTML
    secondMsg.hidden = false;
    second.code.value = '';
    second.recovery.value = '';
    return;
  }
  signedIn(doc);
});

// What a failed single sign-on means (the codes of GET /api/v1/oidc/callback).
const SSO_ERRORS = {
  oidc_state: 'That sign-in link was used already or is too old. Please try again.',
  oidc_provider: 'The sign-in provider cannot be reached or answered wrongly. Use your recorder account, '
    + 'or try again later.',
  oidc_token: 'The sign-in provider\'s answer failed the recorder\'s checks, so you were not signed in.',
  oidc_denied: 'The sign-in provider did not sign you in.',
  oidc_claims: 'The sign-in provider did not give a user name this recorder can use.',
  oidc_no_role: 'You signed in, but none of your groups gives access to this recorder. Ask your IT staff.',
  oidc_account: 'That name belongs to an account of this recorder itself: sign in with its password.',
  oidc_blocked: 'Too many failed sign-ins from this address: wait a few minutes and try again.',
  oidc_error: 'The recorder could not finish the sign-in.',
};

async function offerSso() {
  const err = new URLSearchParams(location.search).get('error');
  if (err) {
    msg.textContent = SSO_ERRORS[err] || 'Single sign-on failed.'; // textContent: never HTML
    msg.hidden = false;
  }
  let doc = null;
  try {
    const resp = await fetch(API + '/auth/methods', { cache: 'no-store' });
    doc = resp.ok ? await resp.json() : null;
  } catch (e) {
    return;
  }
  if (!doc || !doc.oidc) return;
  const next = nextPage();
  const ret = next === './' ? '/' : next;
  const button = document.getElementById('sso-button');
  button.textContent = doc.oidc.label;
  button.href = doc.oidc.start + '?return=' + encodeURIComponent(ret);
  document.getElementById('sso').hidden = false;
}

const setup = document.getElementById('setup');
const setupMsg = document.getElementById('setup-message');

function setupError(text) {
  setupMsg.textContent = text; // textContent: never HTML
  setupMsg.hidden = false;
}

async function offerSetup() {
  let doc = null;
  try {
    const resp = await fetch(API + '/setup', { cache: 'no-store' });
    doc = resp.ok ? await resp.json() : null;
  } catch (e) {
    return; // the sign-in form stays; it says so if the server is gone
  }
  if (!doc || !doc.open) return;
  form.hidden = true;
  setup.hidden = false;
  document.getElementById('setup-token').focus();
}

setup.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  setupMsg.hidden = true;
  if (setup.password.value !== setup.password2.value) {
    setupError('The two passwords differ.');
    return;
  }
  const body = JSON.stringify({ setup_token: setup.setup_token.value.trim(), name: setup.username.value,
    password: setup.password.value });
  let resp;
  try {
    resp = await fetch(API + '/setup', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  } catch (e) {
    setupError('The server cannot be reached.');
    return;
  }
  const doc = await resp.json().catch(() => null);
  if (!resp.ok) {
    setupError(resp.status === 403 ? 'That setup token is not right, or setup was already done (then sign in).'
      : (doc && doc.error) || resp.statusText);
    return;
  }
  sessionStorage.setItem(CSRF_KEY, doc.csrf_token);
  location.replace('./');
});

offerSetup();
offerSso();
