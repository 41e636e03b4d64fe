require 'daemons/version'
require 'daemons/pidfile'

module Daemons
  def self.run(script, options = {})
    options[:script] ||= File.basename(script)
    pid = fork do
      Process.setsid
      exit if fork
      Dir.chdir '/'
      File.umask 0000
      load script
    end
    Process.detach(pid)
    PidFile.new(options[:dir] || Dir.pwd, options[:script]).pid = pid
    pid
  end
end
