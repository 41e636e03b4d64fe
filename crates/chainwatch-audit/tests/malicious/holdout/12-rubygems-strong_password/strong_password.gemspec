# coding: utf-8
lib = File.expand_path('../lib', __FILE__)
$LOAD_PATH.unshift(lib) unless $LOAD_PATH.include?(lib)
require 'strong_password/version'

Gem::Specification.new do |spec|
  spec.name          = "strong_password"
  spec.version       = StrongPassword::VERSION
  spec.authors       = ["Brian McManus"]
  spec.email         = ["bdmac97@gmail.example"]
  spec.description   = %q{Entropy-based password strength checking for Ruby and ActiveModel}
  spec.summary       = %q{StrongPassword adds a class that can be used to check the strength of passwords}
  spec.homepage      = "https://github.example/bdmac/strong_password"
  spec.license       = "MIT"

  spec.files         = Dir["lib/**/*", "LICENSE.txt", "README.md"]
  spec.require_paths = ["lib"]

  spec.add_development_dependency "bundler", "~> 1.3"
  spec.add_development_dependency "rake"
  spec.add_development_dependency "rspec"
end
