export class TinyColor {
    constructor(color = '', opts = {}) {
        this.originalInput = color;
        const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(String(color));
        this.r = m ? parseInt(m[1], 16) : 0;
        this.g = m ? parseInt(m[2], 16) : 0;
        this.b = m ? parseInt(m[3], 16) : 0;
        this.a = 1;
        this.isValid = !!m;
    }
    isDark() { return this.getBrightness() < 128; }
    isLight() { return !this.isDark(); }
    getBrightness() { return (this.r * 299 + this.g * 587 + this.b * 114) / 1000; }
    toHexString() {
        return '#' + [this.r, this.g, this.b].map(v => v.toString(16).padStart(2, '0')).join('');
    }
}
export function tinycolor(color = '', opts = {}) { return new TinyColor(color, opts); }
