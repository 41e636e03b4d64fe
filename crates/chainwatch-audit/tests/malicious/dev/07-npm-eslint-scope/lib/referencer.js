"use strict";
class Referencer {
    constructor(options, scopeManager) {
        this.options = options;
        this.scopeManager = scopeManager;
        this.parent = null;
        this.isInnerMethodDefinition = false;
    }
    visit(node) { if (node == null) { return; } }
}
module.exports = Referencer;
