// SPDX-License-Identifier: Apache-2.0
// account.js - the signed-in user's own account: the TOTP second factor.
// GET /api/v1/account/totp says whether it is on; "Set up" POSTs
// /api/v1/account/totp for a new secret (shown as text and as an
// otpauth:// link), the first code confirms it (POST .../confirm), and the
// answer's 10 recovery codes are shown once; "Turn off" POSTs .../disable
// with a current code or the password.  When the policy requires a second
// factor the server lets this account reach nothing else until it is on.
import { getJSON, header, send, show, showError, showNotice } from './common.js';

header('account');

const $ = (id) => document.getElementById(id);
const panels = ['totp-off', 'totp-enrol', 'totp-codes', 'totp-on'];

function only(id) {
  for (const p of panels) $(p).hidden = p !== id;
}

async function load() {
  let doc;
  try {
    doc = await getJSON('/account/totp');
  } catch (e) {
    showError(e.message);
    return;
  }
  $('totp-required').hidden = !(doc.required && !doc.enabled);
  $('totp-state').textContent = doc.enabled ? 'On: signing in needs a code from your authenticator app.'
    : 'Off: your password alone signs you in.';
  if (doc.enabled) {
    $('totp-left').textContent = `Recovery codes left: ${doc.recovery_codes_left} of 10.`;
    only('totp-on');
  } else {
    only('totp-off');
  }
  document.body.dataset.loaded = String(Date.now());
}

// The key in groups of four, easier to type.
const grouped = (s) => s.replace(/(.{4})/g, '$1 ').trim();

$('totp-begin').addEventListener('click', async () => {
  show($('message'), '');
  try {
    const doc = await send('POST', '/account/totp');
    $('totp-secret').textContent = grouped(doc.secret);
    $('totp-secret').dataset.secret = doc.secret;
    $('totp-uri').textContent = doc.uri;
    $('totp-uri-link').href = doc.uri;
    only('totp-enrol');
    $('totp-code').focus();
  } catch (e) {
    showError(e.message);
  }
});

$('totp-enrol').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    const doc = await send('POST', '/account/totp/confirm', { code: $('totp-code').value.replace(/\s/g, '') });
    $('totp-code').value = '';
    $('totp-secret').textContent = '';
    $('totp-uri').textContent = '';
    $('totp-uri-link').removeAttribute('href');
    $('totp-code-list').replaceChildren(...doc.recovery_codes.map((c) => {
      const li = document.createElement('li');
      li.textContent = c;
      return li;
    }));
    $('totp-required').hidden = true;
    $('totp-state').textContent = 'On: signing in needs a code from your authenticator app.';
    only('totp-codes');
  } catch (e) {
    showError(e.message);
  }
});

$('totp-done').addEventListener('click', () => {
  $('totp-code-list').replaceChildren();
  load();
});

$('totp-on').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const proof = $('totp-proof').value.trim();
  const body = /^[0-9 ]{6,7}$/.test(proof) ? { code: proof.replace(/\s/g, '') } : { password: proof };
  try {
    await send('POST', '/account/totp/disable', body);
    $('totp-proof').value = '';
    showNotice('The second factor is off.');
    load();
  } catch (e) {
    $('totp-proof').value = '';
    showError(e.message);
  }
});

load();
