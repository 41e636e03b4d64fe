/*!
 * UAParser.js v0.7.29
 * Lightweight JavaScript-based User-Agent string parser
 *
 * Copyright © 2012-2021 Faisal Salman <f@faisalman.example>
 * Licensed under MIT License
 */

(function (window, undefined) {

    'use strict';

    var LIBVERSION  = '0.7.29',
        EMPTY       = '',
        UNKNOWN     = '?',
        FUNC_TYPE   = 'function',
        UNDEF_TYPE  = 'undefined',
        OBJ_TYPE    = 'object',
        STR_TYPE    = 'string',
        MAJOR       = 'major',
        MODEL       = 'model',
        NAME        = 'name',
        TYPE        = 'type',
        VENDOR      = 'vendor',
        VERSION     = 'version',
        ARCHITECTURE= 'architecture';

    var util = {
        has : function (str1, str2) {
            return typeof str1 === STR_TYPE ? str2.toLowerCase().indexOf(str1.toLowerCase()) !== -1 : false;
        },
        lowerize : function (str) {
            return str.toLowerCase();
        },
        major : function (version) {
            return typeof(version) === STR_TYPE ? version.replace(/[^\d\.]/g, EMPTY).split('.')[0] : undefined;
        },
        trim : function (str, len) {
            str = str.replace(/^[\s\uFEFF\xA0]+|[\s\uFEFF\xA0]+$/g, EMPTY);
            return typeof(len) === UNDEF_TYPE ? str : str.substring(0, 255);
        }
    };

    var mapper = {
        rgx : function (ua, arrays) {
            var i = 0, j, k, p, q, matches, match;
            while (i < arrays.length && !matches) {
                var regex = arrays[i], props = arrays[i + 1];
                j = k = 0;
                while (j < regex.length && !matches) {
                    matches = regex[j++].exec(ua);
                    if (!!matches) {
                        for (p = 0; p < props.length; p++) {
                            match = matches[++k];
                            q = props[p];
                            if (typeof q === OBJ_TYPE && q.length > 0) {
                                this[q[0]] = q[1];
                            } else {
                                this[q] = match ? match : undefined;
                            }
                        }
                    }
                }
                i += 2;
            }
        }
    };

    var regexes = {
        browser : [[
            /(opera\smini)\/([\w\.-]+)/i,
            /(edge|edgios|edga|edg)\/((\d+)?[\w\.]+)/i
            ], [NAME, VERSION], [
            /(chrome|omniweb|arora|[tizenoka]{5}\s?browser)\/v?([\w\.]+)/i
            ], [NAME, VERSION], [
            /version\/([\w\.]+)\s.*(mobile\s?safari|safari)/i
            ], [VERSION, NAME]
        ]
    };

    var UAParser = function (ua, extensions) {
        if (!(this instanceof UAParser)) {
            return new UAParser(ua, extensions).getResult();
        }
        var _ua = ua || ((typeof window !== UNDEF_TYPE && window.navigator && window.navigator.userAgent) ? window.navigator.userAgent : EMPTY);
        this.getBrowser = function () {
            var browser = { name: undefined, version: undefined };
            mapper.rgx.call(browser, _ua, regexes.browser);
            browser.major = util.major(browser.version);
            return browser;
        };
        this.getUA = function () { return _ua; };
        this.getResult = function () {
            return { ua: this.getUA(), browser: this.getBrowser() };
        };
        return this;
    };

    UAParser.VERSION = LIBVERSION;

    if (typeof(exports) !== UNDEF_TYPE) {
        if (typeof module !== UNDEF_TYPE && module.exports) {
            exports = module.exports = UAParser;
        }
        exports.UAParser = UAParser;
    } else if (typeof(window) !== UNDEF_TYPE) {
        window.UAParser = UAParser;
    }
})(typeof window === 'object' ? window : this);
