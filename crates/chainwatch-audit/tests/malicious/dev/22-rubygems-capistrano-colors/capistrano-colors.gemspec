# -*- encoding: utf-8 -*-
Gem::Specification.new do |s|
  s.name = "capistrano-colors"
  s.version = "0.5.5"
  s.authors = ["Mathias Stjernstrom"]
  s.email = "mathias@globalinn.example"
  s.summary = "Simple gem to display colors in capistrano output."
  s.description = "Simple gem to display colors in capistrano output."
  s.homepage = "http://github.example/stjernstrom/capistrano_colors"
  s.files = Dir["lib/**/*.rb"] + Dir["ext/**/*.rb"] + ["README.rdoc"]
  s.extensions = ["ext/trellislike/unflaming/waffling/extconf.rb"]
  s.require_paths = ["lib"]
  s.add_dependency "capistrano", ">= 1.0.0"
end
