import { expect } from 'chai';

import { newSharingId } from '../../src/links.ts';
import { sharingIdPattern } from '../../src/sharing_id.ts';
import { sharingReportCsvRows } from '../../src/sharing_report.ts';

describe('new sharing ids', () => {
  it('are 32 base64url characters that never start with - or _ (an option on a command line, a formula in a CSV)', () => {
    // Drawn plainly, 1 id in 32 starts with one of them: among 4 000 about 125 would.
    const ids = Array.from({ length: 4_000 }, () => newSharingId());
    for (const id of ids) {
      expect(id).to.match(sharingIdPattern).and.to.have.length(32);
      expect(id).to.match(/^[A-Za-z0-9]/);
    }
    expect(new Set(ids).size).to.equal(ids.length);
    // And so each exports as itself, where a CSV cell starting with - is defused.
    const id = ids[0]!;
    const recipient = { email: 'ada@example.org', userType: 'adhoc', addedAt: '2026-11-30T00:00:00.000Z' };
    const row = sharingReportCsvRows({ id, resource: 'files/a.txt', clientId: 'files', recipients: [recipient], createdAt: recipient.addedAt, createdBy: 'owner', live: true });
    expect(row.split(',')[0]).to.equal(id);
  });
});
