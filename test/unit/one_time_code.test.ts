import { expect } from 'chai';

import { codeMatches, digestCode, generateCode, normalizeCodeInput } from '../../interactions/one_time_code.ts';

describe('one-time codes (pure)', () => {
  const binding = { interactionUid: 'interaction-1', email: 'ada@example.com' };

  it('generates codes of the configured length, digits only', () => {
    for (const length of [6, 8, 10]) {
      const code = generateCode(length);
      expect(code).to.match(new RegExp(`^\\d{${length}}$`));
    }
  });

  it('spreads digits evenly (chi-square over 600,000 digits)', () => {
    const counts = new Array<number>(10).fill(0);
    for (let index = 0; index < 100_000; index += 1) for (const digit of generateCode(6)) counts[Number(digit)]! += 1;
    const expected = 60_000;
    const chiSquare = counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    // 42 is p ≈ 1e-6 at 9 degrees of freedom: a fair generator fails once in a million runs,
    // while the classic `byte % 10` bias (digits 0–5 four per cent likelier) scores about 250.
    expect(chiSquare, `counts ${counts.join(',')}`).to.be.lessThan(42);
  });

  it('binds the digest to the interaction, the address and the code', () => {
    const digest = digestCode('secret-1', binding, '123456');
    expect(codeMatches(['secret-1'], binding, '123456', digest)).to.equal(true);
    expect(codeMatches(['secret-1'], binding, '123457', digest)).to.equal(false);
    expect(codeMatches(['secret-1'], { ...binding, interactionUid: 'interaction-2' }, '123456', digest)).to.equal(false);
    expect(codeMatches(['secret-1'], { ...binding, email: 'bob@example.com' }, '123456', digest)).to.equal(false);
    expect(digest).to.not.contain('123456');
  });

  it('checks against every configured secret, so secrets can rotate', () => {
    const digest = digestCode('old-secret', binding, '654321');
    expect(codeMatches(['new-secret', 'old-secret'], binding, '654321', digest)).to.equal(true);
    expect(codeMatches(['new-secret'], binding, '654321', digest)).to.equal(false);
  });

  it('accepts codes typed with spaces or dashes, and nothing else', () => {
    expect(normalizeCodeInput(' 123 456 ', 6)).to.equal('123456');
    expect(normalizeCodeInput('123-456', 6)).to.equal('123456');
    expect(normalizeCodeInput('12345', 6)).to.equal(undefined);
    expect(normalizeCodeInput('12345a', 6)).to.equal(undefined);
    expect(normalizeCodeInput('１２３４５６', 6)).to.equal(undefined);
  });
});
