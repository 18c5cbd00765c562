// SPDX-License-Identifier: Apache-2.0
// verdicts.js - how the UI names and marks an NDAA audit verdict
// (docs/design/audit.md), shared by the cameras page's badges and the audit
// page's report.  Vendor strings are inserted as text.

import { el } from './common.js';

export const VERDICTS = {
  covered: 'covered (NDAA §889)',
  likely_covered_white_label: 'likely covered (white label)',
  other: 'other maker',
  unknown: 'unknown',
};

// A badge .audit-badge[data-verdict] for one camera of the report (a), with
// maker, label and reason as its title; "not audited yet" when a is absent.
export function verdictBadge(a) {
  if (!a) return el('span', { class: 'muted' }, 'not audited yet');
  const title = [a.maker && `maker: ${a.maker}`, a.label && `label: ${a.label}`, a.reason].filter(Boolean).join('\n');
  return el('span', { class: `badge audit-badge verdict-${a.verdict}`, 'data-verdict': a.verdict, title },
    VERDICTS[a.verdict] || a.verdict);
}
