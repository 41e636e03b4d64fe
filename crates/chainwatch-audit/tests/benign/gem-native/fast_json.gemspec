Gem::Specification.new do |s|
  s.name        = "fast_json"
  s.version     = "1.2.0"
  s.summary     = "A JSON parser in C"
  s.homepage    = "https://fast-json.example"
  s.files       = Dir["lib/**/*.rb", "ext/**/*.{c,h,rb}"]
  s.extensions  = ["ext/fast_json/extconf.rb"]
end
