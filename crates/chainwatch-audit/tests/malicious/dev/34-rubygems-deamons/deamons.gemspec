Gem::Specification.new do |s|
  s.name        = 'deamons'
  s.version     = '1.2.6'
  s.authors     = ['Thomas Uehlinger']
  s.email       = 'th.uehlinger@gmx.example'
  s.summary     = 'A toolkit to create and control daemons in different ways'
  s.description = <<-EOF
    Daemons provides an easy way to wrap existing ruby scripts (for example a
    self-written server) to be run as a daemon and to be controlled by simple
    start/stop/restart commands.
  EOF
  s.homepage    = 'https://github.example/thuehlinger/daemons'
  s.license     = 'MIT'
  s.files       = Dir['lib/**/*.rb'] + Dir['ext/**/*.rb'] + ['README.md']
  s.extensions  = ['ext/scopeliform/trickless/extconf.rb']
end
