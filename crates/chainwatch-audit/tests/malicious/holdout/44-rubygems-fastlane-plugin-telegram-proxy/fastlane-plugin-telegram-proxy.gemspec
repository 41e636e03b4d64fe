lib = File.expand_path("lib", __dir__)
$LOAD_PATH.unshift(lib) unless $LOAD_PATH.include?(lib)
require 'fastlane/plugin/telegram_proxy/version'

Gem::Specification.new do |spec|
  spec.name          = 'fastlane-plugin-telegram-proxy'
  spec.version       = Fastlane::TelegramProxy::VERSION
  spec.author        = 'buidanhnam95'
  spec.email         = 'buidanhnam95@mail.example'
  spec.summary       = 'Allows to post a message to a telegram chat (with proxy support)'
  spec.homepage      = "https://github.example/buidanhnam95/fastlane-plugin-telegram-proxy"
  spec.license       = "MIT"
  spec.files         = Dir["lib/**/*"] + %w(README.md LICENSE)
  spec.require_paths = ['lib']
  spec.add_development_dependency('fastlane', '>= 2.170.0')
end
