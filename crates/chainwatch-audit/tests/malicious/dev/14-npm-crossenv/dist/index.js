'use strict';
module.exports = require('cross-env');
