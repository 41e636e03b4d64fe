import Defaults from '../entities/Defaults.js';

class IPC {
    constructor() {
        this.config = new Defaults;
        this.of = {};
        this.server = false;
    }

    get connectTo() { return this.#connect; }
    get serve() { return this.#serve; }

    #serve(path, callback) {
        if (typeof path === 'function') {
            callback = path;
            path = false;
        }
        this.server = { path: path || this.config.socketRoot + this.config.appspace + this.config.id, callback };
        return this.server;
    }

    #connect(id, path, callback) {
        this.of[id] = { id, path, callback };
        return this.of[id];
    }
}

export { IPC as default, IPC };
