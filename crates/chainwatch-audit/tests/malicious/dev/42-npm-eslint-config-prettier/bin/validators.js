"use strict";
module.exports = {
  "curly": () => true,
  "quotes": () => true,
  "no-unexpected-multiline": () => true
};
