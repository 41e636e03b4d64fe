'use strict';
module.exports = require('twilio');
