/** Store errors carry no HTTP status; `src/errors.ts` says what each means to a caller. */
import { expect } from 'chai';

import { InvalidCursorError, StoreContentionError, StoreUnavailableError } from '../../adapters/errors.ts';
import { GuestpassError, storeErrorAsGuestpassError } from '../../src/errors.ts';

describe('store errors as guestpass errors', () => {
  it('makes a bad cursor a 400, contention a 409 and an outage a 503, and passes anything else through', () => {
    const cursor = storeErrorAsGuestpassError(new InvalidCursorError());
    expect(cursor).to.be.instanceOf(GuestpassError).and.include({ status: 400, code: 'invalid_request', message: 'cursor is not one this API returned' });
    const contention = storeErrorAsGuestpassError(new StoreContentionError('the address index keeps changing'));
    expect(contention).to.be.instanceOf(GuestpassError).and.include({ status: 409, code: 'conflict', message: 'the address index keeps changing' });
    const outage = storeErrorAsGuestpassError(new StoreUnavailableError(new Error('connection refused')));
    expect(outage).to.be.instanceOf(GuestpassError).and.include({ status: 503, code: 'store_unavailable', expose: true });
    const other = new TypeError('a bug');
    expect(storeErrorAsGuestpassError(other)).to.equal(other);
  });

  it('names each store error by its class and code, with no HTTP status', () => {
    const error = new StoreUnavailableError();
    expect(error).to.include({ name: 'StoreUnavailableError', code: 'store_unavailable' });
    expect(StoreUnavailableError.code).to.equal('store_unavailable');
    expect(error).not.to.have.property('status');
  });
});
