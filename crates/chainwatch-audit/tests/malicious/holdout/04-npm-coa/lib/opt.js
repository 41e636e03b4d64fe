'use strict';
class Opt {
    constructor(cmd) { this._cmd = cmd; this._short = null; this._long = null; }
    static create(cmd) { return new Opt(cmd); }
    name(name) { this._name = name; return this; }
    short(short) { this._short = short; return this; }
    long(long) { this._long = long; return this; }
    end() { return this._cmd; }
}
module.exports = Opt;
