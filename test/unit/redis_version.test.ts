/**
 * guestpass's scripts use commands Redis added in 7.0 (`SET … NX GET`, `XADD` ids of `<ms>-*`):
 * a server that answers but is older stops start-up with a line saying so, instead of failing
 * sign-ins one script at a time.
 */
import { expect } from 'chai';

import { checkRedisVersion, minimumRedisVersion } from '../../adapters/redis/store.ts';
import { UnsupportedStoreError } from '../../src/errors.ts';

const info = (version: string) => `# Server\r\nredis_version:${version}\r\nredis_git_sha1:00000000\r\nredis_mode:standalone\r\n`;

describe('the Redis version guestpass needs', () => {
  it('is 7.0', () => {
    expect(minimumRedisVersion).to.equal('7.0');
  });

  for (const version of ['7.0.0', '7.0.15', '7.2.4', '8.0.2', '10.1.0']) {
    it(`runs on ${version}`, () => {
      expect(() => checkRedisVersion(info(version))).not.to.throw();
    });
  }

  for (const version of ['6.2.14', '6.0.0', '5.0.7']) {
    it(`refuses ${version}, naming it and what is needed`, () => {
      const error = (() => {
        try {
          checkRedisVersion(info(version));
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error).to.be.instanceOf(UnsupportedStoreError);
      expect((error as UnsupportedStoreError).code).to.equal('unsupported_store');
      expect((error as Error).message).to.equal(`the Redis server is version ${version.split('.').slice(0, 2).join('.')}: guestpass needs Redis 7.0 or newer`);
    });
  }

  it('lets a server that does not say its version through', () => {
    expect(() => checkRedisVersion('# Server\r\nredis_mode:standalone\r\n')).not.to.throw();
  });
});
