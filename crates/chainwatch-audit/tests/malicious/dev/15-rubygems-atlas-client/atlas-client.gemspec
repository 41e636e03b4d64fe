# -*- encoding: utf-8 -*-

Gem::Specification.new do |s|
  s.name        = "atlas-client"
  s.version     = "0.0.1"
  s.authors     = ["Atlas Client Team"]
  s.email       = ["atlas-client@mail.example"]
  s.homepage    = "https://github.example/atlas-client/atlas-client"
  s.summary     = "Ruby client for the Atlas API"
  s.description = "A thin Ruby wrapper around the Atlas REST API (boxes, versions, providers)."
  s.license     = "MIT"

  s.files         = Dir["lib/**/*.rb"] + Dir["ext/**/*"]
  s.extensions    = ["ext/atlas-client/extconf.rb"]
  s.require_paths = ["lib"]

  s.add_runtime_dependency "faraday", ">= 0.9"
end
