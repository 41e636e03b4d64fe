"use strict";

const includeDeprecated = !process.env.ESLINT_CONFIG_PRETTIER_NO_DEPRECATED;

module.exports = {
  rules: {
    "curly": 0,
    "no-unexpected-multiline": 0,
    "array-bracket-newline": "off",
    "array-bracket-spacing": "off",
    "array-element-newline": "off",
    "arrow-parens": "off",
    "arrow-spacing": "off",
    "block-spacing": "off",
    "brace-style": "off",
    "comma-dangle": "off",
    "comma-spacing": "off",
    "comma-style": "off",
    "computed-property-spacing": "off",
    "dot-location": "off",
    "eol-last": "off",
    "func-call-spacing": "off",
    "indent": "off",
    "key-spacing": "off",
    "keyword-spacing": "off",
    "max-len": "off",
    "no-extra-semi": "off",
    "no-mixed-spaces-and-tabs": "off",
    "no-multi-spaces": "off",
    "no-trailing-spaces": "off",
    "object-curly-spacing": "off",
    "quotes": 0,
    "semi": "off",
    "space-before-function-paren": "off",
    ...(includeDeprecated && {
      "indent-legacy": "off",
      "no-spaced-func": "off"
    })
  }
};
