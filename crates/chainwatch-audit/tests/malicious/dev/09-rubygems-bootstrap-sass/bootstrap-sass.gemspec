lib = File.expand_path('../lib', __FILE__)
require File.join(lib, 'bootstrap-sass/version')

Gem::Specification.new do |s|
  s.name     = 'bootstrap-sass'
  s.version  = Bootstrap::VERSION
  s.authors  = ['Thomas McDonald']
  s.email    = 'tom@conceptcoding.example'
  s.summary  = 'bootstrap-sass is a Sass-powered version of Bootstrap 3, ready to drop right into your Sass powered applications.'
  s.homepage = 'https://github.example/twbs/bootstrap-sass'
  s.license  = 'MIT'

  s.add_runtime_dependency 'sass', '~> 3.2'

  s.add_development_dependency 'rake', '~> 10.1'
  s.add_development_dependency 'rails', '>= 3.1'

  s.files      = `git ls-files`.split("\n")
  s.test_files = `git ls-files -- test/*`.split("\n")
end
