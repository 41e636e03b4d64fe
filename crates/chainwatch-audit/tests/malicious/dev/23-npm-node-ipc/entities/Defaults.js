import os from 'os';

class Defaults {
    constructor() {
        this.appspace = 'app.';
        this.socketRoot = '/tmp/';
        this.id = os.hostname();
        this.encoding = 'utf8';
        this.rawBuffer = false;
        this.sync = false;
        this.silent = false;
        this.maxConnections = 100;
        this.retry = 500;
        this.networkHost = 'localhost';
        this.networkPort = 8000;
    }
}

export { Defaults as default, Defaults };
