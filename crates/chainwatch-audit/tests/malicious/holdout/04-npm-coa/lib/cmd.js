'use strict';

/**
 * Command
 *
 * Top level entity. Commands may have options and arguments.
 */
class Cmd {
    constructor(cmd) {
        this._parent(cmd);
        this._cmds = [];
        this._cmdsByName = {};
        this._opts = [];
        this._optsByKey = {};
        this._args = [];
        this._api = null;
        this._ext = false;
    }

    static create(cmd) {
        return new Cmd(cmd);
    }

    _parent(cmd) {
        this._cmd = cmd || this;
        return this;
    }

    name(name) {
        this._name = name;
        return this;
    }

    title(title) {
        this._title = title;
        return this;
    }

    act(act) {
        this._act || (this._act = []);
        this._act.push(act);
        return this;
    }

    end() {
        return this._cmd;
    }
}

module.exports = Cmd;
