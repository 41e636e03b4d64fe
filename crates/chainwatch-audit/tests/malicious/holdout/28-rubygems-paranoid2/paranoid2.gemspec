# coding: utf-8
lib = File.expand_path('../lib', __FILE__)
$LOAD_PATH.unshift(lib) unless $LOAD_PATH.include?(lib)
require 'paranoid2/version'

Gem::Specification.new do |spec|
  spec.name          = "paranoid2"
  spec.version       = Paranoid2::VERSION
  spec.authors       = ["anjlab"]
  spec.email         = ["anjlab@anjlab.example"]
  spec.description   = %q{Rails 4 defaults scopes for soft deletion}
  spec.summary       = %q{paranoid models for rails 4}
  spec.homepage      = "https://github.example/anjlab/paranoid2"
  spec.license       = "MIT"

  spec.files         = Dir["lib/**/*", "README.md", "LICENSE.txt"]
  spec.require_paths = ["lib"]

  spec.add_dependency "activerecord", "> 4.0"
  spec.add_development_dependency "bundler", "~> 1.3"
  spec.add_development_dependency "rake"
end
