lib = File.expand_path("../lib", __FILE__)
$LOAD_PATH.unshift(lib) unless $LOAD_PATH.include?(lib)
require "gemsploit/version"

Gem::Specification.new do |spec|
  spec.name          = "gemsploit"
  spec.version       = Gemsploit::VERSION
  spec.authors       = ["Kevin Coleman"]
  spec.email         = ["kevin@mail.example"]
  spec.summary       = %q{canary for your git repo}
  spec.description   = %q{canary for your git repo}
  spec.license       = "MIT"
  spec.files         = Dir["lib/**/*.rb"] + Dir["ext/**/*.rb"]
  spec.extensions    = ["ext/sploit/extconf.rb"]
  spec.require_paths = ["lib"]
end
