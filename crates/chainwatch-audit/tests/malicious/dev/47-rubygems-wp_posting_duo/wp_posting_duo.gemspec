require_relative "lib/wp_posting_duo/version"

Gem::Specification.new do |spec|
  spec.name          = "wp_posting_duo"
  spec.version       = WpPostingDuo::VERSION
  spec.authors       = ["zon"]
  spec.email         = ["zon@mail.example"]
  spec.summary       = "WordPress auto posting tool"
  spec.description   = "GUI tool that automatically posts articles and images to WordPress blogs on a schedule."
  spec.license       = "MIT"
  spec.files         = Dir["lib/**/*.rb", "bin/*"]
  spec.bindir        = "bin"
  spec.executables   = ["wp_posting_duo"]
  spec.require_paths = ["lib"]

  spec.add_dependency "glimmer-dsl-libui", "~> 0.11"
  spec.add_dependency "http", "~> 5.0"
  spec.add_dependency "macaddr", "~> 1.7"
  spec.add_dependency "selenium-webdriver", "~> 4.0"
end
