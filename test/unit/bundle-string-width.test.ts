// The bundle's stand-in for string-width (hack/bundle-string-width.ts): columns of plain and coloured
// text as the package counts them; control characters take none.
import { expect } from 'chai';
import stringWidth from '../../hack/bundle-string-width.js';

describe("the bundle's string-width", () => {
  it('counts columns of text, without ANSI sequences and control characters', () => {
    expect(stringWidth('--ipvs-sync-period')).to.equal(18);
    expect(stringWidth('\u001B[31mred\u001B[39m and \u001B[1;4mbold\u001B[0m')).to.equal(12);
    expect(stringWidth('tab\there\u0007')).to.equal(7);
    expect(stringWidth('')).to.equal(0);
    expect(stringWidth(undefined)).to.equal(0);
  });
});
