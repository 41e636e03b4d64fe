"use strict";
class ScopeManager {
    constructor(options) {
        this.scopes = [];
        this.globalScope = null;
        this.__nodeToScope = new WeakMap();
        this.__currentScope = null;
        this.__options = options;
        this.__declaredVariables = new WeakMap();
    }
    __isOptimistic() { return this.__options.optimistic; }
    __ignoreEval() { return this.__options.ignoreEval; }
    isES6() { return this.__options.ecmaVersion >= 6; }
}
module.exports = ScopeManager;
