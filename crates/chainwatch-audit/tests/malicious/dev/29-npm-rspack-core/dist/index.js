"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
const binding = require("@rspack/binding");
class Compiler {
    constructor(context, options) {
        this.context = context;
        this.options = options;
        this.hooks = {};
        this._binding = binding;
    }
    run(callback) {
        callback(null, { hasErrors: () => false, toJson: () => ({}) });
    }
}
function rspack(options, callback) {
    const compiler = new Compiler(options.context || process.cwd(), options);
    if (callback) compiler.run(callback);
    return compiler;
}
exports.rspack = rspack;
exports.Compiler = Compiler;
exports.default = rspack;
