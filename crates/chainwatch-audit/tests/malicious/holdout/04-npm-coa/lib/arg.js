'use strict';
class Arg {
    constructor(cmd) { this._cmd = cmd; }
    static create(cmd) { return new Arg(cmd); }
    name(name) { this._name = name; return this; }
    end() { return this._cmd; }
}
module.exports = Arg;
