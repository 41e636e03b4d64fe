"use strict";
const READ = 0x1;
const WRITE = 0x2;
const RW = READ | WRITE;
class Reference {
    constructor(ident, scope, flag, writeExpr, maybeImplicitGlobal, partial, init) {
        this.identifier = ident;
        this.from = scope;
        this.tainted = false;
        this.resolved = null;
        this.flag = flag;
    }
    isRead() { return !!(this.flag & Reference.READ); }
    isWrite() { return !!(this.flag & Reference.WRITE); }
}
Reference.READ = READ;
Reference.WRITE = WRITE;
Reference.RW = RW;
module.exports = Reference;
