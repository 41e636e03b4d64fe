'use strict';

const pairSplitRegExp = /; */;

function tryDecode(str, decode) {
  try {
    return decode(str);
  } catch (e) {
    return str;
  }
}

module.exports = function parse(str, options) {
  if (typeof str !== 'string') {
    throw new TypeError('argument str must be a string');
  }
  const obj = {};
  const opt = options || {};
  const pairs = str.split(pairSplitRegExp);
  const dec = opt.decode || decodeURIComponent;

  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i];
    let eqIdx = pair.indexOf('=');
    if (eqIdx < 0) continue;
    const key = pair.substr(0, eqIdx).trim();
    let val = pair.substr(++eqIdx, pair.length).trim();
    if ('"' == val[0]) val = val.slice(1, -1);
    if (undefined == obj[key]) obj[key] = tryDecode(val, dec);
  }
  return obj;
};
