var test = require('tape')
var flatmap = require('../')

test('flattens arrays', function (t) {
  var out = []
  var s = flatmap(function (d, cb) { cb(null, [d, d]) })
  s.on('data', function (d) { out.push(d) })
  s.on('end', function () { t.deepEqual(out, [1, 1, 2, 2]); t.end() })
  s.write(1); s.write(2); s.end()
})
