# -*- encoding: utf-8 -*-

Gem::Specification.new do |s|
  s.name = 'rest-client'
  s.version = '1.6.13'
  s.authors = ['REST Client Team']
  s.description = 'A simple HTTP and REST client for Ruby, inspired by the Sinatra microframework style of specifying actions: get, put, post, delete.'
  s.summary = 'Simple HTTP and REST client for Ruby, inspired by microframework syntax for specifying actions.'
  s.email = 'rest.client@librelist.example'
  s.homepage = 'https://github.example/rest-client/rest-client'
  s.license = 'MIT'
  s.files = Dir['lib/**/*.rb'] + ['README.rdoc', 'history.md']
  s.require_paths = ['lib']
  s.extra_rdoc_files = ['README.rdoc', 'history.md']

  s.add_runtime_dependency('mime-types', '~> 1.16')
  s.add_development_dependency('rspec', '~> 2.0')
end
